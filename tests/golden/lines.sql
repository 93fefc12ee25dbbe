-- Flink SQL compiled by streamctl 0.1.0 from:
--   where line contains " 500"
SET 'table.local-time-zone' = 'UTC';
SET 'pipeline.auto-watermark-interval' = '0 ms';

CREATE TEMPORARY TABLE `events_1` (
  `line` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '$DIR/app.log',
  'format' = 'raw'
);
CREATE TEMPORARY TABLE `events_2` (
  `line` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '$DIR/app.log',
  'format' = 'raw'
);

-- the inputs, one after another
CREATE TEMPORARY VIEW `events` AS
SELECT * FROM `events_1`
UNION ALL
SELECT * FROM `events_2`;

-- 1. where line contains " 500"
CREATE TEMPORARY VIEW `v1` AS
SELECT `line`
FROM `events`
WHERE `line` LIKE '% 500%' ESCAPE '!';

CREATE TEMPORARY TABLE `sink` (
  `line` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `line`
FROM `v1`;
