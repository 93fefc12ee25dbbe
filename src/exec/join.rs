//! `join FILE on KEY [= COLUMN] [prefix P]` and `left join …`: enrich each
//! event with the fields of the lookup row whose key has the same text.
//!
//! The table is read once, at plan time (a missing or malformed file stops
//! the run before any input is read), into a hash map keyed by key text. Per
//! event the key is looked up without allocating: an untouched JSON event
//! lends its raw value bytes, and the row's fields, encoded as JSON once at
//! load time (`event::Encoded`), are lent to the event with
//! `append_new_fields`: nothing is decoded, copied or allocated per event.
//! While the run goes on, the file is watched (at
//! most one `stat` a second, from `on_tick`); a new version is read whole,
//! checked not to have changed during the read and parsed on a thread of
//! its own, so events keep flowing meanwhile, and only then swapped in —
//! between two events, never half-read. The old table is freed on that
//! thread too. A version that fails to parse leaves the old table in use,
//! with one warning.
//!
//! This stage must never fail the run after startup: a lookup file that
//! goes bad later only costs freshness.

use std::borrow::Cow;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};

use super::lookup::{self, LookupFormat, ParseError, ReadError, Row, Signature, Spec, Table};
use super::stats::LookupStats;
use super::{Emit, ExecResult, Flow, Operator};
use crate::event::{decode_json_value, Event};
use crate::lang::ast;
use crate::lang::LangError;
use crate::timefmt::Millis;
use crate::value::{key_text, Value};

/// How often the lookup file is checked for a new version.
const CHECK_EVERY_MS: Millis = 1000;

/// How often a load under way is looked at, to swap its table in soon
/// after it is ready.
const POLL_LOAD_MS: Millis = 10;

/// What a load on the loader thread came to.
enum Loaded {
    Table(Table, Signature),
    /// The file changed while it was read: try again at the next check.
    Changed,
    /// A warning; the old table stays, and this version is not tried again.
    Refused(String, Signature),
}

pub struct Join {
    left: bool,
    /// The event field holding the key.
    key: Vec<String>,
    /// The file as the user wrote it (relative to the current directory).
    file: String,
    spec: Spec,
    table: Table,
    /// The last version of the file acted on: loaded, or refused with a warning.
    seen: Signature,
    next_check: Millis,
    /// The file was missing at the last check (warned once until it is back).
    missing: bool,
    /// Warnings not yet handed to the run (see `Emit::warn`).
    pending: Vec<String>,
    /// A new version being loaded on another thread, and when to look
    /// whether it is ready.
    loading: Option<Receiver<Loaded>>,
    poll_at: Millis,
    stats: LookupStats,
}

/// A lookup file read and parsed at plan time, before any input: what the
/// logical plan checks (so `streamctl` and `streamctl compile` refuse a bad
/// file alike) and the executor's join starts from.
pub struct Lookup {
    spec: Spec,
    table: Table,
    sig: Signature,
}

impl Lookup {
    /// Read and parse the lookup file; any problem is an error at the pipeline text.
    pub fn load(j: &ast::Join) -> Result<Lookup, LangError> {
        let at_file = |msg: String| LangError::new(msg, j.file_span);
        let path = PathBuf::from(&j.file);
        let format = LookupFormat::of(&path).ok_or_else(|| {
            at_file(format!("cannot tell the format of lookup file {}", j.file))
                .with_help("name it .csv, .tsv, .json, .jsonl or .ndjson")
        })?;
        let spec = Spec {
            format,
            key: j.lookup_key.clone().unwrap_or_else(|| j.key.display_name()),
            prefix: j.prefix.clone(),
        };
        let (bytes, sig) = read_at_startup(&path).map_err(|e| match e {
            ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
                at_file(format!("cannot open lookup file {}: {e}", j.file))
                    .with_help("lookup paths are relative to the current directory")
            }
            ReadError::Io(e) => at_file(format!("cannot read lookup file {}: {e}", j.file)),
            ReadError::IsDir => {
                at_file(format!("lookup file {} is a directory, not a file", j.file))
            }
            ReadError::Changed => at_file(format!(
                "lookup file {} kept changing while it was read",
                j.file
            ))
            .with_help("try again once whatever writes it is done"),
        })?;
        let table = lookup::parse(&bytes, &spec).map_err(|e| {
            let msg = e.describe(&j.file, &spec.key);
            match e {
                ParseError::NoKeyColumn { .. } if j.lookup_key.is_none() => {
                    LangError::new(msg, j.key.span).with_help(format!(
                        "name the lookup column with `on {} = COLUMN`",
                        j.key.display_name()
                    ))
                }
                ParseError::NoKeyColumn { .. } => LangError::new(msg, j.key.span),
                ParseError::Line { .. } if format == LookupFormat::JsonLines => {
                    at_file(msg).with_help("a JSON lookup file holds one JSON object per line")
                }
                _ => at_file(msg),
            }
        })?;
        Ok(Lookup { spec, table, sig })
    }

    /// The fields a join adds, as written (prefixed), when every row of the
    /// file has the same ones.
    pub fn added_names(&self) -> Option<&[String]> {
        self.table.names()
    }
}

impl Join {
    /// Load the lookup table and start the join.
    pub fn open(j: &ast::Join) -> Result<Join, LangError> {
        Ok(Join::with(j, Lookup::load(j)?))
    }

    /// The join of a lookup file loaded at plan time.
    pub fn with(j: &ast::Join, lookup: Lookup) -> Join {
        let Lookup { spec, table, sig } = lookup;
        let pending = duplicates_warning(&j.file, &table).into_iter().collect();
        let stats = LookupStats {
            file: j.file.clone(),
            rows: table.len(),
            file_bytes: sig.size(),
            table_bytes: table.heap_bytes(),
            reloads: 0,
        };
        Join {
            left: j.left,
            key: j.key.parts.clone(),
            file: j.file.clone(),
            spec,
            table,
            seen: sig,
            next_check: wall_clock_ms() + CHECK_EVERY_MS,
            missing: false,
            pending,
            loading: None,
            poll_at: 0,
            stats,
        }
    }

    /// One line for `--explain`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{}join with {} ({} keys) on {} = {}",
            if self.left { "left " } else { "" },
            self.file,
            self.table.len(),
            self.key.join("."),
            self.spec.key
        );
        if let Some(p) = &self.spec.prefix {
            s.push_str(&format!(", added fields prefixed {p}"));
        }
        s.push_str(if self.left {
            "; unmatched events pass unchanged"
        } else {
            "; unmatched events are dropped"
        });
        s
    }

    /// Keep a warning until the next call that can hand it to the run.
    fn warn(&mut self, message: String) {
        self.pending.push(message);
    }

    /// Hand the kept warnings to the run (checked on every event: one
    /// length test).
    fn report_warnings(&mut self, out: &mut dyn Emit) {
        for message in self.pending.drain(..) {
            out.warn(&message);
        }
    }

    /// Check the file if a check is due at `now` (other stages' timers call
    /// `on_tick` more often), and swap in a table loaded meanwhile.
    fn check_due(&mut self, now: Millis) {
        self.poll_load(false);
        if now >= self.next_check {
            self.next_check = now + CHECK_EVERY_MS;
            if self.loading.is_none() {
                self.check_file();
            }
        }
        self.poll_at = now + POLL_LOAD_MS;
    }

    /// Look at the file; start loading a new version if there is one.
    fn check_file(&mut self) {
        let path = PathBuf::from(&self.file);
        let sig = match std::fs::metadata(&path) {
            Ok(m) => Signature::of(&m),
            Err(e) => {
                if !self.missing {
                    self.missing = true;
                    self.warn(format!(
                        "cannot check lookup file {} for changes: {e}; the table loaded before stays in use",
                        self.file
                    ));
                }
                return;
            }
        };
        self.missing = false;
        // Same version, or an in-place rewrite caught between truncation and
        // write: nothing to do (an emptied file is read once it has content).
        if sig == self.seen || sig.size() == 0 {
            return;
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let (file, spec) = (self.file.clone(), self.spec.clone());
        let load = move || {
            let _ = tx.send(load_version(&file, &spec, sig));
        };
        match std::thread::Builder::new()
            .name("lookup-load".into())
            .spawn(load)
        {
            Ok(_) => self.loading = Some(rx),
            // No thread to be had: load here, as before.
            Err(_) => {
                let (tx, rx) = mpsc::sync_channel(1);
                let _ = tx.send(load_version(&self.file, &self.spec, sig));
                self.loading = Some(rx);
                self.poll_load(true);
            }
        }
    }

    /// Take the result of a load under way, if it is there (or, with
    /// `wait`, once it is).
    fn poll_load(&mut self, wait: bool) {
        let Some(rx) = &self.loading else {
            return;
        };
        let loaded = if wait {
            rx.recv().ok()
        } else {
            match rx.try_recv() {
                Ok(l) => Some(l),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => None,
            }
        };
        self.loading = None;
        match loaded {
            Some(Loaded::Table(table, sig)) => {
                self.seen = sig;
                self.pending.extend(duplicates_warning(&self.file, &table));
                self.stats.rows = table.len();
                self.stats.file_bytes = sig.size();
                self.stats.table_bytes = table.heap_bytes();
                self.stats.reloads += 1;
                let old = std::mem::replace(&mut self.table, table);
                // Freeing a large table takes a while: not on the stream's
                // thread (if no thread can be had, the closure and the table
                // are dropped here).
                let _ = std::thread::Builder::new()
                    .name("lookup-free".into())
                    .spawn(move || drop(old));
            }
            Some(Loaded::Refused(msg, sig)) => {
                self.seen = sig;
                self.warn(msg);
            }
            // Being written (or the loader died): try again at the next check.
            Some(Loaded::Changed) | None => {}
        }
    }
}

/// Read and parse one version of the file (on the loader thread).
fn load_version(file: &str, spec: &Spec, sig: Signature) -> Loaded {
    let (bytes, sig) = match lookup::read_consistent(std::path::Path::new(file)) {
        Ok(r) => r,
        Err(ReadError::Changed) => return Loaded::Changed,
        Err(ReadError::IsDir) => {
            return Loaded::Refused(
                format!(
                    "lookup file {file} is now a directory; the table loaded before stays in use"
                ),
                sig,
            )
        }
        Err(ReadError::Io(e)) => {
            return Loaded::Refused(
                format!(
                    "cannot read lookup file {file}: {e}; the table loaded before stays in use"
                ),
                sig,
            )
        }
    };
    match lookup::parse(&bytes, spec) {
        Ok(table) => Loaded::Table(table, sig),
        Err(e) => Loaded::Refused(
            format!(
                "not reloading {file}: {}; the table loaded before stays in use",
                e.describe(file, &spec.key)
            ),
            sig,
        ),
    }
}

impl Operator for Join {
    fn on_event(&mut self, ev: Event<'_>, out: &mut dyn Emit) -> ExecResult {
        if !self.pending.is_empty() {
            self.report_warnings(out);
        }
        let Some(row) = find(&self.table, &self.key, &ev) else {
            return if self.left {
                out.emit(ev)
            } else {
                Ok(Flow::Continue)
            };
        };
        // A lookup with only the key column filters; the event stays untouched.
        if row.fields.is_empty() {
            return out.emit(ev);
        }
        // On a clash the event's own value stays (`prefix` avoids clashes).
        // An untouched JSON line is not decoded: the row's fields, encoded
        // once at load time, are lent to the event and written after it.
        let mut ev: Event<'_> = ev;
        ev.append_new_fields(row.fields);
        out.emit(ev)
    }

    fn on_tick(&mut self, now: Millis, out: &mut dyn Emit) -> ExecResult {
        self.check_due(now);
        self.report_warnings(out);
        Ok(Flow::Continue)
    }

    fn next_tick(&self) -> Option<Millis> {
        Some(match self.loading {
            Some(_) => self.next_check.min(self.poll_at),
            None => self.next_check,
        })
    }

    fn on_end(&mut self, out: &mut dyn Emit) -> ExecResult {
        self.report_warnings(out);
        // The table's figures for `--stats`.
        out.stats().lookups.push(self.stats.clone());
        Ok(Flow::Continue)
    }

    // `snapshot`/`restore` keep their defaults (no state): the table is not
    // state, it is read again from the file on start, so a resumed run joins
    // against the file as it is then.
}

/// The lookup row for this event's key, if any.
fn find<'t>(table: &'t Table, key: &[String], ev: &Event<'_>) -> Option<Row<'t>> {
    if let [field] = key {
        if let Some(raw) = ev.get_raw_json(field) {
            return match raw_key_text(raw) {
                Some(text) => table.get_bytes(text),
                None => find_value(table, &decode_json_value(raw)),
            };
        }
    }
    find_value(table, ev.get_path(key)?.as_ref())
}

fn find_value<'t>(table: &'t Table, v: &Value) -> Option<Row<'t>> {
    // Integers are the common non-string key: format them on the stack.
    let mut buf = [0u8; 24];
    let text: Cow<'_, str> = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let mut w = &mut buf[..];
            match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => write!(w, "{i}"),
                (_, Some(u)) => write!(w, "{u}"),
                _ => return None,
            }
            .ok()?;
            let len = 24 - w.len();
            Cow::Borrowed(std::str::from_utf8(&buf[..len]).ok()?)
        }
        other => key_text(other)?,
    };
    table.get(&text)
}

/// The key text of a raw JSON value when it can be read off the bytes:
/// a string without escapes, an integer as written (JSON integers have no
/// leading zeros, so their text is the canonical one), `true`/`false`.
/// `None` means: decode the value and use `key_text`. Bytes, not `str`:
/// the line was checked to be UTF-8 when indexed, and keys are compared
/// byte for byte.
fn raw_key_text(raw: &[u8]) -> Option<&[u8]> {
    match raw.first()? {
        b'"' => {
            let inner = raw.get(1..raw.len() - 1)?;
            (!inner.contains(&b'\\')).then_some(inner)
        }
        b'-' | b'0'..=b'9' => {
            let digits = raw.strip_prefix(b"-").unwrap_or(raw);
            // Up to 18 digits fit i64; `-0` decodes to 0.
            let plain = !digits.is_empty()
                && digits.len() <= 18
                && digits.iter().all(u8::is_ascii_digit)
                && raw != b"-0";
            plain.then_some(raw)
        }
        b't' | b'f' => Some(raw),
        _ => None,
    }
}

/// Read the file at startup; a file caught mid-write is read again a few times.
fn read_at_startup(path: &std::path::Path) -> Result<(Vec<u8>, Signature), ReadError> {
    let mut tries = 0;
    loop {
        match lookup::read_consistent(path) {
            Err(ReadError::Changed) if tries < 20 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            r => return r,
        }
    }
}

fn duplicates_warning(file: &str, table: &Table) -> Option<String> {
    let d = table.duplicates.as_ref()?;
    let file = crate::report::visible(file);
    let mut msg = format!(
        "lookup file {file}, line {}: duplicate key `{}` (first on line {}); the last row wins",
        d.line,
        crate::report::visible(&d.key),
        d.first_line
    );
    if d.count > 1 {
        msg.push_str(&format!(" ({} duplicate keys in all)", d.count));
    }
    Some(msg)
}

fn wall_clock_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testkit::{assert_snapshot_restore_equivalent, run_script, Step};
    use crate::lang::ast::FieldPath;
    use crate::lang::span::Span;

    fn ast_join(
        file: &str,
        key: &str,
        lookup_key: Option<&str>,
        prefix: Option<&str>,
        left: bool,
    ) -> ast::Join {
        ast::Join {
            left,
            file: file.into(),
            file_span: Span {
                start: 5,
                end: 5 + file.len(),
            },
            key: FieldPath {
                parts: key.split('.').map(String::from).collect(),
                span: Span { start: 0, end: 0 },
            },
            lookup_key: lookup_key.map(String::from),
            prefix: prefix.map(String::from),
        }
    }

    #[test]
    fn raw_keys_read_off_the_bytes_only_when_canonical() {
        assert_eq!(raw_key_text(br#""abc""#), Some(&b"abc"[..]));
        assert_eq!(raw_key_text(br#""""#), Some(&b""[..]));
        assert_eq!(raw_key_text(br#""a\"b""#), None);
        assert_eq!(raw_key_text(b"-12"), Some(&b"-12"[..]));
        assert_eq!(raw_key_text(b"1.50"), None);
        assert_eq!(raw_key_text(b"1e3"), None);
        assert_eq!(raw_key_text(b"-0"), None);
        assert_eq!(raw_key_text(b"12345678901234567890"), None);
        assert_eq!(raw_key_text(b"true"), Some(&b"true"[..]));
        assert_eq!(raw_key_text(b"null"), None);
        assert_eq!(raw_key_text(b"{}"), None);
    }

    #[test]
    fn warnings_go_to_the_run_through_the_chain_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("u.csv");
        std::fs::write(&f, "id,name\n1,ann\n1,bob\n").unwrap();
        let file = f.to_str().unwrap().to_string();
        let make = || -> Box<dyn Operator> {
            Box::new(Join::open(&ast_join(&file, "k", Some("id"), None, false)).unwrap())
        };
        let lines = run_script(
            &make,
            &[
                Step::Event(r#"{"k":1}"#, None),
                Step::Event(r#"{"k":1}"#, None),
                Step::End,
            ],
        );
        let warning = format!(
            "warning:lookup file {file}, line 3: duplicate key `1` (first on line 2); the last row wins"
        );
        assert_eq!(
            lines,
            [
                warning.as_str(),
                r#"{"k":1,"name":"bob"}"#,
                r#"{"k":1,"name":"bob"}"#
            ]
        );
    }

    #[test]
    fn joins_by_key_text_keeps_event_values_and_survives_restore() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("u.csv");
        std::fs::write(&f, "id,name,n\n12,ann,1\nx,bob,2\n1.5,half,3\n").unwrap();
        let file = f.to_str().unwrap().to_string();
        let make = || -> Box<dyn Operator> {
            Box::new(Join::open(&ast_join(&file, "k", Some("id"), None, true)).unwrap())
        };
        let steps = [
            Step::Event(r#"{"k":12}"#, None),
            Step::Event(r#"{"k":"12","name":"own"}"#, None),
            Step::Event(r#"{"k":1.50}"#, None),
            Step::Event(r#"{"k":"nope"}"#, None),
            Step::Event(r#"{"k":null}"#, None),
            Step::Event(r#"{"other":1}"#, None),
        ];
        let out = assert_snapshot_restore_equivalent(&make, &steps);
        assert_eq!(
            out,
            vec![
                r#"{"k":12,"name":"ann","n":1}"#,
                r#"{"k":"12","name":"own","n":1}"#,
                r#"{"k":1.5,"name":"half","n":3}"#,
                r#"{"k":"nope"}"#,
                r#"{"k":null}"#,
                r#"{"other":1}"#,
            ]
        );
        // Inner join: the unmatched are dropped; nested keys and prefixes.
        std::fs::write(&f, "id,name\n7,ann\n").unwrap();
        let inner = || -> Box<dyn Operator> {
            Box::new(Join::open(&ast_join(&file, "u.id", Some("id"), Some("u_"), false)).unwrap())
        };
        let out = run_script(
            &inner,
            &[
                Step::Event(r#"{"u":{"id":7}}"#, None),
                Step::Event(r#"{"u":{"id":8}}"#, None),
            ],
        );
        assert_eq!(out, vec![r#"{"u":{"id":7},"u_name":"ann"}"#]);
    }

    #[test]
    fn a_tick_swaps_in_a_new_version_only_when_the_file_changed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("u.jsonl");
        std::fs::write(&f, "{\"id\":1,\"v\":\"old\"}\n").unwrap();
        let mut j = Join::open(&ast_join(f.to_str().unwrap(), "id", None, None, false)).unwrap();
        let first = j.next_tick().unwrap();
        std::fs::write(&f, "{\"id\":1,\"v\":\"new\"}\n{\"id\":2,\"v\":\"two\"}\n").unwrap();
        // Not yet due: nothing happens.
        j.check_due(first - 1);
        assert_eq!(j.table.len(), 1);
        j.check_due(first);
        // The load runs on its own thread: until it is taken in between
        // events, the old table serves, and the stage asks to be ticked soon.
        assert!(j.loading.is_some());
        assert_eq!(j.table.len(), 1);
        assert_eq!(j.next_tick(), Some(first + POLL_LOAD_MS));
        j.poll_load(true);
        assert_eq!(j.table.len(), 2);
        assert_eq!(j.stats.reloads, 1);
        assert_eq!(j.next_tick(), Some(first + CHECK_EVERY_MS));
        // A version that does not parse keeps the table.
        std::fs::write(&f, "{\"id\":1,\n").unwrap();
        j.check_due(first + CHECK_EVERY_MS);
        j.poll_load(true);
        assert_eq!(j.table.len(), 2);
        // An emptied file (an in-place rewrite caught half-way) is not loaded.
        std::fs::write(&f, "").unwrap();
        j.check_due(first + 2 * CHECK_EVERY_MS);
        assert_eq!(j.table.len(), 2);
        // A vanished file keeps the table too (warned once, until it is back).
        std::fs::remove_file(&f).unwrap();
        j.check_due(first + 3 * CHECK_EVERY_MS);
        assert!(j.missing);
        assert_eq!(j.table.len(), 2);
        std::fs::write(&f, "{\"id\":3}\n").unwrap();
        j.check_due(first + 4 * CHECK_EVERY_MS);
        j.poll_load(true);
        assert!(!j.missing);
        assert_eq!(j.table.len(), 1);
    }
}
