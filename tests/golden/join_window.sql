-- Flink SQL compiled by streamctl 0.1.0 from:
--   join users.jsonl on user.id = id prefix u_ | count by u_country every 1m
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

-- 1. join users.jsonl on user.id = id prefix u_
CREATE TEMPORARY VIEW `v1` AS
SELECT `ts`,
  `path`,
  `status`,
  `latency_ms`,
  `user`,
  `tags`,
  `level`,
  CASE CAST(`user`.`id` AS STRING) WHEN '7' THEN CAST('de' AS STRING) WHEN '8' THEN CAST(NULL AS STRING) END AS `u_country`,
  `rowtime`
FROM `events`
WHERE CAST(`user`.`id` AS STRING) IN ('7', '8');

-- 2. count by u_country every 1m
CREATE TEMPORARY VIEW `v2` AS
SELECT
  DATE_FORMAT(`window_start`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_start`,
  DATE_FORMAT(`window_end`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_end`,
  `u_country`,
  COUNT(*) AS `count`,
  `window_time` AS `rowtime`
FROM TABLE(TUMBLE(TABLE `v1`, DESCRIPTOR(`rowtime`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `u_country`;

CREATE TEMPORARY TABLE `sink` (
  `window_start` STRING,
  `window_end` STRING,
  `u_country` STRING,
  `count` BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `window_start`, `window_end`, `u_country`, `count`
FROM `v2`;
