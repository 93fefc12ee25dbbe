-- Flink SQL compiled by streamctl 0.1.0 from:
--   left join users.jsonl on status = id
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

-- the lookup file of `left join users.jsonl`
CREATE TEMPORARY TABLE `lookup_1` (
  `id` BIGINT,
  `country` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '$DIR/users.jsonl',
  'format' = 'json'
);

-- 1. left join users.jsonl on status = id
CREATE TEMPORARY VIEW `v1` AS
SELECT `e`.`ts`, `e`.`path`, `e`.`status`, `e`.`latency_ms`, `e`.`user`, `e`.`tags`, `e`.`level`, `l`.`country` AS `country`
FROM `events` AS `e`
LEFT JOIN `lookup_1` AS `l`
  ON `e`.`status` = `l`.`id`;

CREATE TEMPORARY TABLE `sink` (
  `ts` BIGINT,
  `path` STRING,
  `status` BIGINT,
  `latency_ms` DOUBLE,
  `user` ROW<`id` BIGINT, `name` STRING>,
  `tags` ARRAY<STRING>,
  `level` STRING,
  `country` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `ts`, `path`, `status`, `latency_ms`, `user`, `tags`, `level`, `country`
FROM `v1`;
