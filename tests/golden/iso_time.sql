-- Flink SQL compiled by streamctl 0.1.0 from:
--   count by level every 10s
SET 'table.local-time-zone' = 'UTC';
SET 'pipeline.auto-watermark-interval' = '0 ms';

CREATE TEMPORARY TABLE `events` (
  `time` STRING,
  `level` STRING,
  `rowtime` AS TIMESTAMPADD(MINUTE, -(CASE WHEN SUBSTRING(`time` FROM 24) IN ('Z', 'z') THEN 0 ELSE (CASE WHEN SUBSTRING(SUBSTRING(`time` FROM 24) FROM 1 FOR 1) = '-' THEN -1 ELSE 1 END) * (CAST(SUBSTRING(SUBSTRING(`time` FROM 24) FROM 2 FOR 2) AS INT) * 60 + COALESCE(TRY_CAST(SUBSTRING(REPLACE(SUBSTRING(`time` FROM 24), ':', '') FROM 4 FOR 2) AS INT), 0)) END), TO_TIMESTAMP_LTZ(SUBSTRING(`time` FROM 1 FOR 23), 'yyyy-MM-dd''T''HH:mm:ss.SSS')),
  WATERMARK FOR `rowtime` AS `rowtime` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '$DIR/iso.jsonl',
  'format' = 'json'
);

-- 1. count by level every 10s
CREATE TEMPORARY VIEW `v1` AS
SELECT
  DATE_FORMAT(`window_start`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_start`,
  DATE_FORMAT(`window_end`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_end`,
  `level`,
  COUNT(*) AS `count`,
  `window_time` AS `rowtime`
FROM TABLE(TUMBLE(TABLE `events`, DESCRIPTOR(`rowtime`), INTERVAL '10' SECOND))
GROUP BY `window_start`, `window_end`, `window_time`, `level`;

CREATE TEMPORARY TABLE `sink` (
  `window_start` STRING,
  `window_end` STRING,
  `level` STRING,
  `count` BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `window_start`, `window_end`, `level`, `count`
FROM `v1`;
