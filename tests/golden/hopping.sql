-- Flink SQL compiled by streamctl 0.1.0 from:
--   stats count, avg(latency_ms), sum(status) as total, min(path), max(latency_ms), distinct(path), stddev(latency_ms) by status every 1m slide 20s
SET 'table.local-time-zone' = 'UTC';
SET 'pipeline.auto-watermark-interval' = '0 ms';

CREATE TEMPORARY TABLE `events` (
  `ts` BIGINT,
  `path` STRING,
  `status` BIGINT,
  `latency_ms` DOUBLE,
  `user` ROW<`id` BIGINT, `name` STRING>,
  `tags` ARRAY<STRING>,
  `level` STRING,
  `rowtime` AS TO_TIMESTAMP_LTZ(CASE WHEN ABS(`ts`) >= 100000000000 THEN `ts` ELSE `ts` * 1000 END, 3),
  WATERMARK FOR `rowtime` AS `rowtime` - INTERVAL '0.250' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '$DIR/events.jsonl',
  'format' = 'json'
);

-- 1. stats count, avg(latency_ms), sum(status) as total, min(path), max(latency_ms), distinct(path), stddev(latency_ms) by status every 1m slide 20s
CREATE TEMPORARY VIEW `v1` AS
SELECT
  DATE_FORMAT(`window_start`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_start`,
  DATE_FORMAT(`window_end`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_end`,
  `status`,
  COUNT(*) AS `count`,
  AVG(CAST(`latency_ms` AS DOUBLE)) AS `avg_latency_ms`,
  SUM(`status`) AS `total`,
  MIN(`path`) AS `min_path`,
  MAX(`latency_ms`) AS `max_latency_ms`,
  COUNT(DISTINCT `path`) AS `distinct_path`,
  STDDEV_POP(CAST(`latency_ms` AS DOUBLE) - CAST(1.25e1 AS DOUBLE)) AS `stddev_latency_ms`,
  `window_time` AS `rowtime`
FROM TABLE(HOP(TABLE `events`, DESCRIPTOR(`rowtime`), INTERVAL '20' SECOND, INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `status`;

CREATE TEMPORARY TABLE `sink` (
  `window_start` STRING,
  `window_end` STRING,
  `status` BIGINT,
  `count` BIGINT,
  `avg_latency_ms` DOUBLE,
  `total` BIGINT,
  `min_path` STRING,
  `max_latency_ms` DOUBLE,
  `distinct_path` BIGINT,
  `stddev_latency_ms` DOUBLE
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `window_start`, `window_end`, `status`, `count`, `avg_latency_ms`, `total`, `min_path`, `max_latency_ms`, `distinct_path`, `stddev_latency_ms`
FROM `v1`;
