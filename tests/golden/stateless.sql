-- Flink SQL compiled by streamctl 0.1.0 from:
--   where status >= 500 or not path == "/a" | eval secs = latency_ms / 1000, uid = user.id, slow = latency_ms > 10 | select path, secs, uid, slow, status | drop status | rename secs as seconds
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

-- 1. where status >= 500 or not path == "/a"
CREATE TEMPORARY VIEW `v1` AS
SELECT `ts`, `path`, `status`, `latency_ms`, `user`, `tags`, `level`
FROM `events`
WHERE (`status` >= 500 OR (NOT ((`path` = '/a') IS TRUE)));

-- 2. eval secs = latency_ms / 1000, uid = user.id, slow = latency_ms > 10
CREATE TEMPORARY VIEW `v2` AS
SELECT `ts`, `path`, `status`, `latency_ms`, `user`, `tags`, `level`, (CAST(`latency_ms` AS DOUBLE) / NULLIF(CAST(1000 AS DOUBLE), 0)) AS `secs`, `user`.`id` AS `uid`, ((`latency_ms` > 10) IS TRUE) AS `slow`
FROM `v1`;

-- 3. select path, secs, uid, slow, status
CREATE TEMPORARY VIEW `v3` AS
SELECT `path`, `secs`, `uid`, `slow`, `status`
FROM `v2`;

-- 4. drop status
CREATE TEMPORARY VIEW `v4` AS
SELECT `path`, `secs`, `uid`, `slow`
FROM `v3`;

-- 5. rename secs as seconds
CREATE TEMPORARY VIEW `v5` AS
SELECT `path`, `secs` AS `seconds`, `uid`, `slow`
FROM `v4`;

CREATE TEMPORARY TABLE `sink` (
  `path` STRING,
  `seconds` DOUBLE,
  `uid` BIGINT,
  `slow` BOOLEAN
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `path`, `seconds`, `uid`, `slow`
FROM `v5`;
