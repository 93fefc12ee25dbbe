//! `dedup KEYS [within D]` (DESIGN §3): exact output, byte-for-byte echo of
//! kept events, event-time distance, late events.
mod util;

use util::{ok, run, Dir};

#[test]
fn keeps_the_first_event_of_each_key_unchanged() {
    let input = concat!(
        "{\"id\": 1, \"n\": \"a\"}\n",
        "{\"id\":2,\"n\":\"b\"}\n",
        "{\"id\":\"1\",\"n\":\"c\"}\n",
        "{\"n\":\"d\"}\n",
        "{\"id\":null,\"n\":\"e\"}\n",
        "{\"id\":2.0,\"n\":\"f\"}\n",
    );
    // 1 and "1" are one key (keys match by text, as in joins); a missing id
    // and null are one key; 2.0 is 2 (equal numbers are one key).
    assert_eq!(
        ok(&["dedup id"], input),
        concat!(
            "{\"id\": 1, \"n\": \"a\"}\n",
            "{\"id\":2,\"n\":\"b\"}\n",
            "{\"n\":\"d\"}\n",
        )
    );
}

#[test]
fn several_keys_and_computed_keys() {
    let input = concat!(
        "{\"u\":\"Ann\",\"p\":\"/a\"}\n",
        "{\"u\":\"ann\",\"p\":\"/a\"}\n",
        "{\"u\":\"ann\",\"p\":\"/b\"}\n",
        "{\"u\":\"bob\",\"p\":\"/a\"}\n",
        "{\"u\":\"ANN\",\"p\":\"/b\"}\n",
    );
    assert_eq!(
        ok(&["dedup lower(u) as user, p"], input),
        concat!(
            "{\"u\":\"Ann\",\"p\":\"/a\"}\n",
            "{\"u\":\"ann\",\"p\":\"/b\"}\n",
            "{\"u\":\"bob\",\"p\":\"/a\"}\n",
        )
    );
}

#[test]
fn csv_input_and_output() {
    let dir = Dir::new();
    let f = dir.create("in.csv", "host,code\na,500\nb,500\na,500\na,404\n");
    let out = ok(&["-O", "csv", "dedup host, code", f.to_str().unwrap()], "");
    assert_eq!(out, "host,code\na,500\nb,500\na,404\n");
}

#[test]
fn within_drops_repeats_closer_than_d_in_event_time() {
    let input = concat!(
        "{\"ts\":\"2024-05-01T10:00:00Z\",\"alert\":\"disk\"}\n",
        "{\"ts\":\"2024-05-01T10:00:40Z\",\"alert\":\"disk\"}\n",
        "{\"ts\":\"2024-05-01T10:00:50Z\",\"alert\":\"cpu\"}\n",
        // 70s after the first, but 30s after the repeat at :40 (which counts).
        "{\"ts\":\"2024-05-01T10:01:10Z\",\"alert\":\"disk\"}\n",
        // Exactly 1m after the latest sighting (10:01:10): new again.
        "{\"ts\":\"2024-05-01T10:02:10Z\",\"alert\":\"disk\"}\n",
        "{\"ts\":\"2024-05-01T10:02:20Z\",\"alert\":\"cpu\"}\n",
    );
    assert_eq!(
        ok(&["dedup alert within 1m"], input),
        concat!(
            "{\"ts\":\"2024-05-01T10:00:00Z\",\"alert\":\"disk\"}\n",
            "{\"ts\":\"2024-05-01T10:00:50Z\",\"alert\":\"cpu\"}\n",
            "{\"ts\":\"2024-05-01T10:02:10Z\",\"alert\":\"disk\"}\n",
            "{\"ts\":\"2024-05-01T10:02:20Z\",\"alert\":\"cpu\"}\n",
        )
    );
}

#[test]
fn within_judges_out_of_order_events_by_distance() {
    // Within the 5s default lateness, the 10:00:08 event arrives after
    // 10:00:10 and is 2s from it: a repeat. 10:00:04 is 6s away: kept.
    let input = concat!(
        "{\"ts\":\"2024-05-01T10:00:10Z\",\"k\":1}\n",
        "{\"ts\":\"2024-05-01T10:00:08Z\",\"k\":1}\n",
        "{\"ts\":\"2024-05-01T10:00:09Z\",\"k\":2}\n",
        "{\"ts\":\"2024-05-01T10:00:05Z\",\"k\":1}\n",
    );
    assert_eq!(
        ok(&["--lateness", "5s", "dedup k within 3s"], input),
        concat!(
            "{\"ts\":\"2024-05-01T10:00:10Z\",\"k\":1}\n",
            "{\"ts\":\"2024-05-01T10:00:09Z\",\"k\":2}\n",
            "{\"ts\":\"2024-05-01T10:00:05Z\",\"k\":1}\n",
        )
    );
}

#[test]
fn within_counts_events_behind_the_watermark_as_late() {
    let dir = Dir::new();
    let dl = dir.path("late.jsonl");
    let input = concat!(
        "{\"ts\":\"2024-05-01T10:00:00Z\",\"k\":1}\n",
        "{\"ts\":\"2024-05-01T10:05:00Z\",\"k\":2}\n",
        // The watermark is at 10:04:55; this one is behind it.
        "{\"ts\":\"2024-05-01T10:00:30Z\",\"k\":3}\n",
        "{\"ts\":\"2024-05-01T10:04:56Z\",\"k\":3}\n",
    );
    let (out, err, code) = run(
        &["--dead-letter", dl.to_str().unwrap(), "dedup k within 10m"],
        input,
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        concat!(
            "{\"ts\":\"2024-05-01T10:00:00Z\",\"k\":1}\n",
            "{\"ts\":\"2024-05-01T10:05:00Z\",\"k\":2}\n",
            "{\"ts\":\"2024-05-01T10:04:56Z\",\"k\":3}\n",
        )
    );
    assert_eq!(
        err,
        "streamctl: 1 late event(s) dropped (behind the watermark; see --lateness)\n"
    );
    assert_eq!(
        std::fs::read_to_string(&dl).unwrap(),
        "{\"ts\":\"2024-05-01T10:00:30Z\",\"k\":3}\n"
    );
}

#[test]
fn forgetting_old_keys_does_not_change_results() {
    // 20 000 events, key = i % 50, one second apart: with `within 10s` each
    // key comes back every 50s and is new each time; memory holds ~10 keys.
    let mut input = String::new();
    for i in 0..20_000u64 {
        input.push_str(&format!(
            "{{\"ts\":{},\"k\":{}}}\n",
            1_700_000_000 + i,
            i % 50
        ));
    }
    let out = ok(&["dedup k within 10s"], &input);
    assert_eq!(out, input);
    let out = ok(&["dedup k within 60s | select k"], &input);
    let expected: String = (0..50).map(|k| format!("{{\"k\":{k}}}\n")).collect();
    // 50s apart is within 60s, so after the first 50, every event repeats.
    assert_eq!(out, expected);
}

#[test]
fn explain_names_the_keys_and_the_distance() {
    let out = ok(&["--explain", "dedup id, lower(u) as user within 90s"], "");
    assert!(
        out.contains(
            "1. dedup on id, user: drop repeats seen within 90s of event time\n     reads: id, u\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("event time: read at stage 1 from the first of ts"),
        "{out}"
    );
    let out = ok(&["--explain", "dedup id"], "");
    assert!(
        out.contains("1. dedup on id: drop repeats (remembers every key)\n"),
        "{out}"
    );
    assert!(out.contains("event time: not used\n"), "{out}");
}
