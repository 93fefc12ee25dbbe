//! One-line tests of the parser: every stage, clause, precedence case,
//! escape, duration and error message (rendered, compared exactly), and
//! property tests that no text makes it panic.

use super::*;
use crate::lang::print::print;

// ---- helpers: build trees without spans ----

fn fp(s: &str) -> FieldPath {
    FieldPath {
        parts: s.split('.').map(String::from).collect(),
        span: Span::default(),
    }
}
fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}
fn f(s: &str) -> Expr {
    e(ExprKind::Field(fp(s)))
}
fn int(n: i64) -> Expr {
    e(ExprKind::Literal(Literal::Int(n)))
}
fn s(v: &str) -> Expr {
    e(ExprKind::Literal(Literal::Str(v.into())))
}
fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    e(ExprKind::Binary(op, Box::new(l), Box::new(r)))
}
fn call(name: &str, args: Vec<Expr>) -> Expr {
    e(ExprKind::Call {
        name: name.into(),
        name_span: Span::default(),
        args,
    })
}
fn key(s: &str) -> KeyItem {
    KeyItem {
        expr: f(s),
        name: s.into(),
    }
}
fn agg(func: AggFunc, arg: Option<Expr>, name: &str) -> AggCall {
    AggCall {
        func,
        arg,
        name: name.into(),
        span: Span::default(),
    }
}
fn aggregation(aggs: Vec<AggCall>, by: Vec<KeyItem>) -> Aggregation {
    Aggregation {
        aggs,
        by,
        window: None,
        fill: false,
        emit: Emit::OnClose,
        stats_form: false,
    }
}
fn win(kind: WindowKind) -> Option<Window> {
    Some(Window {
        kind,
        span: Span::default(),
    })
}

/// The stages of `src`, spans zeroed.
fn stages(src: &str) -> Vec<StageKind> {
    match parse(src) {
        Ok(p) => strip::pipeline(p)
            .stages
            .into_iter()
            .map(|s| s.kind)
            .collect(),
        Err(err) => panic!("{}", err.render(src)),
    }
}

fn one(src: &str) -> StageKind {
    let mut v = stages(src);
    assert_eq!(v.len(), 1, "{src}");
    v.remove(0)
}

fn where_expr(src: &str) -> Expr {
    match one(&format!("where {src}")) {
        StageKind::Where(e) => e,
        other => panic!("{other:?}"),
    }
}

/// An expression as an s-expression, to check precedence at a glance.
fn sx(src: &str) -> String {
    fn go(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Field(p) => p.parts.join("."),
            ExprKind::Literal(Literal::Str(v)) => format!("{v:?}"),
            ExprKind::Literal(Literal::Float(v)) => format!("{v:?}"),
            ExprKind::Literal(Literal::Int(v)) => v.to_string(),
            ExprKind::Literal(Literal::Duration(v)) => format!("{v}ms"),
            ExprKind::Literal(Literal::Bool(v)) => v.to_string(),
            ExprKind::Literal(Literal::Null) => "null".into(),
            ExprKind::Unary(UnaryOp::Not, a) => format!("(not {})", go(a)),
            ExprKind::Unary(UnaryOp::Neg, a) => format!("(neg {})", go(a)),
            ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), go(a), go(b)),
            ExprKind::In(a, items) => format!(
                "(in {} [{}])",
                go(a),
                items.iter().map(go).collect::<Vec<_>>().join(" ")
            ),
            ExprKind::Call { name, args, .. } => format!(
                "({name}{})",
                args.iter()
                    .map(|a| format!(" {}", go(a)))
                    .collect::<String>()
            ),
        }
    }
    go(&where_expr(src))
}

fn check_err(src: &str, lines: &[&str]) {
    match parse(src) {
        Ok(p) => panic!("{src:?} parsed: {p:?}"),
        Err(err) => assert_eq!(err.render(src), lines.join("\n") + "\n", "{src:?}"),
    }
}

// ---- stages ----

#[test]
fn where_and_filter() {
    let want = StageKind::Where(bin(BinaryOp::Ge, f("status"), int(500)));
    assert_eq!(one("where status >= 500"), want);
    assert_eq!(one("filter status >= 500"), want);
}

#[test]
fn select_items() {
    assert_eq!(
        one("select a, req.path, a + 1 as x, y = lower(z), b as c.d"),
        StageKind::Select(vec![
            SelectItem {
                expr: f("a"),
                name: fp("a")
            },
            SelectItem {
                expr: f("req.path"),
                name: fp("req.path")
            },
            SelectItem {
                expr: bin(BinaryOp::Add, f("a"), int(1)),
                name: fp("x")
            },
            SelectItem {
                expr: call("lower", vec![f("z")]),
                name: fp("y")
            },
            SelectItem {
                expr: f("b"),
                name: fp("c.d")
            },
        ])
    );
}

#[test]
fn eval_drop_rename() {
    assert_eq!(
        one("eval x = 1, y.z = \"a\""),
        StageKind::Eval(vec![
            Assignment {
                name: fp("x"),
                expr: int(1)
            },
            Assignment {
                name: fp("y.z"),
                expr: s("a")
            },
        ])
    );
    assert_eq!(
        one("drop a, b.c"),
        StageKind::Drop(vec![fp("a"), fp("b.c")])
    );
    assert_eq!(
        one("rename a as b, c.d as e"),
        StageKind::Rename(vec![(fp("a"), fp("b")), (fp("c.d"), fp("e"))])
    );
}

#[test]
fn parse_stages() {
    let src = r#"parse regex "(?P<ms>\d+)ms" from msg"#;
    assert_eq!(
        parse(src).unwrap().stages[0].kind,
        StageKind::Parse {
            kind: ParseKind::Regex {
                pattern: r"(?P<ms>\d+)ms".into(),
                span: Span::new(12, 27)
            },
            from: Some(FieldPath {
                parts: vec!["msg".into()],
                span: Span::new(33, 36)
            }),
        }
    );
    assert_eq!(
        one("parse logfmt"),
        StageKind::Parse {
            kind: ParseKind::Logfmt,
            from: None
        }
    );
    assert_eq!(
        one("parse json from payload"),
        StageKind::Parse {
            kind: ParseKind::Json,
            from: Some(fp("payload"))
        }
    );
}

#[test]
fn count_with_and_without_parentheses() {
    let want = StageKind::Aggregate(aggregation(
        vec![agg(AggFunc::Count, None, "count")],
        vec![],
    ));
    assert_eq!(one("count"), want);
    assert_eq!(one("count()"), want);
    assert_eq!(one("count ( )"), want);
}

#[test]
fn aggregation_clauses() {
    let count = || vec![agg(AggFunc::Count, None, "count")];
    assert_eq!(
        one("count by path every 1m"),
        StageKind::Aggregate(Aggregation {
            window: win(WindowKind::Tumbling { size: 60_000 }),
            ..aggregation(count(), vec![key("path")])
        })
    );
    assert_eq!(
        one("count by a, b.c every 1m slide 10s emit every 10s"),
        StageKind::Aggregate(Aggregation {
            window: win(WindowKind::Hopping {
                size: 60_000,
                slide: 10_000
            }),
            emit: Emit::Every(10_000),
            ..aggregation(count(), vec![key("a"), key("b.c")])
        })
    );
    assert_eq!(
        one("count session 30s emit on update"),
        StageKind::Aggregate(Aggregation {
            window: win(WindowKind::Session { gap: 30_000 }),
            emit: Emit::OnUpdate,
            ..aggregation(count(), vec![])
        })
    );
    assert_eq!(one("count emit on close"), one("count"));
    // Clauses may come in any order.
    assert_eq!(one("count every 1m by path"), one("count by path every 1m"));
    assert_eq!(
        one("count emit on update by path"),
        one("count by path emit on update")
    );
}

#[test]
fn stats_and_names() {
    assert_eq!(
        one("stats count, avg(x) as a, p95(lat), sum(bytes * 8) by path"),
        StageKind::Aggregate(Aggregation {
            stats_form: true,
            ..aggregation(
                vec![
                    agg(AggFunc::Count, None, "count"),
                    agg(AggFunc::Avg, Some(f("x")), "a"),
                    agg(AggFunc::Percentile(95.0), Some(f("lat")), "p95_lat"),
                    agg(
                        AggFunc::Sum,
                        Some(bin(BinaryOp::Mul, f("bytes"), int(8))),
                        "sum_bytes_8"
                    ),
                ],
                vec![key("path")],
            )
        })
    );
}

#[test]
fn default_names() {
    let name = |src: &str| match one(src) {
        StageKind::Aggregate(a) => a.aggs[0].name.clone(),
        StageKind::Running { aggs, .. } => aggs[0].name.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(name("count"), "count");
    assert_eq!(name("sum(latency)"), "sum_latency");
    assert_eq!(name("avg(req.path)"), "avg_req.path");
    assert_eq!(name("avg(`user-agent`)"), "avg_user-agent");
    assert_eq!(name("min(x)"), "min_x");
    assert_eq!(name("max(x)"), "max_x");
    assert_eq!(name("distinct(user)"), "distinct_user");
    assert_eq!(name("p50(x)"), "p50_x");
    assert_eq!(name("p90(x)"), "p90_x");
    assert_eq!(name("p99(x)"), "p99_x");
    assert_eq!(name("percentile(x, 99.9)"), "p99.9_x");
    assert_eq!(name("percentile(x, 50)"), "p50_x");
    assert_eq!(name("stddev(x)"), "stddev_x");
    assert_eq!(name("first(x)"), "first_x");
    assert_eq!(name("last(x)"), "last_x");
    assert_eq!(name("running ewma(x, 0.3)"), "ewma_x");
    assert_eq!(name("sum(a+b)"), "sum_a_b");
    assert_eq!(name("sum((a + b) * 2)"), "sum_a_b_2");
    assert_eq!(name("avg(len(req.path))"), "avg_len_req_path");
    assert_eq!(name("sum(-x)"), "sum_x");
    assert_eq!(name("sum(\"\")"), "sum");
    assert_eq!(name("sum(x) as total"), "total");
    assert_eq!(name("sum(x) as `total bytes`"), "total bytes");
}

#[test]
fn aggregate_functions() {
    let func = |src: &str| match one(src) {
        StageKind::Aggregate(a) => a.aggs[0].func,
        StageKind::Running { aggs, .. } => aggs[0].func,
        other => panic!("{other:?}"),
    };
    assert_eq!(func("p50(x)"), AggFunc::Percentile(50.0));
    assert_eq!(func("percentile(x, 99.9)"), AggFunc::Percentile(99.9));
    assert_eq!(func("percentile(x, 0)"), AggFunc::Percentile(0.0));
    assert_eq!(func("percentile(x, 100)"), AggFunc::Percentile(100.0));
    assert_eq!(func("running ewma(x, 0.3)"), AggFunc::Ewma(0.3));
    assert_eq!(func("running ewma(x, 1)"), AggFunc::Ewma(1.0));
}

#[test]
fn bare_field_after_an_aggregate_name() {
    assert_eq!(
        one("avg latency_ms by path"),
        StageKind::Aggregate(aggregation(
            vec![agg(AggFunc::Avg, Some(f("latency_ms")), "avg_latency_ms")],
            vec![key("path")]
        ))
    );
    assert_eq!(one("sum req.bytes"), one("sum(req.bytes)"));
    assert_eq!(one("p99 `t-ms`"), one("p99(`t-ms`)"));
}

#[test]
fn keys_with_expressions() {
    assert_eq!(
        one("count by len(path) as plen, host"),
        StageKind::Aggregate(aggregation(
            vec![agg(AggFunc::Count, None, "count")],
            vec![
                KeyItem {
                    expr: call("len", vec![f("path")]),
                    name: "plen".into()
                },
                key("host"),
            ]
        ))
    );
    assert_eq!(
        one("count by path as p"),
        StageKind::Aggregate(aggregation(
            vec![agg(AggFunc::Count, None, "count")],
            vec![KeyItem {
                expr: f("path"),
                name: "p".into()
            }]
        ))
    );
}

#[test]
fn running() {
    assert_eq!(
        one("running count, ewma(x, 0.3) by k over 5m"),
        StageKind::Running {
            aggs: vec![
                agg(AggFunc::Count, None, "count"),
                agg(AggFunc::Ewma(0.3), Some(f("x")), "ewma_x"),
            ],
            by: vec![key("k")],
            scope: RunningScope::Over(300_000),
        }
    );
    assert_eq!(
        one("running sum x last 100"),
        StageKind::Running {
            aggs: vec![agg(AggFunc::Sum, Some(f("x")), "sum_x")],
            by: vec![],
            scope: RunningScope::Last(100),
        }
    );
    assert_eq!(
        one("running avg(x)"),
        StageKind::Running {
            aggs: vec![agg(AggFunc::Avg, Some(f("x")), "avg_x")],
            by: vec![],
            scope: RunningScope::Cumulative,
        }
    );
}

#[test]
fn joins() {
    let src = "left join ./data/u.jsonl on uid = id prefix u_";
    assert_eq!(
        parse(src).unwrap().stages[0].kind,
        StageKind::Join(Join {
            left: true,
            file: "./data/u.jsonl".into(),
            file_span: Span::new(10, 24),
            key: FieldPath {
                parts: vec!["uid".into()],
                span: Span::new(28, 31)
            },
            lookup_key: Some("id".into()),
            prefix: Some("u_".into()),
        })
    );
    assert_eq!(
        one("join users.csv on user_id"),
        StageKind::Join(Join {
            left: false,
            file: "users.csv".into(),
            file_span: Span::default(),
            key: fp("user_id"),
            lookup_key: None,
            prefix: None,
        })
    );
    assert_eq!(
        one(r#"join "my users.csv" on `user-id` prefix "u.""#),
        StageKind::Join(Join {
            left: false,
            file: "my users.csv".into(),
            file_span: Span::default(),
            key: FieldPath {
                parts: vec!["user-id".into()],
                span: Span::default()
            },
            lookup_key: None,
            prefix: Some("u.".into()),
        })
    );
    // A file name may look like anything, `|` ends it.
    assert_eq!(stages("join 5x.csv on id|head 1").len(), 2);
}

#[test]
fn dedup_head_top() {
    assert_eq!(
        one("dedup a, b within 10m"),
        StageKind::Dedup {
            keys: vec![key("a"), key("b")],
            within: Some(Duration {
                millis: 600_000,
                span: Span::default()
            }),
        }
    );
    assert_eq!(
        one("dedup id"),
        StageKind::Dedup {
            keys: vec![key("id")],
            within: None
        }
    );
    assert_eq!(one("head 10"), StageKind::Head(10));
    assert_eq!(
        one("top 5 path by avg(latency) every 1m"),
        StageKind::Top {
            n: 5,
            keys: vec![key("path")],
            by: Some(agg(AggFunc::Avg, Some(f("latency")), "avg_latency")),
            window: win(WindowKind::Tumbling { size: 60_000 }),
            emit: Emit::OnClose,
        }
    );
    assert_eq!(
        one("top 3 a, b"),
        StageKind::Top {
            n: 3,
            keys: vec![key("a"), key("b")],
            by: None,
            window: None,
            emit: Emit::OnClose,
        }
    );
    assert_eq!(
        one("top 3 a emit every 2s"),
        StageKind::Top {
            n: 3,
            keys: vec![key("a")],
            by: None,
            window: None,
            emit: Emit::Every(2000),
        }
    );
}

#[test]
fn stage_spans_and_many_stages() {
    let p = parse("where a | head 1\n| count").unwrap();
    let spans: Vec<Span> = p.stages.iter().map(|s| s.span).collect();
    assert_eq!(
        spans,
        vec![Span::new(0, 7), Span::new(10, 16), Span::new(19, 24)]
    );
}

#[test]
fn empty_pipeline_passes_everything() {
    assert_eq!(parse("").unwrap(), Pipeline { stages: vec![] });
    assert_eq!(
        parse("  \n # just a comment\n").unwrap(),
        Pipeline { stages: vec![] }
    );
}

#[test]
fn keywords_are_contextual() {
    assert_eq!(
        sx("count > 10 and last < 3"),
        "(and (> count 10) (< last 3))"
    );
    assert_eq!(sx("by == every"), "(== by every)");
    assert_eq!(
        one("count by last"),
        StageKind::Aggregate(aggregation(
            vec![agg(AggFunc::Count, None, "count")],
            vec![key("last")]
        ))
    );
    assert_eq!(
        one("running count by last last 5"),
        StageKind::Running {
            aggs: vec![agg(AggFunc::Count, None, "count")],
            by: vec![key("last")],
            scope: RunningScope::Last(5),
        }
    );
    assert_eq!(
        one("select count, where"),
        StageKind::Select(vec![
            SelectItem {
                expr: f("count"),
                name: fp("count")
            },
            SelectItem {
                expr: f("where"),
                name: fp("where")
            },
        ])
    );
    assert_eq!(sx("`and` == `not`"), "(== and not)");
    assert_eq!(sx("a.and"), "a.and");
}

// ---- expressions ----

#[test]
fn fields() {
    assert_eq!(sx("status"), "status");
    assert_eq!(sx("req.path.full"), "req.path.full");
    assert_eq!(
        where_expr("`user-agent`"),
        e(ExprKind::Field(FieldPath {
            parts: vec!["user-agent".into()],
            span: Span::default()
        }))
    );
    assert_eq!(sx("@timestamp"), "@timestamp");
    assert_eq!(sx("a.`b c`.d"), "a.b c.d");
}

#[test]
fn literals() {
    assert_eq!(sx("42"), "42");
    assert_eq!(sx("-1.5"), "-1.5");
    assert_eq!(sx("2.0"), "2.0");
    assert_eq!(sx("1e3"), "1000.0");
    assert_eq!(sx("\"text\""), "\"text\"");
    assert_eq!(sx("'text'"), "\"text\"");
    assert_eq!(sx("true"), "true");
    assert_eq!(sx("false"), "false");
    assert_eq!(sx("null"), "null");
    assert_eq!(sx("-9223372036854775808"), "-9223372036854775808");
}

#[test]
fn durations() {
    assert_eq!(sx("250ms"), "250ms");
    assert_eq!(sx("30s"), "30000ms");
    assert_eq!(sx("5m"), "300000ms");
    assert_eq!(sx("1h"), "3600000ms");
    assert_eq!(sx("1d"), "86400000ms");
    assert_eq!(sx("1m30s"), "90000ms");
    assert_eq!(sx("-5m"), "-300000ms");
    assert_eq!(
        where_expr("1m30s"),
        e(ExprKind::Literal(Literal::Duration(90_000)))
    );
}

#[test]
fn string_escapes() {
    assert_eq!(where_expr(r#""a\"b""#), s("a\"b"));
    assert_eq!(where_expr(r#""a\\b""#), s(r"a\b"));
    assert_eq!(where_expr(r#""\d+\s""#), s(r"\d+\s"));
    assert_eq!(where_expr(r"'it\'s'"), s("it's"));
    assert_eq!(where_expr(r#"'\"'"#), s(r#"\""#));
    assert_eq!(where_expr(r#""\'""#), s(r"\'"));
    assert_eq!(where_expr(r"'a\\'"), s(r"a\"));
}

#[test]
fn precedence() {
    assert_eq!(sx("a or b and c"), "(or a (and b c))");
    assert_eq!(sx("a || b && c"), "(or a (and b c))");
    assert_eq!(sx("a and b or c"), "(or (and a b) c)");
    assert_eq!(sx("a or b or c"), "(or (or a b) c)");
    assert_eq!(sx("not a and b"), "(and (not a) b)");
    assert_eq!(sx("!a || b"), "(or (not a) b)");
    assert_eq!(sx("not a == b"), "(not (== a b))");
    assert_eq!(sx("not not a"), "(not (not a))");
    assert_eq!(sx("a == 1 + 2 * 3"), "(== a (+ 1 (* 2 3)))");
    assert_eq!(sx("a + b < c * d"), "(< (+ a b) (* c d))");
    assert_eq!(sx("a - b - c"), "(- (- a b) c)");
    assert_eq!(sx("a / b % c * d"), "(* (% (/ a b) c) d)");
    assert_eq!(sx("-a * b"), "(* (neg a) b)");
    assert_eq!(sx("-(a * b)"), "(neg (* a b))");
    assert_eq!(sx("-(5)"), "(neg 5)");
    assert_eq!(sx("--a"), "(neg (neg a))");
    assert_eq!(sx("a - -5"), "(- a -5)");
    assert_eq!(sx("a-1"), "(- a 1)");
    assert_eq!(sx("(a or b) and c"), "(and (or a b) c)");
    assert_eq!(sx("a and (b == c) == d"), "(and a (== (== b c) d))");
}

#[test]
fn comparisons() {
    assert_eq!(sx("a == b"), "(== a b)");
    assert_eq!(sx("a != b"), "(!= a b)");
    assert_eq!(sx("a < b"), "(< a b)");
    assert_eq!(sx("a <= b"), "(<= a b)");
    assert_eq!(sx("a > b"), "(> a b)");
    assert_eq!(sx("a >= b"), "(>= a b)");
    assert_eq!(sx("a =~ \"^x\""), "(=~ a \"^x\")");
    assert_eq!(sx("a !~ \"^x\""), "(!~ a \"^x\")");
    assert_eq!(sx("a contains \"x\""), "(contains a \"x\")");
    assert_eq!(sx("a startswith \"x\""), "(startswith a \"x\")");
    assert_eq!(sx("a endswith \"x\""), "(endswith a \"x\")");
    assert_eq!(sx("a in [1, \"two\", null]"), "(in a [1 \"two\" null])");
    assert_eq!(sx("a + 1 in []"), "(in (+ a 1) [])");
    assert_eq!(sx("a in [1] and b"), "(and (in a [1]) b)");
}

#[test]
fn calls() {
    assert_eq!(sx("now()"), "(now)");
    assert_eq!(sx("substr(s, 0, 3)"), "(substr s 0 3)");
    assert_eq!(
        sx("if(a > 1, lower(b), \"x\")"),
        "(if (> a 1) (lower b) \"x\")"
    );
    assert_eq!(sx("bucket(time(ts), 5m)"), "(bucket (time ts) 300000ms)");
    // Any word may name a function; the planner checks it.
    assert_eq!(sx("count(x)"), "(count x)");
}

#[test]
fn prints_back_what_it_parsed() {
    for (src, want) in [
        ("filter a", "where a"),
        ("count()", "count"),
        ("count emit on close", "count"),
        ("avg latency_ms by path", "avg(latency_ms) by path"),
        ("select y = lower(z)", "select lower(z) as y"),
        ("where a || b && !c", "where a or b and not c"),
        ("where x !~ 'z\\'q'", "where x !~ \"z'q\""),
        ("where a == 90s", "where a == 1m30s"),
        ("percentile(x, 50)", "p50(x)"),
    ] {
        assert_eq!(print(&parse(src).unwrap()), want, "{src}");
    }
}

// ---- any text: never a panic, and whatever parses prints back ----

fn survives(src: &str) {
    match parse(src) {
        Ok(p) => {
            let text = print(&p);
            match parse(&text) {
                Ok(back) => assert_eq!(
                    strip::pipeline(back),
                    strip::pipeline(p),
                    "{src:?} → {text:?}"
                ),
                Err(e) => panic!("{src:?} printed as {text:?}:\n{}", e.render(&text)),
            }
        }
        Err(e) => {
            let shown = e.render(src);
            assert!(shown.starts_with("error: "), "{shown}");
        }
    }
}

const WORDS: [&str; 64] = [
    "where",
    "filter",
    "select",
    "eval",
    "drop",
    "rename",
    "parse",
    "regex",
    "logfmt",
    "json",
    "from",
    "stats",
    "running",
    "join",
    "left",
    "on",
    "prefix",
    "dedup",
    "within",
    "head",
    "top",
    "count",
    "sum",
    "avg",
    "p99",
    "percentile",
    "ewma",
    "last",
    "by",
    "every",
    "slide",
    "session",
    "emit",
    "close",
    "update",
    "over",
    "as",
    "and",
    "or",
    "not",
    "in",
    "contains",
    "true",
    "null",
    "|",
    "||",
    "&&",
    "!",
    "==",
    "=",
    "=~",
    "<",
    "+",
    "-",
    "*",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "5",
    "1m",
    "\"(?P<a>x)\"",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 2000, ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn never_panics_on_any_text(src in "\\PC{0,40}") {
        survives(&src);
    }

    #[test]
    fn never_panics_on_pipeline_like_text(
        words in proptest::collection::vec(proptest::sample::select(WORDS.to_vec()), 0..16),
        glue in proptest::sample::select(vec![" ", "", "\n", " x "]),
    ) {
        survives(&words.join(glue));
    }
}

// ---- errors ----

#[test]
fn errors() {
    check_err(
        "where status >= 500 | cout by path",
        &[
            "error: unknown stage `cout`",
            "  |",
            "1 | where status >= 500 | cout by path",
            "  |                       ^^^^ did you mean `count`?",
        ],
    );
    check_err(
        "where a || | head 1",
        &[
            "error: expected an expression after `||`, found `|`",
            "  |",
            "1 | where a || | head 1",
            "  |            ^",
        ],
    );
    check_err(
        "head 1 | | head 2",
        &[
            "error: empty stage between `|` and `|`",
            "  |",
            "1 | head 1 | | head 2",
            "  |        ^^^",
        ],
    );
    check_err(
        "head 1 || head 2",
        &[
            "error: empty stage between `|` and `|`",
            "  |",
            "1 | head 1 || head 2",
            "  |        ^^",
        ],
    );
    check_err(
        "head 1 |",
        &[
            "error: expected a stage after `|`",
            "  |",
            "1 | head 1 |",
            "  |         ^",
        ],
    );
    check_err(
        "| head 1",
        &[
            "error: expected a stage before `|`",
            "  |",
            "1 | | head 1",
            "  | ^",
        ],
    );
    check_err(
        "5",
        &[
            "error: expected a stage, found `5`",
            "  |",
            "1 | 5",
            "  | ^",
        ],
    );
    check_err(
        "where",
        &[
            "error: expected an expression after `where`",
            "  |",
            "1 | where",
            "  |      ^",
        ],
    );
    check_err(
        "where |",
        &[
            "error: expected an expression after `where`, found `|`",
            "  |",
            "1 | where |",
            "  |       ^",
        ],
    );
    check_err(
        "where and",
        &[
            "error: expected an expression after `where`, found `and`",
            "  |",
            "1 | where and",
            "  |       ^^^",
        ],
    );
    check_err(
        "where (a | head 1",
        &[
            "error: expected `)`, found `|`",
            "  |",
            "1 | where (a | head 1",
            "  |          ^",
        ],
    );
    check_err(
        "where 1 < a < 3",
        &[
            "error: comparison operators cannot be chained",
            "  |",
            "1 | where 1 < a < 3",
            "  |             ^ combine comparisons with `and`, or add parentheses",
        ],
    );
    check_err(
        "where [1]",
        &[
            "error: a list `[…]` is only allowed after `in`",
            "  |",
            "1 | where [1]",
            "  |       ^",
        ],
    );
    check_err(
        "where a == 9223372036854775808",
        &[
            "error: integer `9223372036854775808` is too large",
            "  |",
            "1 | where a == 9223372036854775808",
            "  |            ^^^^^^^^^^^^^^^^^^^",
        ],
    );
    check_err(
        "count every abc",
        &[
            "error: expected a duration like 30s or 5m, found `abc`",
            "  |",
            "1 | count every abc",
            "  |             ^^^",
        ],
    );
    check_err(
        "count every 5",
        &[
            "error: expected a duration like 30s or 5m, found `5`",
            "  |",
            "1 | count every 5",
            "  |             ^ add a unit: ms, s, m, h or d",
        ],
    );
    check_err(
        "count every 0s",
        &[
            "error: a duration must be greater than zero",
            "  |",
            "1 | count every 0s",
            "  |             ^^",
        ],
    );
    check_err(
        "stats cuont",
        &[
            "error: unknown aggregate `cuont`",
            "  |",
            "1 | stats cuont",
            "  |       ^^^^^ did you mean `count`?",
        ],
    );
    check_err(
        "stats 5",
        &[
            "error: expected an aggregate like `count` or `avg(x)`, found `5`",
            "  |",
            "1 | stats 5",
            "  |       ^",
        ],
    );
    check_err(
        "count(x)",
        &[
            "error: `count` takes no argument",
            "  |",
            "1 | count(x)",
            "  |       ^ write `count` or `count()`",
        ],
    );
    check_err(
        "avg by path",
        &[
            "error: expected `(` or a field after `avg`, found `by`",
            "  |",
            "1 | avg by path",
            "  |     ^^",
        ],
    );
    check_err(
        "ewma(x, 0.5)",
        &[
            "error: `ewma` is only allowed in `running`",
            "  |",
            "1 | ewma(x, 0.5)",
            "  | ^^^^ write `running ewma(x, 0.3)`",
        ],
    );
    check_err(
        "percentile(x, 101)",
        &[
            "error: a percentile must be between 0 and 100",
            "  |",
            "1 | percentile(x, 101)",
            "  |               ^^^",
        ],
    );
    check_err(
        "running ewma(x, 2)",
        &[
            "error: alpha must be greater than 0 and at most 1",
            "  |",
            "1 | running ewma(x, 2)",
            "  |                 ^",
        ],
    );
    check_err(
        "count by len(path)",
        &[
            "error: a key that is an expression needs a name",
            "  |",
            "1 | count by len(path)",
            "  |          ^^^^^^^^^ add `as name` after it",
        ],
    );
    check_err(
        "select a + 1",
        &[
            "error: a computed item needs a name",
            "  |",
            "1 | select a + 1",
            "  |        ^^^^^ add `as name` after it, or write `name = …`",
        ],
    );
    check_err(
        "count by a by b",
        &[
            "error: duplicate `by`",
            "  |",
            "1 | count by a by b",
            "  |            ^^",
        ],
    );
    check_err(
        "count emit x",
        &[
            "error: expected `on close`, `on update` or `every D`, found `x`",
            "  |",
            "1 | count emit x",
            "  |            ^",
        ],
    );
    check_err(
        "count emit on clsoe",
        &[
            "error: expected `close` or `update`, found `clsoe`",
            "  |",
            "1 | count emit on clsoe",
            "  |               ^^^^^ did you mean `close`?",
        ],
    );
    check_err(
        "count emti on close",
        &[
            "error: expected `by`, `every`, `session`, `emit`, `|` or end of pipeline, found `emti`",
            "  |",
            "1 | count emti on close",
            "  |       ^^^^ did you mean `emit`?",
        ],
    );
    check_err(
        "count evry 1m",
        &[
            "error: expected `by`, `every`, `session`, `emit`, `|` or end of pipeline, found `evry`",
            "  |",
            "1 | count evry 1m",
            "  |       ^^^^ did you mean `every`?",
        ],
    );
    check_err(
        "count by path sesion 5m",
        &[
            "error: expected `,`, `every`, `session`, `emit`, `|` or end of pipeline, found `sesion`",
            "  |",
            "1 | count by path sesion 5m",
            "  |               ^^^^^^ did you mean `session`?",
        ],
    );
    check_err(
        "running count over 1m last 5",
        &[
            "error: `over` and `last` cannot be combined",
            "  |",
            "1 | running count over 1m last 5",
            "  |                       ^^^^ a running aggregate has one scope",
        ],
    );
    check_err(
        "left x",
        &[
            "error: expected `join`, found `x`",
            "  |",
            "1 | left x",
            "  |      ^",
        ],
    );
    check_err(
        "join",
        &[
            "error: expected a file after `join`",
            "  |",
            "1 | join",
            "  |     ^",
        ],
    );
    check_err(
        "join u.csv x",
        &[
            "error: expected `on`, found `x`",
            "  |",
            "1 | join u.csv x",
            "  |            ^",
        ],
    );
    check_err(
        "parse xml",
        &[
            "error: expected `regex`, `logfmt`, `json`, `nginx`, `apache`, `apache_error`, `syslog` or a quoted pattern, found `xml`",
            "  |",
            "1 | parse xml",
            "  |       ^^^",
        ],
    );
    check_err(
        "parse regex \"(a\"",
        &[
            "error: invalid regex: unclosed group",
            "  |",
            "1 | parse regex \"(a\"",
            "  |             ^^^^",
        ],
    );
    check_err(
        "parse regex \"a+\"",
        &[
            "error: the regex has no named group",
            "  |",
            "1 | parse regex \"a+\"",
            "  |             ^^^^ name the groups that become fields, like (?P<ms>\\d+)",
        ],
    );
    check_err(
        "drop 5",
        &[
            "error: expected a field, found `5`",
            "  |",
            "1 | drop 5",
            "  |      ^",
        ],
    );
    check_err(
        "head x",
        &[
            "error: expected a count like 10, found `x`",
            "  |",
            "1 | head x",
            "  |      ^",
        ],
    );
    check_err(
        "where x == \"abc",
        &[
            "error: unterminated string",
            "  |",
            "1 | where x == \"abc",
            "  |            ^ add the closing \"",
        ],
    );
    check_err(
        "WHERE a",
        &[
            "error: unknown stage `WHERE`",
            "  |",
            "1 | WHERE a",
            "  | ^^^^^ did you mean `where`?",
        ],
    );
    check_err(
        "where a adn b",
        &[
            "error: expected an operator, `|` or end of pipeline, found `adn`",
            "  |",
            "1 | where a adn b",
            "  |         ^^^ did you mean `and`?",
        ],
    );
    check_err(
        "where a > 1 head 5",
        &[
            "error: expected an operator, `|` or end of pipeline, found `head`",
            "  |",
            "1 | where a > 1 head 5",
            "  |             ^^^^ a new stage starts with `|`: `| head …`",
        ],
    );
    check_err(
        "count, sum(x)",
        &[
            "error: expected `by`, `every`, `session`, `emit`, `|` or end of pipeline, found `,`",
            "  |",
            "1 | count, sum(x)",
            "  |      ^ several aggregates are written `stats count, avg(x)`",
        ],
    );
    check_err(
        "sum(a, b)",
        &[
            "error: `sum` takes one argument",
            "  |",
            "1 | sum(a, b)",
            "  |      ^",
        ],
    );
    check_err(
        "where a.5",
        &[
            "error: expected a field name, found `5`",
            "  |",
            "1 | where a.5",
            "  |         ^",
        ],
    );
    check_err(
        "where a $ b",
        &[
            "error: unexpected character `$`",
            "  |",
            "1 | where a $ b",
            "  |         ^",
        ],
    );
    check_err(
        "eval x == 1",
        &[
            "error: expected `=`, found `==`",
            "  |",
            "1 | eval x == 1",
            "  |        ^^",
        ],
    );
    check_err(
        "where x in 1",
        &[
            "error: expected `[` and a list of values, found `1`",
            "  |",
            "1 | where x in 1",
            "  |            ^",
        ],
    );
    check_err(
        "where f(a, b",
        &[
            "error: expected `,` or `)` after `b`",
            "  |",
            "1 | where f(a, b",
            "  |             ^",
        ],
    );
    check_err(
        "rename a b",
        &[
            "error: expected `as`, found `b`",
            "  |",
            "1 | rename a b",
            "  |          ^",
        ],
    );
    check_err(
        "where not",
        &[
            "error: expected an expression after `not`",
            "  |",
            "1 | where not",
            "  |          ^",
        ],
    );
    check_err(
        "percentile(x 99)",
        &[
            "error: expected `,` and a percentile like 99.9, found `99`",
            "  |",
            "1 | percentile(x 99)",
            "  |              ^^",
        ],
    );
    check_err(
        "top 5",
        &[
            "error: expected a key like `path` after `5`",
            "  |",
            "1 | top 5",
            "  |      ^",
        ],
    );
    check_err(
        "where\n  a ==\n  | head 1",
        &[
            "error: expected an expression after `==`, found `|`",
            "  |",
            "3 |   | head 1",
            "  |   ^",
        ],
    );
    check_err(
        "where a\n| where b\n| where c\n| where d\n| where e\n| where f\n| where g\n| where h\n| where i\n| cuont",
        &[
            "error: unknown stage `cuont`",
            "   |",
            "10 | | cuont",
            "   |   ^^^^^ did you mean `count`?",
        ],
    );
    check_err(
        "where and and and and and and and and and and and and and and and and and",
        &[
            "error: expected an expression after `where`, found `and`",
            "  |",
            "1 | where and and and and and and and and and and and and and and and and and",
            "  |       ^^^",
        ],
    );
}

#[test]
fn more_errors() {
    check_err(
        "count every 1m session 5m",
        &[
            "error: an aggregation has only one window",
            "  |",
            "1 | count every 1m session 5m",
            "  |                ^^^^^^^",
        ],
    );
    check_err(
        "count emit on update emit on close",
        &[
            "error: duplicate `emit`",
            "  |",
            "1 | count emit on update emit on close",
            "  |                      ^^^^",
        ],
    );
    check_err(
        "top 5 by count",
        &[
            "error: expected a key like `path`, found `by`",
            "  |",
            "1 | top 5 by count",
            "  |       ^^",
        ],
    );
    check_err(
        "top 5 path emit on update",
        &[
            "error: `top` ranks all groups at once; it has no `emit on update`, use `emit every D` to watch it",
            "  |",
            "1 | top 5 path emit on update",
            "  |            ^^^^^^^^^^^^^^",
        ],
    );
    check_err(
        "parse regex x",
        &[
            "error: expected a quoted regex like \"(?P<ms>\\d+)ms\", found `x`",
            "  |",
            "1 | parse regex x",
            "  |             ^",
        ],
    );
    check_err(
        "where 1.5s",
        &[
            "error: invalid number `1.5s`",
            "  |",
            "1 | where 1.5s",
            "  |       ^^^^",
        ],
    );
    check_err(
        "where `abc",
        &[
            "error: unterminated quoted name",
            "  |",
            "1 | where `abc",
            "  |       ^ add the closing `",
        ],
    );
    check_err(
        "where -18446744073709551615",
        &[
            "error: integer `-18446744073709551615` is too large",
            "  |",
            "1 | where -18446744073709551615",
            "  |       ^^^^^^^^^^^^^^^^^^^^^",
        ],
    );
    check_err(
        "join",
        &[
            "error: expected a file after `join`",
            "  |",
            "1 | join",
            "  |     ^",
        ],
    );
}

#[test]
fn errors_with_hints() {
    check_err(
        "where status = 500",
        &[
            "error: expected an operator, `|` or end of pipeline, found `=`",
            "  |",
            "1 | where status = 500",
            "  |              ^ compare with `==`",
        ],
    );
    check_err(
        "where x not in [1]",
        &[
            "error: expected an operator, `|` or end of pipeline, found `not`",
            "  |",
            "1 | where x not in [1]",
            "  |         ^^^ write `not (x in […])`",
        ],
    );
    check_err(
        "where x > .5",
        &[
            "error: expected an expression after `>`, found `.`",
            "  |",
            "1 | where x > .5",
            "  |           ^ write a leading zero: `0.5`",
        ],
    );
    check_err(
        "p99.9(x)",
        &[
            "error: expected `(` or a field after `p99`, found `.`",
            "  |",
            "1 | p99.9(x)",
            "  |    ^ other percentiles are written `percentile(x, 99.9)`",
        ],
    );
    check_err(
        "head -5",
        &[
            "error: expected a count like 10, found `-`",
            "  |",
            "1 | head -5",
            "  |      ^",
        ],
    );
    check_err(
        "stats count as",
        &[
            "error: expected a name after `as`",
            "  |",
            "1 | stats count as",
            "  |               ^",
        ],
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for src in [
        format!("where {}a{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("where {}a", "not ".repeat(10_000)),
        format!("where {}a", "-".repeat(10_000)),
        format!("where a{}", " + a".repeat(10_000)),
        format!("where a{}", " or a".repeat(10_000)),
        format!("where {}", "f(".repeat(10_000)),
        format!("where a in {}", "[a in ".repeat(10_000)),
    ] {
        let err = parse(&src).unwrap_err();
        assert_eq!(
            err.message,
            "expression nested too deeply",
            "{}",
            &src[..20]
        );
    }
    // As deep as allowed still parses, prints and parses back.
    let src = format!("where {}a{}", "(".repeat(31), ")".repeat(31));
    assert_eq!(print(&parse(&src).unwrap()), "where a");
    let src = format!("where a{}", " + a".repeat(250));
    assert_eq!(
        parse(&print(&parse(&src).unwrap())).map(strip::pipeline),
        parse(&src).map(strip::pipeline)
    );
}

#[test]
fn long_text_is_cut_short_in_messages() {
    let long = "x".repeat(50);
    let src = format!("where f(\"{long}\"");
    assert_eq!(
        parse(&src).unwrap_err().message,
        format!("expected `,` or `)` after `\"{}…`", "x".repeat(39))
    );
    let src = format!("head `{long}`");
    assert_eq!(
        parse(&src).unwrap_err().message,
        format!("expected a count like 10, found ``{}…`", "x".repeat(39))
    );
}
