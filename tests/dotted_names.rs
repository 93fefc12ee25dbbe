//! Nested keys stay reachable (issue 15): a dotted path such as `req.path`
//! reaches a nested field, or, where there is none, a top-level key written
//! with the dots — the key `count by req.path`, `top`, `running` and every
//! aggregate name made from a nested field write, a CSV header or a logfmt
//! key. So each stage that names an output field by a path gives rows on
//! which a later stage reads it back with the same path. Exact rows.
mod util;

use util::{ok, Dir};

const EVENTS: &str = "\
{\"req\":{\"path\":\"/a\",\"ms\":3},\"user\":\"u1\"}
{\"req\":{\"path\":\"/a\",\"ms\":5},\"user\":\"u2\"}
{\"req\":{\"path\":\"/b\",\"ms\":7},\"user\":\"u1\"}
";

#[test]
fn a_group_key_is_read_back_by_where_and_dedup() {
    assert_eq!(
        ok(&["count by req.path | where req.path == \"/a\""], EVENTS),
        "{\"req.path\":\"/a\",\"count\":2}\n"
    );
    assert_eq!(
        ok(
            &["count by req.path, user | dedup req.path | select req.path, user"],
            EVENTS
        ),
        "{\"req\":{\"path\":\"/a\"},\"user\":\"u1\"}\n{\"req\":{\"path\":\"/b\"},\"user\":\"u1\"}\n"
    );
}

#[test]
fn aggregate_names_made_from_a_nested_field_are_read_back() {
    assert_eq!(
        ok(
            &["stats avg(req.ms), max(req.ms) by req.path | where avg_req.ms > 4 | eval slow = max_req.ms * 2"],
            EVENTS
        ),
        "{\"req.path\":\"/b\",\"avg_req.ms\":7.0,\"max_req.ms\":7,\"slow\":14}\n"
    );
}

#[test]
fn a_windowed_key_is_read_back_by_a_second_window() {
    let input = "\
{\"ts\":\"2026-03-01T12:00:05Z\",\"req\":{\"path\":\"/a\"}}
{\"ts\":\"2026-03-01T12:00:35Z\",\"req\":{\"path\":\"/a\"}}
{\"ts\":\"2026-03-01T12:01:05Z\",\"req\":{\"path\":\"/a\"}}
";
    assert_eq!(
        ok(
            &["count by req.path every 1m | sum count by req.path every 1h | select req.path, sum_count"],
            input
        ),
        "{\"req\":{\"path\":\"/a\"},\"sum_count\":3}\n"
    );
}

#[test]
fn top_keys_are_read_back() {
    assert_eq!(
        ok(&["top 2 req.path | where req.path == \"/b\""], EVENTS),
        "{\"req.path\":\"/b\",\"count\":1}\n"
    );
}

#[test]
fn running_reads_a_group_key_and_its_own_names_are_read_back() {
    assert_eq!(
        ok(
            &["count by req.path | running sum(count) by req.path | where sum_count >= 1 | select req.path, sum_count"],
            EVENTS
        ),
        "{\"req\":{\"path\":\"/a\"},\"sum_count\":2}\n{\"req\":{\"path\":\"/b\"},\"sum_count\":1}\n"
    );
    assert_eq!(
        ok(
            &["running max(req.ms) by user | where max_req.ms > 4 | select user, max_req.ms"],
            EVENTS
        ),
        "{\"user\":\"u2\",\"max_req\":{\"ms\":5}}\n{\"user\":\"u1\",\"max_req\":{\"ms\":7}}\n"
    );
}

#[test]
fn select_and_eval_write_nested_and_read_either_spelling() {
    // `select`/`eval` write the path nested, as they always did; reading
    // it back works either way it was written.
    assert_eq!(
        ok(
            &["count by req.path | eval req.n = count | select req.path, req.n | where req.n == 2"],
            EVENTS
        ),
        "{\"req\":{\"path\":\"/a\",\"n\":2}}\n"
    );
}

#[test]
fn drop_and_rename_reach_the_dotted_key() {
    assert_eq!(
        ok(&["count by req.path | drop req.path"], EVENTS),
        "{\"count\":2}\n{\"count\":1}\n"
    );
    assert_eq!(
        ok(&["count by req.path | rename req.path as path"], EVENTS),
        "{\"path\":\"/a\",\"count\":2}\n{\"path\":\"/b\",\"count\":1}\n"
    );
}

#[test]
fn join_on_a_group_key() {
    let d = Dir::new();
    let owners = d.create("owners.csv", "path,team\n/a,web\n/b,api\n");
    let pipeline = format!(
        "count by req.path | join {} on req.path = path | select req.path, team",
        owners.display()
    );
    assert_eq!(
        ok(&[&pipeline], EVENTS),
        "{\"req\":{\"path\":\"/a\"},\"team\":\"web\"}\n{\"req\":{\"path\":\"/b\"},\"team\":\"api\"}\n"
    );
}

#[test]
fn parse_from_a_group_key() {
    assert_eq!(
        ok(
            &[r#"count by req.path | parse regex "^/(?P<first>\w)" from req.path | select first"#],
            EVENTS
        ),
        "{\"first\":\"a\"}\n{\"first\":\"b\"}\n"
    );
}

#[test]
fn dotted_csv_headers_and_logfmt_keys_are_paths() {
    // What `-O csv` writes for nested fields reads back under the same path.
    let d = Dir::new();
    let csv = d.create("counts.csv", "req.path,count\n/a,2\n/b,1\n");
    assert_eq!(
        ok(&["where req.path == \"/a\"", csv.to_str().unwrap()], ""),
        "{\"req.path\":\"/a\",\"count\":2}\n"
    );
    assert_eq!(
        ok(
            &["-i", "logfmt", "count by http.status"],
            "msg=ok http.status=200\nmsg=ok http.status=500\nmsg=x http.status=200\n"
        ),
        "{\"http.status\":200,\"count\":2}\n{\"http.status\":500,\"count\":1}\n"
    );
}

#[test]
fn a_nested_field_wins_over_a_dotted_key() {
    assert_eq!(
        ok(
            &["select req.path"],
            "{\"req.path\":\"flat\",\"req\":{\"path\":\"nested\"}}\n"
        ),
        "{\"req\":{\"path\":\"nested\"}}\n"
    );
}
