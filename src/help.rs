//! The reference text of the pipeline language and the examples, kept in one
//! place: `streamctl help language` prints it in the terminal, the man page
//! (`src/generate.rs`) renders it as roff, and `--help` shows the examples.
//!
//! Markup is deliberately tiny: a section is paragraphs, term lists and
//! literal code. In terms, upper-case words (`EXPR`, `KEYS`, `D`) are
//! placeholders (italic in the man page), the rest is typed as written (bold).

/// One block of a section.
pub enum Block {
    /// A paragraph, wrapped to the width of the page.
    Text(&'static str),
    /// Terms and what they mean.
    Items(&'static [(&'static str, &'static str)]),
    /// Literal lines, never wrapped.
    Code(&'static str),
}

pub struct Section {
    pub title: &'static str,
    pub blocks: &'static [Block],
}

/// A command line a user can paste, and what it does.
pub struct Example {
    pub what: &'static str,
    pub command: &'static str,
}

/// The one-liners of `streamctl --help` and of the man page's EXAMPLES.
/// `tests/help.rs` runs every one of them as written.
pub const EXAMPLES: &[Example] = &[
    Example {
        what: "Count server errors per path, a row per path each minute, as a log grows.",
        command: "tail -F app.jsonl | streamctl 'where status >= 500 | count by path every 1m'",
    },
    Example {
        what: "Requests and 95th-percentile latency per path, as an aligned table.",
        command: "streamctl -O table 'stats count, p95(ms) by path' access.jsonl",
    },
    Example {
        what: "Enrich events from a CSV lookup file, then count per country.",
        command: "streamctl 'join users.csv on user_id | count by country' events.jsonl",
    },
    Example {
        what: "Turn raw log lines into fields with a regex and filter on them.",
        command:
            "streamctl -i lines 'parse regex \"took (?P<ms>\\d+)ms\" | where ms > 250' app.log",
    },
    Example {
        what: "Convert JSON lines to CSV, keeping two fields.",
        command: "streamctl -O csv 'select path, status' access.jsonl",
    },
];

/// The examples block shown after the options by `--help`.
pub fn examples_after_help() -> String {
    let mut s = String::from("Examples:\n");
    for e in EXAMPLES {
        s.push_str("  ");
        s.push_str(e.command);
        s.push('\n');
    }
    s.push_str("\nExit status: 0 success, 1 runtime failure, 2 usage error;");
    s.push_str("\n  with -q: 0 at the first result row, 1 if there was none, 2 on any error.\n");
    s.push_str("\nThe pipeline language: streamctl help language");
    s
}

use Block::{Code, Items, Text};

/// The pipeline language reference (DESIGN §3 and §5).
pub const LANGUAGE: &[Section] = &[
    Section {
        title: "PIPELINES",
        blocks: &[
            Text(
                "A pipeline is one argument: stages separated by |. Each event flows through \
                 the stages in order, and each result is written as soon as it exists. Keywords \
                 are lower case. A # starts a comment that runs to the end of the line (useful \
                 with -f FILE). A syntax error is reported with the column it was found at and, \
                 for the usual slips, a suggestion.",
            ),
            Code("where status >= 500 | count by path every 1m | where count > 10"),
        ],
    },
    Section {
        title: "STAGES",
        blocks: &[Items(&[
            (
                "where EXPR, filter EXPR",
                "Keep the events for which EXPR is true.",
            ),
            (
                "select ITEM, ...",
                "Keep only these fields, in this order. ITEM is a field, EXPR as NAME, or \
                 NAME = EXPR. A missing field is null.",
            ),
            ("eval NAME = EXPR, ...", "Add or replace fields."),
            ("drop FIELD, ...", "Remove fields."),
            (
                "rename OLD as NEW, ...",
                "Rename fields, keeping their position.",
            ),
            (
                "parse regex \"RE\" [from FIELD]",
                "Named captures (?P<name>...) become fields, typed like CSV cells. The default \
                 FIELD is line.",
            ),
            (
                "parse logfmt [from FIELD], parse json [from FIELD]",
                "Parse a field's text into fields. An event whose field does not parse passes \
                 on unchanged and is counted as unparsed by --stats.",
            ),
            (
                "parse nginx|apache|apache_error|syslog [from FIELD]",
                "Parse a text log line. nginx/apache (common or combined): ip, user, ts, method, \
                 path, proto, status, bytes[, referer, user_agent]. apache_error: ts, module, \
                 level, pid, tid, client, code, message. syslog (RFC 3164 or 5424): [facility, \
                 severity,] ts, host, app, pid[, msgid, structured_data], message. ts is RFC \
                 3339 UTC, so windows use the log's own time; `-` is null. Example: \
                 parse nginx | count by status every 1m",
            ),
            (
                "parse \"PATTERN\" as NAME, ... [from FIELD]",
                "Each * of PATTERN captures text up to the first place the literal after it \
                 appears (a * at the end takes the rest); the first literal is searched \
                 anywhere; every literal must be found. Captures are typed like CSV cells; _ \
                 drops one. Example: parse \"* - - [*] \\\"* * *\\\" * *\" as ip, ts, method, \
                 path, proto, status, bytes",
            ),
            (
                "AGG [by KEYS] [WINDOW] [EMIT]",
                "Aggregate: see AGGREGATES, WINDOWS and EMIT.",
            ),
            (
                "running AGG, ... [by KEYS] [over D | last N]",
                "Pass every event on with the aggregate so far added: cumulative, over the last \
                 duration D of event time, or over the last N events.",
            ),
            (
                "join FILE on KEY [= LOOKUP_KEY] [prefix P]",
                "Inner join with a lookup table (CSV, TSV or JSON lines, by extension). Keys \
                 match by text. The lookup fields are added, with prefix P if given. The file is \
                 reloaded when it changes.",
            ),
            (
                "left join FILE on KEY ...",
                "As join, but unmatched events pass on without the lookup fields.",
            ),
            (
                "dedup KEYS [within D]",
                "Drop an event whose KEYS were already seen (within D of event time).",
            ),
            (
                "head N",
                "Pass the first N events, then finish; the run ends cleanly.",
            ),
            (
                "top N KEYS [by AGG] [WINDOW] [emit every D]",
                "The N groups with the largest AGG (default count), largest first; ties in \
                 first-seen order. With emit every D, also the current top N each D of \
                 wall-clock time (a live top-N on tail -F).",
            ),
        ])],
    },
    Section {
        title: "AGGREGATES",
        blocks: &[
            Text(
                "AGG is one aggregate, or stats AGG [as NAME], ... for several. A bare field \
                 after a function name is sugar: avg latency_ms by path. Output names are count, \
                 sum_F, avg_F, p95_F, ... unless as NAME is given.",
            ),
            Items(&[
                ("count", "Number of events."),
                (
                    "sum(E), avg(E), min(E), max(E)",
                    "Sum, mean, smallest and largest value.",
                ),
                (
                    "distinct(E)",
                    "Number of distinct values: exact up to 100000 per group, then an estimate \
                     within 2%.",
                ),
                (
                    "p50(E), p90(E), p95(E), p99(E), percentile(E, Q)",
                    "Percentiles in bounded memory, within 1% relative error of the exact \
                     nearest-rank value.",
                ),
                ("stddev(E)", "Population standard deviation."),
                ("first(E), last(E)", "The first and last value seen."),
                (
                    "ewma(E, ALPHA)",
                    "Exponentially weighted moving average (running only): starts at the first \
                     value, then s = ALPHA*x + (1-ALPHA)*s.",
                ),
            ]),
        ],
    },
    Section {
        title: "WINDOWS",
        blocks: &[
            Items(&[
                ("(none)", "One group per key over the whole input."),
                (
                    "every D",
                    "Tumbling windows of length D, aligned to the Unix epoch (every 1m starts on \
                     the minute).",
                ),
                (
                    "every D slide S",
                    "Hopping windows of length D, one starting every S.",
                ),
                (
                    "session D",
                    "Per key, a window [first event, last event + D) that closes after D of \
                     event-time silence.",
                ),
                (
                    "every D fill",
                    "Also a row for each window without events, once a first window closed and \
                     while time moves on (idle timeout included; at the end of input, not past \
                     the last event): without keys one row, with keys a row for each key that \
                     had events in the previous window. In such a row count and sum are 0, every \
                     other aggregate null. For dead-man alerts: count every 1m fill | where \
                     count == 0.",
                ),
            ]),
            Text(
                "Event time comes from --time-field (default: the first of ts, timestamp, time, \
                 @timestamp present in the first event), else arrival time. The watermark is the \
                 largest event time seen minus --lateness, and only moves forward. A window \
                 [start, end) closes, and its rows are emitted, when the watermark reaches \
                 end - 1ms. An event is late, and dropped (counted by --stats, copied to \
                 --dead-letter), when every window it belongs to has closed. With no input for \
                 --idle-timeout the watermark moves on with the wall clock, so a quiet tail -F \
                 still closes its minute. At the end of a finite input every open window closes.",
            ),
        ],
    },
    Section {
        title: "EMIT",
        blocks: &[
            Items(&[
                (
                    "emit on close",
                    "The default: a window's rows when it closes; an unwindowed aggregate's rows \
                     at the end of input.",
                ),
                (
                    "emit every D",
                    "A snapshot of every open group each D of processing time: how an unwindowed \
                     count by path is watched on an endless tail -F.",
                ),
                ("emit on update", "A row each time a group changes."),
            ]),
            Text(
                "A row holds, in this order: window_start and window_end (RFC 3339 UTC with \
                 milliseconds; only when windowed), the keys, then the aggregates. Rows of one \
                 window come out in the order their groups were first seen; windows come out in \
                 order of window_end. A windowed row's event time is window_end minus 1ms, so a \
                 later stage can window it again.",
            ),
        ],
    },
    Section {
        title: "EXPRESSIONS",
        blocks: &[Items(&[
            (
                "status, req.path, `user-agent`",
                "Fields; nested with dots; odd names in backticks. A missing field is null.",
            ),
            (
                "42, -1.5, \"text\", 'text', true, false, null",
                "Literals. In \"...\" the escapes are \\\" and \\\\; any other backslash stays as \
                 written, so regexes read naturally. '...' is the same with \\'.",
            ),
            (
                "250ms, 30s, 5m, 1h, 1d, 1m30s",
                "Durations, as integer milliseconds (5m is 300000).",
            ),
            ("[a, b, ...]", "A list, for in."),
        ])],
    },
    Section {
        title: "OPERATORS",
        blocks: &[
            Text("From loosest to tightest binding:"),
            Items(&[
                ("or, ||", "Either is true."),
                ("and, &&", "Both are true."),
                ("not, !", "Negation."),
                ("== != < <= > >=", "Comparison (see VALUE RULES)."),
                (
                    "=~, !~",
                    "Regex match anywhere in the text (Rust regex syntax; anchor with ^...$).",
                ),
                ("in [...], not in [...]", "Membership in a list."),
                ("contains, startswith, endswith", "Substring tests on text."),
                ("+, -", "Addition, subtraction."),
                ("*, /, %", "Multiplication, division, remainder."),
                ("-E", "Unary minus."),
                ("( E )", "Grouping."),
            ]),
        ],
    },
    Section {
        title: "FUNCTIONS",
        blocks: &[Items(&[
            ("lower(S), upper(S), trim(S)", "Case and whitespace."),
            (
                "len(S)",
                "Length in characters (or items of a list or object).",
            ),
            (
                "substr(S, START, LEN)",
                "Characters from START (counting from 0).",
            ),
            ("split(S, SEP)", "A list of the parts."),
            (
                "replace(S, RE, WITH)",
                "Replace every match of RE; $1 and ${name} refer to groups.",
            ),
            ("abs(X), floor(X), ceil(X)", "Numbers."),
            (
                "round(X[, DIGITS])",
                "Round half away from zero, to DIGITS decimals.",
            ),
            (
                "int(X), float(X), str(X)",
                "Conversions; null when impossible.",
            ),
            ("exists(FIELD)", "Whether the field is present."),
            ("coalesce(A, ...)", "The first argument that is not null."),
            (
                "concat(A, ...)",
                "The arguments' text joined; null and missing fields add nothing (unlike SQL's ||).",
            ),
            ("if(C, A, B)", "A when C is true, else B."),
            ("now()", "Wall-clock time in epoch milliseconds."),
            ("time(FIELD)", "A timestamp field as epoch milliseconds."),
            (
                "bucket(T, D)",
                "T rounded down to a multiple of D: bucket(time(ts), 5m).",
            ),
        ])],
    },
    Section {
        title: "VALUE RULES",
        blocks: &[Items(&[
            (
                "comparison",
                "Numbers compare numerically, strings lexically; a number against a string \
                 that reads as a number compares numerically (\"500\" == 500).",
            ),
            (
                "null",
                "Any comparison with null is false, except == null and != null: x != 5 is \
                 false when x is null, as in SQL. Arithmetic with null or a non-number is null.",
            ),
            (
                "truth",
                "null and false are false; everything else (0, \"\", []) is true.",
            ),
            (
                "numbers",
                "Integers stay integers; floats are written in shortest round-trip form.",
            ),
            (
                "cells",
                "A CSV, TSV, logfmt or parsed value that is exactly a JSON number (12, -3.5e2; \
                 not 007, not +1) is a number, otherwise a string; empty is null.",
            ),
            (
                "times",
                "Timestamps are read as RFC 3339 / ISO 8601, epoch seconds or milliseconds, \
                 common-log (10/Oct/2000:13:55:36 -0700), or the strftime --time-format given.",
            ),
        ])],
    },
];

/// Width the terminal text is wrapped to.
const WIDTH: usize = 80;

/// The language reference as plain text for the terminal.
pub fn language_text() -> String {
    let mut s = String::from(
        "streamctl pipeline language\n\n\
         Run a pipeline: streamctl 'STAGE | STAGE ...' [FILE]...\n\n",
    );
    for sec in LANGUAGE {
        s.push_str(sec.title);
        s.push('\n');
        for block in sec.blocks {
            match block {
                Text(t) => wrap_into(&mut s, t, 2),
                Items(items) => {
                    for (term, desc) in *items {
                        s.push_str("  ");
                        s.push_str(term);
                        s.push('\n');
                        wrap_into(&mut s, desc, 6);
                    }
                }
                Code(c) => {
                    s.push('\n');
                    for line in c.lines() {
                        s.push_str("    ");
                        s.push_str(line);
                        s.push('\n');
                    }
                }
            }
        }
        s.push('\n');
    }
    s.push_str("EXAMPLES\n");
    for (i, e) in EXAMPLES.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str("  # ");
        s.push_str(e.what);
        s.push_str("\n  ");
        s.push_str(e.command);
        s.push('\n');
    }
    s
}

/// Append `text` wrapped at word boundaries, each line indented by `indent`.
fn wrap_into(s: &mut String, text: &str, indent: usize) {
    let mut col = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if col > 0 && col + 1 + len > WIDTH {
            s.push('\n');
            col = 0;
        }
        if col == 0 {
            s.push_str(&" ".repeat(indent));
            col = indent;
        } else {
            s.push(' ');
            col += 1;
        }
        s.push_str(word);
        col += len;
    }
    s.push('\n');
}

/// Escape text for roff: backslashes, hyphens (so options copy-paste as
/// ASCII minus), and a leading `.` or `'` that roff would take as a request.
pub fn roff_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            _ => out.push(c),
        }
    }
    if out.starts_with('.') || out.starts_with('\'') {
        out.insert_str(0, "\\&");
    }
    out
}

/// A term in roff: placeholders (upper-case words) italic, the rest bold.
fn roff_term(term: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let placeholder = word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            && word.starts_with(|c: char| c.is_ascii_uppercase());
        let font = if placeholder { "\\fI" } else { "\\fB" };
        out.push_str(font);
        out.push_str(&roff_escape(word));
        out.push_str("\\fR");
        word.clear();
    };
    for c in term.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            match c {
                '\\' => out.push_str("\\e"),
                '-' => out.push_str("\\-"),
                _ => out.push(c),
            }
        }
    }
    flush(&mut word, &mut out);
    if out.starts_with('.') || out.starts_with('\'') {
        out.insert_str(0, "\\&");
    }
    out
}

/// The LANGUAGE and EXAMPLES sections of the man page, as roff.
pub fn language_roff() -> String {
    let mut s = String::from(".SH LANGUAGE\n");
    for sec in LANGUAGE {
        s.push_str(".SS \"");
        s.push_str(sec.title);
        s.push_str("\"\n");
        for block in sec.blocks {
            match block {
                Text(t) => {
                    s.push_str(".PP\n");
                    s.push_str(&roff_escape(t));
                    s.push('\n');
                }
                Items(items) => {
                    for (term, desc) in *items {
                        s.push_str(".TP\n");
                        s.push_str(&roff_term(term));
                        s.push('\n');
                        s.push_str(&roff_escape(desc));
                        s.push('\n');
                    }
                }
                Code(c) => {
                    s.push_str(".PP\n.RS 4\n.nf\n");
                    for line in c.lines() {
                        s.push_str(&roff_escape(line));
                        s.push('\n');
                    }
                    s.push_str(".fi\n.RE\n");
                }
            }
        }
    }
    s.push_str(".SH EXAMPLES\n");
    for e in EXAMPLES {
        s.push_str(".PP\n");
        s.push_str(&roff_escape(e.what));
        s.push_str("\n.PP\n.RS 4\n.nf\n");
        s.push_str(&roff_escape(e.command));
        s.push_str("\n.fi\n.RE\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_word_boundaries_with_indent() {
        let mut s = String::new();
        let long = "word ".repeat(30);
        wrap_into(&mut s, &long, 4);
        for line in s.lines() {
            assert!(line.len() <= WIDTH, "{line:?}");
            assert!(line.starts_with("    word"), "{line:?}");
        }
        assert_eq!(s.split_whitespace().count(), 30);
    }

    #[test]
    fn roff_escapes_backslash_hyphen_and_leading_dot() {
        assert_eq!(roff_escape(r"a\d -x"), r"a\ed \-x");
        assert_eq!(roff_escape(".foo"), r"\&.foo");
        assert_eq!(roff_escape("'q"), r"\&'q");
    }

    #[test]
    fn roff_terms_italicise_placeholders() {
        assert_eq!(
            roff_term("where EXPR"),
            r"\fBwhere\fR \fIEXPR\fR".to_string()
        );
        assert_eq!(
            roff_term("join FILE on KEY [= LOOKUP_KEY]"),
            r"\fBjoin\fR \fIFILE\fR \fBon\fR \fIKEY\fR [= \fILOOKUP_KEY\fR]"
        );
        assert_eq!(roff_term("-E"), r"\-\fIE\fR");
    }

    #[test]
    fn every_stage_and_aggregate_is_documented() {
        let text = language_text();
        for stage in crate::lang::parser::STAGES {
            assert!(
                text.contains(&format!("{stage} ")),
                "stage `{stage}` missing from the language reference"
            );
        }
        for agg in crate::lang::parser::AGGREGATES {
            assert!(
                text.contains(agg),
                "aggregate `{agg}` missing from the language reference"
            );
        }
        for f in crate::expr::function_names() {
            assert!(
                text.contains(&format!("{f}(")),
                "function `{f}` missing from the language reference"
            );
        }
    }

    #[test]
    fn help_lists_the_five_examples() {
        let h = examples_after_help();
        assert_eq!(EXAMPLES.len(), 5);
        for e in EXAMPLES {
            assert!(h.contains(e.command));
        }
    }
}
