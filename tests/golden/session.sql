-- Flink SQL compiled by streamctl 0.1.0 from:
--   count by path session 30s | where count > 1
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

-- 1. count by path session 30s
CREATE TEMPORARY VIEW `v1` AS
SELECT
  DATE_FORMAT(`window_start`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_start`,
  DATE_FORMAT(`window_end`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_end`,
  `path`,
  COUNT(*) AS `count`,
  `window_time` AS `rowtime`
FROM TABLE(SESSION(TABLE `events` PARTITION BY `path`, DESCRIPTOR(`rowtime`), INTERVAL '30' SECOND))
GROUP BY `window_start`, `window_end`, `window_time`, `path`;

-- 2. where count > 1
CREATE TEMPORARY VIEW `v2` AS
SELECT `window_start`, `window_end`, `path`, `count`, `rowtime`
FROM `v1`
WHERE `count` > 1;

CREATE TEMPORARY TABLE `sink` (
  `window_start` STRING,
  `window_end` STRING,
  `path` STRING,
  `count` BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `window_start`, `window_end`, `path`, `count`
FROM `v2`;
