-- Flink SQL compiled by streamctl 0.1.0 from:
--   count by path every 10s | stats sum(count) as total by path every 1m
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
  WATERMARK FOR `rowtime` AS `rowtime` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '$DIR/events.jsonl',
  'format' = 'json'
);

-- 1. count by path every 10s
CREATE TEMPORARY VIEW `v1` AS
SELECT
  DATE_FORMAT(`window_start`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_start`,
  DATE_FORMAT(`window_end`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_end`,
  `path`,
  COUNT(*) AS `count`,
  `window_time` AS `rowtime`
FROM TABLE(TUMBLE(TABLE `events`, DESCRIPTOR(`rowtime`), INTERVAL '10' SECOND))
GROUP BY `window_start`, `window_end`, `window_time`, `path`;

-- 2. stats sum(count) as total by path every 1m
CREATE TEMPORARY VIEW `v2_in` AS
SELECT `path`, `count`, `rowtime`
FROM `v1`;
CREATE TEMPORARY VIEW `v2` AS
SELECT
  DATE_FORMAT(`window_start`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_start`,
  DATE_FORMAT(`window_end`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_end`,
  `path`,
  SUM(`count`) AS `total`,
  `window_time` AS `rowtime`
FROM TABLE(TUMBLE(TABLE `v2_in`, DESCRIPTOR(`rowtime`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `path`;

CREATE TEMPORARY TABLE `sink` (
  `window_start` STRING,
  `window_end` STRING,
  `path` STRING,
  `total` BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `window_start`, `window_end`, `path`, `total`
FROM `v2`;
