-- Flink SQL compiled by streamctl 0.1.0 from:
--   dedup path, status
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

-- 1. dedup path, status
CREATE TEMPORARY VIEW `v1` AS
SELECT `ts`, `path`, `status`, `latency_ms`, `user`, `tags`, `level`
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY `path`, `status` ORDER BY `proctime` ASC) AS `rn`
  FROM (
    SELECT *, PROCTIME() AS `proctime`
  FROM `events`
  )
)
WHERE `rn` = 1;

CREATE TEMPORARY TABLE `sink` (
  `ts` BIGINT,
  `path` STRING,
  `status` BIGINT,
  `latency_ms` DOUBLE,
  `user` ROW<`id` BIGINT, `name` STRING>,
  `tags` ARRAY<STRING>,
  `level` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `ts`, `path`, `status`, `latency_ms`, `user`, `tags`, `level`
FROM `v1`;
