//! Text logs (issue 15): `parse nginx|apache|apache_error|syslog`, the `*`
//! pattern, and timestamps as real logs write them, on real-looking lines;
//! an nginx log windowed by its own time in one process. Exact rows.
mod util;

use util::{ok, run};

const COMBINED: &str = r#"203.0.113.9 - - [01/Mar/2026:12:00:05 +0000] "GET /api/users HTTP/1.1" 200 512 "-" "curl/8.5.0"
198.51.100.4 - alice [01/Mar/2026:13:00:21 +0100] "POST /api/orders HTTP/1.1" 503 - "https://shop.example/cart" "Mozilla/5.0 (X11; Linux x86_64)"
not an access log line
192.0.2.77 - - [01/Mar/2026:12:01:02 +0000] "GET /api/orders HTTP/1.1" 200 1045 "-" "python-requests/2.31"
"#;

#[test]
fn parse_nginx_gives_typed_fields() {
    let out = ok(
        &[
            "-i",
            "lines",
            "parse nginx | where status == 503 | drop line",
        ],
        COMBINED,
    );
    assert_eq!(
        out,
        "{\"ip\":\"198.51.100.4\",\"user\":\"alice\",\"ts\":\"2026-03-01T12:00:21.000Z\",\"method\":\"POST\",\"path\":\"/api/orders\",\"proto\":\"HTTP/1.1\",\"status\":503,\"bytes\":0,\"referer\":\"https://shop.example/cart\",\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64)\"}\n"
    );
}

#[test]
fn an_nginx_log_is_windowed_by_its_own_time() {
    let (out, err, code) = run(
        &[
            "-i",
            "lines",
            "--stats",
            "parse nginx | where status != null | count by status every 1m",
        ],
        COMBINED,
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"status\":200,\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"status\":503,\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:01:00.000Z\",\"window_end\":\"2026-03-01T12:02:00.000Z\",\"status\":200,\"count\":1}\n"
    );
    assert!(err.contains("unparsed 1,"), "{err}");
}

#[test]
fn parse_apache_common_log() {
    let out = ok(
        &[
            "-i",
            "lines",
            "parse apache | select ip, ts, path, status, bytes",
        ],
        "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326\n",
    );
    assert_eq!(
        out,
        "{\"ip\":\"127.0.0.1\",\"ts\":\"2000-10-10T20:55:36.000Z\",\"path\":\"/apache_pb.gif\",\"status\":200,\"bytes\":2326}\n"
    );
}

#[test]
fn parse_apache_error() {
    let out = ok(
        &["-i", "lines", "parse apache_error | drop line"],
        "[Sun Mar 01 12:00:05.123456 2026] [core:error] [pid 1234:tid 140211] [client 203.0.113.9:51234] AH00124: Request exceeded the limit of 10 internal redirects\n\
         [Sun Mar 01 12:00:07 2026] [error] [client 10.0.0.1] File does not exist: /var/www/favicon.ico\n",
    );
    assert_eq!(
        out,
        "{\"ts\":\"2026-03-01T12:00:05.123Z\",\"module\":\"core\",\"level\":\"error\",\"pid\":1234,\"tid\":140211,\"client\":\"203.0.113.9:51234\",\"code\":\"AH00124\",\"message\":\"Request exceeded the limit of 10 internal redirects\"}\n\
         {\"ts\":\"2026-03-01T12:00:07.000Z\",\"module\":null,\"level\":\"error\",\"pid\":null,\"tid\":null,\"client\":\"10.0.0.1\",\"code\":null,\"message\":\"File does not exist: /var/www/favicon.ico\"}\n"
    );
}

#[test]
fn parse_syslog_rfc5424() {
    let out = ok(
        &["-i", "lines", "parse syslog | drop line"],
        "<165>1 2026-03-01T12:00:05.003Z web1.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event\n",
    );
    assert_eq!(
        out,
        "{\"facility\":\"local4\",\"severity\":\"notice\",\"ts\":\"2026-03-01T12:00:05.003Z\",\"host\":\"web1.example.com\",\"app\":\"evntslog\",\"pid\":null,\"msgid\":\"ID47\",\"structured_data\":\"[exampleSDID@32473 iut=\\\"3\\\"]\",\"message\":\"An application event\"}\n"
    );
}

/// The year a syslog date without one gets today (the rsyslog rule).
fn syslog_year(month: u32, day: u32) -> i32 {
    use chrono::{Datelike, TimeZone, Utc};
    let now = Utc::now();
    let this = Utc
        .with_ymd_and_hms(now.year(), month, day, 0, 0, 0)
        .unwrap();
    if this > now + chrono::Duration::days(1) {
        now.year() - 1
    } else {
        now.year()
    }
}

#[test]
fn parse_syslog_rfc3164_infers_the_year() {
    let out = ok(
        &["-i", "lines", "parse syslog | drop line"],
        "Mar  1 12:00:05 web1 sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2\n\
         <34>Jan 15 08:30:00 web1 su: 'su root' failed for alice on /dev/pts/8\n",
    );
    assert_eq!(
        out,
        format!(
            "{{\"ts\":\"{}-03-01T12:00:05.000Z\",\"host\":\"web1\",\"app\":\"sshd\",\"pid\":4242,\"message\":\"Failed password for root from 203.0.113.9 port 22 ssh2\"}}\n\
             {{\"facility\":\"auth\",\"severity\":\"crit\",\"ts\":\"{}-01-15T08:30:00.000Z\",\"host\":\"web1\",\"app\":\"su\",\"pid\":null,\"message\":\"'su root' failed for alice on /dev/pts/8\"}}\n",
            syslog_year(3, 1),
            syslog_year(1, 15)
        )
    );
}

#[test]
fn a_star_pattern_parses_without_a_regex() {
    let out = ok(
        &[
            "-i",
            "lines",
            r#"parse "* - * [*] \"* * *\" * *" as ip, _, ts, method, path, proto, status, rest | where status != null | count by method every 1m"#,
        ],
        COMBINED,
    );
    assert_eq!(
        out,
        "{\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"method\":\"GET\",\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"method\":\"POST\",\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:01:00.000Z\",\"window_end\":\"2026-03-01T12:02:00.000Z\",\"method\":\"GET\",\"count\":1}\n"
    );
}

#[test]
fn a_pattern_with_the_wrong_number_of_names_is_a_usage_error() {
    let (_, err, code) = run(&["-i", "lines", r#"parse "* [*]" as a"#], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("the pattern has 2 `*` but 1 name(s) follow `as`"),
        "{err}"
    );
}

/// Each timestamp shape `--time-format auto` reads, on a line as a logger
/// writes it, captured by a pattern and windowed by it.
#[test]
fn timestamps_as_real_logs_write_them() {
    let lines = [
        // log4j / Python logging: space for T, comma fraction, no offset
        ("[2026-03-01 12:00:05,123] ERROR boom", "12:00:05.123"),
        // RFC 3339 with nanoseconds and Z
        (
            "[2026-03-01T12:00:05.123456789Z] ERROR boom",
            "12:00:05.123",
        ),
        // ISO with +0530 and +05:30
        ("[2026-03-01T17:30:05+0530] ERROR boom", "12:00:05.000"),
        ("[2026-03-01T17:30:05.5+05:30] ERROR boom", "12:00:05.500"),
        // common log
        ("[01/Mar/2026:12:00:05 +0000] ERROR boom", "12:00:05.000"),
        // Apache error log
        (
            "[Sun Mar 01 12:00:05.123456 2026] ERROR boom",
            "12:00:05.123",
        ),
        // epoch seconds, ms, µs, ns
        ("[1772366405] ERROR boom", "12:00:05.000"),
        ("[1772366405123] ERROR boom", "12:00:05.123"),
        ("[1772366405123456] ERROR boom", "12:00:05.123"),
        ("[1772366405123456789] ERROR boom", "12:00:05.123"),
    ];
    for (line, want) in lines {
        let out = ok(
            &[
                "-i",
                "lines",
                r#"parse "[*] *" as ts, msg | count every 1s | eval t = window_start | select t"#,
            ],
            &format!("{line}\n"),
        );
        assert_eq!(
            out,
            format!("{{\"t\":\"2026-03-01T{}.000Z\"}}\n", &want[..8]),
            "{line}"
        );
        // To the millisecond: a window of 1ms starts at the event's time.
        let out = ok(
            &[
                "-i",
                "lines",
                r#"parse "[*] *" as ts, msg | count every 1ms | select window_start"#,
            ],
            &format!("{line}\n"),
        );
        assert_eq!(
            out,
            format!("{{\"window_start\":\"2026-03-01T{want}Z\"}}\n"),
            "{line}"
        );
    }
}

#[test]
fn syslog_time_without_a_year_in_a_field() {
    let out = ok(
        &[
            "-i",
            "lines",
            r#"parse "* web1 *" as ts, msg | count every 1m | select window_start"#,
        ],
        "Mar  1 12:00:05 web1 sshd[1]: hi\n",
    );
    assert_eq!(
        out,
        format!(
            "{{\"window_start\":\"{}-03-01T12:00:00.000Z\"}}\n",
            syslog_year(3, 1)
        )
    );
}

#[test]
fn concat_is_null_safe() {
    let (out, err, _) = run(
        &["eval c = concat(a, \"-\", b, n, missing) | select c"],
        "{\"a\":\"x\",\"b\":null,\"n\":5}\n",
    );
    assert_eq!(out, "{\"c\":\"x-5\"}\n");
    assert_eq!(
        err,
        "streamctl: field `missing` was never present (fields seen: a, b, n)\n"
    );
}

#[test]
fn sort_and_limit_point_to_top_and_head() {
    let (_, err, code) = run(&["sort by x"], "");
    assert_eq!(code, 2);
    assert!(err.contains("use `top N KEYS [by AGG]`"), "{err}");
    let (_, err, _) = run(&["where a > 1 | limit 5"], "");
    assert!(err.contains("did you mean `head N`?"), "{err}");
}

#[test]
fn parse_apache_reads_the_combined_format_too() {
    let out = ok(
        &["-i", "lines", "parse apache | select status, bytes, referer, user_agent"],
        "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\" 200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"\n",
    );
    assert_eq!(
        out,
        "{\"status\":200,\"bytes\":2326,\"referer\":\"http://www.example.com/start.html\",\"user_agent\":\"Mozilla/4.08 [en] (Win98; I ;Nav)\"}\n"
    );
}

#[test]
fn a_syslog_is_windowed_by_its_own_time() {
    let out = ok(
        &["-i", "lines", "parse syslog | count by app every 1m"],
        "Mar  1 12:00:05 web1 sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2\n\
         Mar  1 12:00:41 web1 sshd[4243]: Accepted publickey for alice\n\
         Mar  1 12:01:02 web1 CRON[77]: (root) CMD (run-parts /etc/cron.hourly)\n",
    );
    let y = syslog_year(3, 1);
    assert_eq!(
        out,
        format!(
            "{{\"window_start\":\"{y}-03-01T12:00:00.000Z\",\"window_end\":\"{y}-03-01T12:01:00.000Z\",\"app\":\"sshd\",\"count\":2}}\n\
             {{\"window_start\":\"{y}-03-01T12:01:00.000Z\",\"window_end\":\"{y}-03-01T12:02:00.000Z\",\"app\":\"CRON\",\"count\":1}}\n"
        )
    );
}

#[test]
fn a_go_services_logfmt_is_windowed_by_its_time_field() {
    // `-i auto` reads key=value lines as logfmt; `time` is found with no flag.
    let out = ok(
        &["count by level every 1m"],
        "time=2026-03-01T12:00:05.123Z level=info msg=\"request done\" path=/a dur=12ms\n\
         time=2026-03-01T12:00:59.999Z level=error msg=\"upstream timeout\" path=/b dur=30s\n\
         time=2026-03-01T12:01:00Z level=info msg=\"request done\" path=/a dur=9ms\n",
    );
    assert_eq!(
        out,
        "{\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"level\":\"info\",\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"level\":\"error\",\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:01:00.000Z\",\"window_end\":\"2026-03-01T12:02:00.000Z\",\"level\":\"info\",\"count\":1}\n"
    );
}

#[test]
fn a_log4j_line_is_windowed_by_its_comma_fraction_time() {
    let out = ok(
        &[
            "-i",
            "lines",
            r#"parse "* * * [*] * - *" as day, clock, level, thread, logger, msg | eval ts = concat(day, " ", clock) | count by level every 1s | select window_start, level, count"#,
        ],
        "2026-03-01 12:00:05,123 INFO [main] com.example.App - started\n\
         2026-03-01 12:00:05,998 WARN [pool-1] com.example.Db - slow query\n\
         2026-03-01 12:00:06,001 INFO [main] com.example.App - ready\n",
    );
    assert_eq!(
        out,
        "{\"window_start\":\"2026-03-01T12:00:05.000Z\",\"level\":\"INFO\",\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:00:05.000Z\",\"level\":\"WARN\",\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:00:06.000Z\",\"level\":\"INFO\",\"count\":1}\n"
    );
}

#[test]
fn parse_makes_only_what_is_read_with_the_same_rows() {
    // The fields a parse makes are cut to what the pipeline reads; rows are
    // those of the full parse.
    let all = ok(
        &["-i", "lines", "parse nginx | select status, path"],
        COMBINED,
    );
    let cut = ok(
        &[
            "-i",
            "lines",
            "parse nginx | where status != null | select status, path",
        ],
        COMBINED,
    );
    assert_eq!(all.lines().filter(|l| !l.contains("null")).count(), 3);
    assert_eq!(
        cut,
        all.lines()
            .filter(|l| *l != "{\"status\":null,\"path\":null}")
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
}

#[test]
fn a_banner_at_the_top_of_an_nginx_log_does_not_switch_it_to_arrival_time() {
    let (out, err, code) = run(
        &["-i", "lines", "parse nginx | count by status every 1m"],
        &format!("#Software: nginx, log opened\n{COMBINED}"),
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"status\":200,\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:00:00.000Z\",\"window_end\":\"2026-03-01T12:01:00.000Z\",\"status\":503,\"count\":1}\n\
         {\"window_start\":\"2026-03-01T12:01:00.000Z\",\"window_end\":\"2026-03-01T12:02:00.000Z\",\"status\":200,\"count\":1}\n"
    );
    assert_eq!(
        err,
        "<stdin>:1: no time field (later events have `ts`; this one has none of ts, timestamp, time, @timestamp)\n\
         <stdin>:4: no time field `ts`\n\
         streamctl: 2 malformed line(s) skipped\n"
    );
}

#[test]
fn a_text_log_without_any_time_says_it_uses_arrival_time_once() {
    let (out, err, _) = run(
        &[
            "-i",
            "lines",
            "parse \"* *\" as a, b | count every 1h | select count",
        ],
        "x 1\ny 2\nz 3\n",
    );
    assert_eq!(out, "{\"count\":3}\n");
    assert_eq!(
        err,
        "streamctl: no time field (ts, timestamp, time, @timestamp) in the first 3 event(s) reaching \
         `count every 1h`; windows use arrival time (give --time-field F, or --time-field @arrival \
         to choose this)\n"
    );
}

#[test]
fn a_syslog_line_with_text_where_the_date_is_passes_on_unparsed_without_a_panic() {
    // A multi-byte character inside the first 15 bytes (where the date
    // would be) once cut a character in two: exit 101.
    let (out, err, code) = run(
        &["-i", "lines", "--stats", "parse syslog | select host, line"],
        "Mar  1 12:00😀:05 web1 sshd[1]: x\nMär  1 12:00:05 web1 sshd[1]: x\n😀😀😀😀 web1 x\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"host\":null,\"line\":\"Mar  1 12:00😀:05 web1 sshd[1]: x\"}\n\
         {\"host\":null,\"line\":\"Mär  1 12:00:05 web1 sshd[1]: x\"}\n\
         {\"host\":null,\"line\":\"😀😀😀😀 web1 x\"}\n"
    );
    assert!(err.contains("unparsed 3,"), "{err}");
}

#[test]
fn a_syslog_day_written_with_one_space_is_read() {
    // Some daemons and templates write `Mar 1`, not RFC 3164's `Mar  1`.
    let out = ok(
        &["-i", "lines", "parse syslog | drop line"],
        "Mar 1 12:00:06 web1 kernel: oom\n",
    );
    assert_eq!(
        out,
        format!(
            "{{\"ts\":\"{}-03-01T12:00:06.000Z\",\"host\":\"web1\",\"app\":\"kernel\",\"pid\":null,\"message\":\"oom\"}}\n",
            syslog_year(3, 1)
        )
    );
    let out = ok(
        &[
            "-i",
            "lines",
            "--time-format",
            "auto",
            "--time-field",
            "line",
            "eval t = time(line) | select t",
        ],
        "Mar 1 12:00:06\n",
    );
    assert_eq!(
        out,
        format!("{{\"t\":{}}}\n", {
            use chrono::{TimeZone, Utc};
            Utc.with_ymd_and_hms(syslog_year(3, 1), 3, 1, 12, 0, 6)
                .unwrap()
                .timestamp_millis()
        })
    );
}

#[test]
fn parse_apache_error_with_an_ipv6_client() {
    // Apache writes an IPv6 client bare (`::1:58619`) or, behind some
    // proxies and formats, in brackets: a `]` inside a part does not end it.
    let out = ok(
        &["-i", "lines", "parse apache_error | select client, code, message"],
        "[Sun Mar 01 12:00:08.5 2026] [ssl:warn] [pid 7:tid 8] [client [2001:db8::1]:443] AH01909: cert\n\
         [Sun Mar 01 12:00:09 2026] [core:error] [pid 8832] [client ::1:58619] AH00126: Invalid URI\n",
    );
    assert_eq!(
        out,
        "{\"client\":\"[2001:db8::1]:443\",\"code\":\"AH01909\",\"message\":\"cert\"}\n\
         {\"client\":\"::1:58619\",\"code\":\"AH00126\",\"message\":\"Invalid URI\"}\n"
    );
}

#[test]
fn a_request_with_a_space_in_its_path_keeps_the_protocol_apart() {
    // nginx logs the request line as sent: a client that did not encode a
    // space leaves one in the path; the protocol is the last word.
    let out = ok(
        &[
            "-i",
            "lines",
            "parse nginx | select method, path, proto, status",
        ],
        "10.0.0.1 - - [01/Mar/2026:12:00:05 +0000] \"GET /a b.html HTTP/1.1\" 400 0 \"-\" \"-\"\n\
         10.0.0.1 - - [01/Mar/2026:12:00:06 +0000] \"GET / HTTP/1.0\" 200 1 \"-\" \"-\"\n",
    );
    assert_eq!(
        out,
        "{\"method\":\"GET\",\"path\":\"/a b.html\",\"proto\":\"HTTP/1.1\",\"status\":400}\n\
         {\"method\":\"GET\",\"path\":\"/\",\"proto\":\"HTTP/1.0\",\"status\":200}\n"
    );
}

#[test]
fn a_pattern_reads_tab_newline_and_star_escapes() {
    // `\t` in a pattern is a tab (as in the regex of `parse regex`), `\n`
    // the line break of a --multiline-start event, `\*` a literal star.
    let out = ok(
        &["-i", "lines", r#"parse "*\t*" as k, v | select k, v"#],
        "a\tb c\n",
    );
    assert_eq!(out, "{\"k\":\"a\",\"v\":\"b c\"}\n");
    let out = ok(
        &["-i", "lines", r#"parse "* \* *" as a, b | select a, b"#],
        "2 * 3\n",
    );
    assert_eq!(out, "{\"a\":2,\"b\":3}\n");
    let out = ok(
        &[
            "--multiline-start",
            r"^\d{4}-",
            r#"parse "* ERROR *\n*\n" as day, msg, ex | select msg, ex"#,
        ],
        "2026-03-01 ERROR boom\njava.lang.IllegalStateException: x\n\tat A.b(A.java:4)\n",
    );
    assert_eq!(
        out,
        "{\"msg\":\"boom\",\"ex\":\"java.lang.IllegalStateException: x\"}\n"
    );
}

#[test]
fn quotes_escaped_in_a_user_agent_are_read_back() {
    // nginx writes `"` inside a quoted field as `\x22`, Apache as `\"`.
    let out = ok(
        &["-i", "lines", "parse nginx | select referer, user_agent"],
        "10.0.0.1 - - [01/Mar/2026:12:00:05 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 \\x22x\\x22 \\xC3\\xA9\"\n\
         10.0.0.1 - - [01/Mar/2026:12:00:05 +0000] \"GET / HTTP/1.1\" 200 1 \"http://a/?q=\\\"b\\\"\" \"bot \\\\ \\\"y\\\"\"\n",
    );
    assert_eq!(
        out,
        "{\"referer\":null,\"user_agent\":\"Mozilla/5.0 \\\"x\\\" é\"}\n\
         {\"referer\":\"http://a/?q=\\\"b\\\"\",\"user_agent\":\"bot \\\\ \\\"y\\\"\"}\n"
    );
}
