-- Flink SQL compiled by streamctl 0.1.0 from:
--   top 3 status
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

-- 1. top 3 status
CREATE TEMPORARY VIEW `v1` AS
SELECT `status`, `count`
FROM (
  SELECT *, ROW_NUMBER() OVER (ORDER BY `count` DESC NULLS LAST) AS `rn`
  FROM (
    SELECT `status`, COUNT(*) AS `count`
    FROM `events`
    GROUP BY `status`
  )
)
WHERE `rn` <= 3;

CREATE TEMPORARY TABLE `sink` (
  `status` BIGINT,
  `count` BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `status`, `count`
FROM `v1`;
