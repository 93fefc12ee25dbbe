//! Expressions and value rules (DESIGN §3) through the real binary.
mod util;

use util::{ok, run};

/// Evaluate `expr` against `event` with `eval r = EXPR | select r`. The
/// field `missing` is never there: stderr may say so (tests/never_present.rs).
fn eval(event: &str, expr: &str) -> String {
    let (out, err, code) = run(
        &[&format!("eval r = {expr} | select r")],
        &format!("{event}\n"),
    );
    assert_eq!(code, 0, "{expr}: {err}");
    assert!(
        err.is_empty() || err.starts_with("streamctl: field `missing` was never present"),
        "{expr}: {err}"
    );
    let v: serde_json::Value = serde_json::from_str(out.trim_end()).expect("one JSON line");
    v["r"].to_string()
}

const EV: &str = r#"{"status":"500","code":404,"ms":12.5,"path":"/api/users","tags":["a","b"],"user":{"name":"Ann"},"nothing":null}"#;

#[test]
fn comparisons_follow_the_contract() {
    for (expr, want) in [
        ("status == 500", "true"),
        ("status >= 500", "true"),
        ("code > \"42\"", "true"),
        ("path < \"/b\"", "true"),
        ("missing == null", "true"),
        ("nothing == null", "true"),
        ("missing != 5", "false"),
        ("missing < 5", "false"),
        ("missing > 5", "false"),
        ("code != null", "true"),
        ("code in [1, 404]", "true"),
        ("path contains \"users\"", "true"),
        ("tags contains \"b\"", "true"),
        (
            "path startswith \"/api\" and path endswith \"users\"",
            "true",
        ),
        ("path =~ \"^/api/\\w+$\"", "true"),
        ("path !~ \"admin\"", "true"),
        ("missing =~ \".\"", "false"),
        ("not code == 404 or ms > 10", "true"),
        ("!(code == 404) || false", "false"),
        ("user.name == \"Ann\"", "true"),
    ] {
        assert_eq!(eval(EV, expr), want, "{expr}");
    }
}

#[test]
fn arithmetic_and_nulls() {
    for (expr, want) in [
        ("code + 1", "405"),
        ("code * 2 - 8", "800"),
        ("code / 4", "101.0"),
        ("8 / 4", "2.0"),
        ("code % 10", "4"),
        ("-ms", "-12.5"),
        ("missing + 1", "null"),
        ("path + 1", "null"),
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("code / 0", "null"),
        ("250ms + 1s", "1250"),
    ] {
        assert_eq!(eval(EV, expr), want, "{expr}");
    }
}

#[test]
fn functions() {
    for (expr, want) in [
        ("lower(\"AbC\")", "\"abc\""),
        ("upper(path)", "\"/API/USERS\""),
        ("len(path)", "10"),
        ("len(tags)", "2"),
        ("trim(\"  x \")", "\"x\""),
        ("substr(path, 1, 3)", "\"api\""),
        ("split(path, \"/\")", "[\"\",\"api\",\"users\"]"),
        ("replace(path, \"/(\\w+)\", \"<$1>\")", "\"<api><users>\""),
        ("abs(-3)", "3"),
        ("round(ms)", "13"),
        ("round(3.14159, 2)", "3.14"),
        ("floor(ms)", "12"),
        ("ceil(ms)", "13"),
        ("int(status)", "500"),
        ("float(code)", "404.0"),
        ("str(code)", "\"404\""),
        ("exists(nothing)", "true"),
        ("exists(missing)", "false"),
        ("coalesce(missing, nothing, code)", "404"),
        ("if(code > 400, \"bad\", \"ok\")", "\"bad\""),
        ("time(\"2026-01-02T03:04:05.250Z\")", "1767323045250"),
        ("bucket(1767323045250, 1m)", "1767323040000"),
    ] {
        assert_eq!(eval(EV, expr), want, "{expr}");
    }
}

#[test]
fn where_keeps_only_true_events() {
    let input = "{\"x\":1}\n{\"x\":null}\n{}\n{\"x\":\"1\"}\n";
    assert_eq!(ok(&["where x == 1"], input), "{\"x\":1}\n{\"x\":\"1\"}\n");
    assert_eq!(ok(&["where x != 1"], input), "");
    assert_eq!(ok(&["filter x == null"], input), "{\"x\":null}\n{}\n");
}

#[test]
fn select_eval_drop_rename() {
    let input = "{\"a\":1,\"b\":2,\"c\":3}\n";
    assert_eq!(ok(&["select c, a"], input), "{\"c\":3,\"a\":1}\n");
    let (out, err, _) = run(&["select a + b as s, t = c * 2, z"], input);
    assert_eq!(out, "{\"s\":3,\"t\":6,\"z\":null}\n");
    assert_eq!(
        err,
        "streamctl: field `z` was never present (fields seen: a, b, c)\n"
    );
    assert_eq!(
        ok(&["eval a = 10, d = a + 1"], input),
        "{\"a\":10,\"b\":2,\"c\":3,\"d\":11}\n"
    );
    assert_eq!(ok(&["drop b, nope"], input), "{\"a\":1,\"c\":3}\n");
    assert_eq!(
        ok(&["rename b as bee, a as c"], input),
        "{\"c\":1,\"bee\":2}\n"
    );
}

#[test]
fn parse_stages() {
    assert_eq!(
        ok(
            &["parse logfmt from msg | drop msg"],
            "{\"msg\":\"a=1 b=x\"}\n{\"msg\":5}\n"
        ),
        "{\"a\":1,\"b\":\"x\"}\n{}\n"
    );
    assert_eq!(
        ok(
            &["parse json from body | select k"],
            "{\"body\":\"{\\\"k\\\":[1]}\"}\n"
        ),
        "{\"k\":[1]}\n"
    );
}
