-- Flink SQL compiled by streamctl 0.1.0 from:
--   running count, avg(latency_ms) by lower(path) as p | running max(status) as top last 3
SET 'table.local-time-zone' = 'UTC';
SET 'pipeline.auto-watermark-interval' = '0 ms';

CREATE TEMPORARY TABLE `events` (
  `ts` BIGINT,
  `path` STRING,
  `status` BIGINT,
  `latency_ms` DOUBLE,
  `user` ROW<`id` BIGINT, `name` STRING>,
  `tags` ARRAY<STRING>,
  `level` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '$DIR/events.jsonl',
  'format' = 'json'
);

-- 1. running count, avg(latency_ms) by lower(path) as p
CREATE TEMPORARY VIEW `v1` AS
SELECT `ts`, `path`, `status`, `latency_ms`, `user`, `tags`, `level`, COUNT(*) OVER (PARTITION BY `__k1` ORDER BY `proctime` ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS `count`, AVG(CAST(`latency_ms` AS DOUBLE)) OVER (PARTITION BY `__k1` ORDER BY `proctime` ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS `avg_latency_ms`
FROM (
  SELECT *, PROCTIME() AS `proctime`, LOWER(`path`) AS `__k1`
  FROM `events`
);

-- 2. running max(status) as top last 3
CREATE TEMPORARY VIEW `v2` AS
SELECT `ts`, `path`, `status`, `latency_ms`, `user`, `tags`, `level`, `count`, `avg_latency_ms`, MAX(`status`) OVER (ORDER BY `proctime` ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS `top`
FROM (
  SELECT *, PROCTIME() AS `proctime`
  FROM `v1`
);

CREATE TEMPORARY TABLE `sink` (
  `ts` BIGINT,
  `path` STRING,
  `status` BIGINT,
  `latency_ms` DOUBLE,
  `user` ROW<`id` BIGINT, `name` STRING>,
  `tags` ARRAY<STRING>,
  `level` STRING,
  `count` BIGINT,
  `avg_latency_ms` DOUBLE,
  `top` BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `ts`, `path`, `status`, `latency_ms`, `user`, `tags`, `level`, `count`, `avg_latency_ms`, `top`
FROM `v2`;
