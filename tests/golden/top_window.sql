-- Flink SQL compiled by streamctl 0.1.0 from:
--   top 2 path by avg(latency_ms) every 1m
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

-- 1. top 2 path by avg(latency_ms) every 1m
CREATE TEMPORARY VIEW `v1` AS
SELECT DATE_FORMAT(`window_start`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_start`, DATE_FORMAT(`window_end`, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS `window_end`, `path`, `avg_latency_ms`, `window_time` AS `rowtime`
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY `window_start`, `window_end` ORDER BY `avg_latency_ms` DESC NULLS LAST) AS `rn`
  FROM (
    SELECT `window_start`, `window_end`, `window_time`, `path`, AVG(CAST(`latency_ms` AS DOUBLE)) AS `avg_latency_ms`
    FROM TABLE(TUMBLE(TABLE `events`, DESCRIPTOR(`rowtime`), INTERVAL '1' MINUTE))
    GROUP BY `window_start`, `window_end`, `window_time`, `path`
  )
)
WHERE `rn` <= 2;

CREATE TEMPORARY TABLE `sink` (
  `window_start` STRING,
  `window_end` STRING,
  `path` STRING,
  `avg_latency_ms` DOUBLE
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/out',
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true'
);

INSERT INTO `sink`
SELECT `window_start`, `window_end`, `path`, `avg_latency_ms`
FROM `v1`;
