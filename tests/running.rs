//! `running AGG, … [by KEYS] [over D | last N]` (DESIGN §3): every event
//! passes on in order with the aggregates so far added; exact output.
mod util;

use util::{ok, run};

const LAT: &str = concat!(
    "{\"ts\":\"2024-05-01T10:00:00Z\",\"path\":\"/a\",\"latency_ms\":100}\n",
    "{\"ts\":\"2024-05-01T10:00:20Z\",\"path\":\"/b\",\"latency_ms\":40}\n",
    "{\"ts\":\"2024-05-01T10:00:40Z\",\"path\":\"/a\",\"latency_ms\":200}\n",
    "{\"ts\":\"2024-05-01T10:01:00Z\",\"path\":\"/a\",\"latency_ms\":30}\n",
    "{\"ts\":\"2024-05-01T10:01:30Z\",\"path\":\"/b\",\"latency_ms\":\"60\"}\n",
    "{\"ts\":\"2024-05-01T10:01:50Z\",\"path\":\"/a\"}\n",
);

#[test]
fn cumulative_over_everything() {
    let out = ok(
        &["running avg(latency_ms), count, max(latency_ms) | select path, avg_latency_ms, count, max_latency_ms"],
        LAT,
    );
    assert_eq!(
        out,
        concat!(
            "{\"path\":\"/a\",\"avg_latency_ms\":100.0,\"count\":1,\"max_latency_ms\":100}\n",
            "{\"path\":\"/b\",\"avg_latency_ms\":70.0,\"count\":2,\"max_latency_ms\":100}\n",
            "{\"path\":\"/a\",\"avg_latency_ms\":113.33333333333333,\"count\":3,\"max_latency_ms\":200}\n",
            "{\"path\":\"/a\",\"avg_latency_ms\":92.5,\"count\":4,\"max_latency_ms\":200}\n",
            // "60" reads as a number for numeric aggregates, as in comparisons,
            // but max compares a number with a numeric string numerically too.
            "{\"path\":\"/b\",\"avg_latency_ms\":86.0,\"count\":5,\"max_latency_ms\":200}\n",
            // A missing value is ignored; count counts events.
            "{\"path\":\"/a\",\"avg_latency_ms\":86.0,\"count\":6,\"max_latency_ms\":200}\n",
        )
    );
}

#[test]
fn fields_are_added_after_the_events_own() {
    let out = ok(
        &["running sum(n) as total"],
        "{\"n\": 2, \"x\": \"a\"}\n{\"n\":3}\n",
    );
    assert_eq!(
        out,
        "{\"n\":2,\"x\":\"a\",\"total\":2}\n{\"n\":3,\"total\":5}\n"
    );
}

#[test]
fn cumulative_by_key() {
    let out = ok(
        &["running avg latency_ms, count by path | select path, latency_ms, avg_latency_ms, count"],
        LAT,
    );
    assert_eq!(
        out,
        concat!(
            "{\"path\":\"/a\",\"latency_ms\":100,\"avg_latency_ms\":100.0,\"count\":1}\n",
            "{\"path\":\"/b\",\"latency_ms\":40,\"avg_latency_ms\":40.0,\"count\":1}\n",
            "{\"path\":\"/a\",\"latency_ms\":200,\"avg_latency_ms\":150.0,\"count\":2}\n",
            "{\"path\":\"/a\",\"latency_ms\":30,\"avg_latency_ms\":110.0,\"count\":3}\n",
            "{\"path\":\"/b\",\"latency_ms\":\"60\",\"avg_latency_ms\":50.0,\"count\":2}\n",
            "{\"path\":\"/a\",\"latency_ms\":null,\"avg_latency_ms\":110.0,\"count\":4}\n",
        )
    );
}

#[test]
fn over_d_covers_the_last_d_of_event_time_per_key() {
    // (t − 1m, t]: at 10:01:00 the 10:00:00 event of /a is out, 10:00:40 in.
    let out = ok(
        &["running sum(latency_ms) as s, count by path over 1m | select ts, path, s, count"],
        LAT,
    );
    assert_eq!(
        out,
        concat!(
            "{\"ts\":\"2024-05-01T10:00:00Z\",\"path\":\"/a\",\"s\":100,\"count\":1}\n",
            "{\"ts\":\"2024-05-01T10:00:20Z\",\"path\":\"/b\",\"s\":40,\"count\":1}\n",
            "{\"ts\":\"2024-05-01T10:00:40Z\",\"path\":\"/a\",\"s\":300,\"count\":2}\n",
            "{\"ts\":\"2024-05-01T10:01:00Z\",\"path\":\"/a\",\"s\":230,\"count\":2}\n",
            "{\"ts\":\"2024-05-01T10:01:30Z\",\"path\":\"/b\",\"s\":60,\"count\":1}\n",
            "{\"ts\":\"2024-05-01T10:01:50Z\",\"path\":\"/a\",\"s\":30,\"count\":2}\n",
        )
    );
}

#[test]
fn over_d_with_out_of_order_and_late_events() {
    let input = concat!(
        "{\"ts\":1700000010,\"v\":1}\n",
        "{\"ts\":1700000020,\"v\":2}\n",
        // 4s out of order, within the 5s lateness: (5s, 15s] holds 10 and 15.
        "{\"ts\":1700000015,\"v\":4}\n",
        "{\"ts\":1700000040,\"v\":8}\n",
        // The watermark is 35s: late, counted, not passed on.
        "{\"ts\":1700000030,\"v\":16}\n",
        "{\"ts\":1700000041,\"v\":32}\n",
    );
    let (out, err, code) = run(&["running sum(v) over 10s | select v, sum_v"], input);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        concat!(
            "{\"v\":1,\"sum_v\":1}\n",
            // (10s, 20s]: the event at 10s is out.
            "{\"v\":2,\"sum_v\":2}\n",
            "{\"v\":4,\"sum_v\":5}\n",
            "{\"v\":8,\"sum_v\":8}\n",
            "{\"v\":32,\"sum_v\":40}\n",
        )
    );
    assert_eq!(
        err,
        "streamctl: 1 late event(s) dropped (behind the watermark; see --lateness)\n"
    );
}

#[test]
fn last_n_events_of_each_key() {
    let out = ok(
        &["running avg(latency_ms) as a, min(latency_ms) as lo by path last 2 | select path, a, lo"],
        LAT,
    );
    assert_eq!(
        out,
        concat!(
            "{\"path\":\"/a\",\"a\":100.0,\"lo\":100}\n",
            "{\"path\":\"/b\",\"a\":40.0,\"lo\":40}\n",
            "{\"path\":\"/a\",\"a\":150.0,\"lo\":100}\n",
            "{\"path\":\"/a\",\"a\":115.0,\"lo\":30}\n",
            "{\"path\":\"/b\",\"a\":50.0,\"lo\":40}\n",
            // The last two of /a are 30 and a missing value.
            "{\"path\":\"/a\",\"a\":30.0,\"lo\":30}\n",
        )
    );
}

#[test]
fn ewma_starts_at_the_first_value() {
    let input = "{\"x\":10}\n{\"x\":20}\n{\"x\":null}\n{\"x\":30}\n{\"x\":0}\n";
    let out = ok(
        &["running ewma(x, 0.5), ewma(x, 0.1) as slow | select ewma_x, slow"],
        input,
    );
    // 10 → 0.5·20 + 0.5·10 = 15 → (null ignored) → 22.5 → 11.25
    // 10 → 11 → 11 → 12.9 → 11.61
    assert_eq!(
        out,
        concat!(
            "{\"ewma_x\":10.0,\"slow\":10.0}\n",
            "{\"ewma_x\":15.0,\"slow\":11.0}\n",
            "{\"ewma_x\":15.0,\"slow\":11.0}\n",
            "{\"ewma_x\":22.5,\"slow\":12.9}\n",
            "{\"ewma_x\":11.25,\"slow\":11.610000000000001}\n",
        )
    );
}

#[test]
fn explain_and_errors() {
    let out = ok(&["--explain", "running p95(ms), count by host over 5m"], "");
    assert!(
        out.contains("1. running by host: add p95_ms, count over the last 5m of event time\n     reads: host, ms\n"),
        "{out}"
    );
    assert!(
        out.contains("event time: read at stage 1 from the first of ts"),
        "{out}"
    );
    let out = ok(&["--explain", "running count last 10"], "");
    assert!(
        out.contains("1. running: add count over the last 10 events\n"),
        "{out}"
    );
    assert!(out.contains("event time: not used\n"), "{out}");
    let (_, err, code) = run(&["running count last 0"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("`last 0` keeps no events; write `last 1` or more"),
        "{err}"
    );
}

/// A small deterministic generator, so the test needs no crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn running_avg_matches_an_independent_computation() {
    let mut rng = Lcg(11);
    let mut input = String::new();
    let mut events: Vec<(i64, String, Option<u64>)> = Vec::new();
    for i in 0..3000i64 {
        let host = format!("h{}", rng.next(7));
        // Some events have no value, which avg ignores.
        let ms = (rng.next(10) != 0).then(|| rng.next(5000));
        // Out of order by up to 3s, within the 5s default lateness.
        let ts = 1_700_000_000_000 + i * 50 + rng.next(3000) as i64;
        match ms {
            Some(ms) => input.push_str(&format!(
                "{{\"ts\":{ts},\"host\":\"{host}\",\"ms\":{ms}}}\n"
            )),
            None => input.push_str(&format!("{{\"ts\":{ts},\"host\":\"{host}\"}}\n")),
        }
        events.push((ts, host, ms));
    }
    let parse = |out: &str| -> Vec<(Option<f64>, Option<f64>)> {
        out.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (v["a"].as_f64(), v["w"].as_f64())
            })
            .collect()
    };
    let got = parse(&ok(
        &["running avg(ms) as a by host | running avg(ms) as w by host over 10s | select a, w"],
        &input,
    ));
    assert_eq!(got.len(), events.len());
    for (i, (ts, host, _)) in events.iter().enumerate() {
        // Everything of this host so far; and what arrived so far with time in (ts − 10s, ts].
        let mine = events[..=i].iter().filter(|e| &e.1 == host);
        let vals: Vec<u64> = mine.clone().filter_map(|e| e.2).collect();
        let cum = (!vals.is_empty()).then(|| vals.iter().sum::<u64>() as f64 / vals.len() as f64);
        let win: Vec<u64> = mine
            .filter(|e| e.0 > ts - 10_000 && e.0 <= *ts)
            .filter_map(|e| e.2)
            .collect();
        let over = (!win.is_empty()).then(|| win.iter().sum::<u64>() as f64 / win.len() as f64);
        for (what, g, want) in [("cumulative", got[i].0, cum), ("over 10s", got[i].1, over)] {
            match (g, want) {
                (Some(g), Some(w)) => assert!(close(g, w), "event {i} {what}: {g} != {w}"),
                (g, w) => assert_eq!(g, w, "event {i} {what}"),
            }
        }
    }
}
