-- Flink SQL compiled by streamctl 0.1.0 from:
--   avg(latency_ms) by lower(path) as p
SET 'table.local-time-zone' = 'UTC';
SET 'pipeline.auto-watermark-interval' = '0 ms';
SET 'execution.runtime-mode' = 'batch';

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

-- 1. avg(latency_ms) by lower(path) as p
CREATE TEMPORARY VIEW `v1` AS
SELECT
  LOWER(`path`) AS `p`,
  AVG(CAST(`latency_ms` AS DOUBLE)) AS `avg_latency_ms`
FROM `events`
GROUP BY LOWER(`path`);

CREATE TEMPORARY TABLE `sink` (
  `p` STRING,
  `avg_latency_ms` DOUBLE
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `p`, `avg_latency_ms`
FROM `v1`;
