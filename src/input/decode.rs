//! Turns one line into an event, per input format. A line that cannot be
//! decoded is data, not a failure: the caller rejects it with the reason.

use std::borrow::Cow;

use super::cells::{span, split_csv_in_place, split_tsv_in_place};
use super::format::Format;
use super::json_index::{index_object, Member};
use super::logfmt::{index_logfmt, looks_like_logfmt, Pair};
use super::preindex::Pre;
use crate::event::{Cells, Event, Pos, RawFormat, Span};

// An event is handed on by value at every stage; boxing it here would cost
// an allocation per line to save a copy.
#[allow(clippy::large_enum_variant)]
pub enum Decoded<'a> {
    Event(Event<'a>),
    /// A line that carries no event (a CSV header, a blank JSON line).
    Nothing,
    Reject(String),
}

/// Decoding state of one input: its format (settled on the first line when
/// `auto`) and, for CSV/TSV, the header.
pub struct Decoder {
    format: Option<Format>,
    header: Option<Vec<String>>,
    members: Vec<Member>,
    csv: csv_core::Reader,
    csv_out: Vec<u8>,
    csv_ends: Vec<usize>,
    /// The cells of the current TSV row when escapes were undone.
    cell_buf: Vec<u8>,
    /// Where the current row's cells are (see `Cells`).
    spans: Vec<Span>,
    /// The one field of `lines` input.
    line_header: Vec<String>,
    /// The pairs of the current logfmt line.
    pairs: Vec<Pair>,
}

impl Decoder {
    /// `format` is `None` for `auto` without a telling extension: the first
    /// line that is not blank decides: `{` is JSON, `key=value` pairs are
    /// logfmt (`looks_like_logfmt`), anything else is lines.
    pub fn new(format: Option<Format>) -> Decoder {
        let delimiter = if format == Some(Format::Tsv) {
            b'\t'
        } else {
            b','
        };
        Decoder {
            format,
            header: None,
            members: Vec::new(),
            csv: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            csv_out: vec![0; 1024],
            csv_ends: vec![0; 64],
            cell_buf: Vec::new(),
            spans: Vec::new(),
            line_header: vec!["line".to_string()],
            pairs: Vec::new(),
        }
    }

    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The CSV/TSV header, once its line was decoded (a checkpoint keeps it,
    /// since a resumed run starts past the header line).
    pub fn header(&self) -> Option<&[String]> {
        self.header.as_deref()
    }

    /// Carry on from a checkpoint: the format the first line settled and the header.
    pub fn resume(&mut self, format: Option<Format>, header: Option<Vec<String>>) {
        if format.is_some() {
            self.format = format;
        }
        self.header = header;
    }

    pub fn decode<'a>(&'a mut self, line: &'a [u8], pos: Pos) -> Decoded<'a> {
        self.decode_indexed(line, pos, Pre::Unknown)
    }

    /// As `decode`, with what the reader thread found when it indexed the
    /// line (used only if it was indexed as what the line turns out to be).
    pub fn decode_indexed<'a>(&'a mut self, line: &'a [u8], pos: Pos, pre: Pre<'a>) -> Decoded<'a> {
        let format = match self.format {
            Some(f) => f,
            None => {
                let first = line.iter().find(|c| !c.is_ascii_whitespace());
                match first {
                    None => return Decoded::Nothing,
                    Some(b'{') => *self.format.insert(Format::Json),
                    Some(_) => {
                        let logfmt = std::str::from_utf8(line).is_ok_and(looks_like_logfmt);
                        *self.format.insert(match logfmt {
                            true => Format::Logfmt,
                            false => Format::Lines,
                        })
                    }
                }
            }
        };
        if format == Format::Json {
            if let Pre::Valid(members) = pre {
                return Decoded::Event(Event::from_json_line(line, members, pos));
            }
            return self.decode_json(line, pos);
        }
        if matches!(format, Format::Csv | Format::Tsv) {
            return self.decode_row(line, format, pos, pre);
        }
        let text = match std::str::from_utf8(line) {
            Ok(t) => t,
            Err(e) => return utf8_reject(e),
        };
        match format {
            Format::Json => self.decode_json(line, pos),
            Format::Lines => {
                // One cell, read only if a stage asks for it.
                self.spans.clear();
                self.spans.push(span(0, line.len()));
                let cells = Cells {
                    text: line,
                    spans: &self.spans,
                    typed: false,
                    access: match pre {
                        Pre::Access(scan) => Some(scan),
                        _ => None,
                    },
                };
                Decoded::Event(Event::from_csv_cells(
                    line,
                    RawFormat::Lines,
                    &self.line_header,
                    cells,
                    pos,
                ))
            }
            Format::Logfmt => {
                if text.trim().is_empty() {
                    return Decoded::Nothing;
                }
                match index_logfmt(text, &mut self.pairs) {
                    Ok(()) => Decoded::Event(Event::from_logfmt(text, &self.pairs, pos)),
                    Err(reason) => Decoded::Reject(reason.to_string()),
                }
            }
            Format::Csv | Format::Tsv => self.decode_row(line, format, pos, Pre::Unknown),
        }
    }

    /// The hot path: one pass validates the line (UTF-8 included, see
    /// json_index) and indexes it. Only a line it refuses is looked at again,
    /// so that it is rejected as before: invalid UTF-8 first, a blank line
    /// skipped, else the JSON error.
    fn decode_json<'a>(&'a mut self, line: &'a [u8], pos: Pos) -> Decoded<'a> {
        match index_object(line, &mut self.members) {
            Ok(()) => Decoded::Event(Event::from_json_line(line, &self.members, pos)),
            Err(reason) => match std::str::from_utf8(line) {
                Err(e) => utf8_reject(e),
                Ok(text) if text.trim().is_empty() => Decoded::Nothing,
                Ok(_) => Decoded::Reject(reason.to_string()),
            },
        }
    }

    /// A CSV/TSV line: the header, or an event that keeps its cells in the
    /// line (or, when quotes or escapes had to be undone, in the decoder's
    /// buffers) and types one only when a stage reads it.
    fn decode_row<'a>(
        &'a mut self,
        line: &'a [u8],
        format: Format,
        pos: Pos,
        pre: Pre<'a>,
    ) -> Decoded<'a> {
        let raw = if format == Format::Tsv {
            RawFormat::Tsv
        } else {
            RawFormat::Csv
        };
        match self.row_cells(line, format, pre) {
            Ok(Some((header, cells))) => {
                Decoded::Event(Event::from_csv_cells(line, raw, header, cells, pos))
            }
            Ok(None) => Decoded::Nothing,
            Err(reason) => Decoded::Reject(reason),
        }
    }

    /// A CSV/TSV line of a decoder made for `format`, read as `decode`
    /// reads it (the header kept, the same rejections) but handed back as
    /// the header and the row's cells rather than as an event: for a
    /// lookup table, which copies cells into its arena. `Ok(None)`: the
    /// header line or a blank line.
    pub fn decode_cells<'a>(
        &'a mut self,
        line: &'a [u8],
    ) -> Result<Option<(&'a [String], Cells<'a>)>, String> {
        let format = match self.format {
            Some(f @ (Format::Csv | Format::Tsv)) => f,
            _ => return Err("not a CSV or TSV decoder".into()),
        };
        self.row_cells(line, format, Pre::Unknown)
    }

    fn row_cells<'a>(
        &'a mut self,
        line: &'a [u8],
        format: Format,
        pre: Pre<'a>,
    ) -> Result<Option<(&'a [String], Cells<'a>)>, String> {
        if line.is_empty() {
            return Ok(None);
        }
        // The reader thread may have split the line already (in place).
        let (place, spans) = match pre {
            Pre::Cells { spans, ascii } => (Place::Line { ascii }, spans),
            _ => {
                let place = if format == Format::Tsv {
                    self.split_tsv(line)
                } else {
                    self.split_csv(line)
                };
                (place, &self.spans[..])
            }
        };
        // The whole line must be UTF-8, whichever cells are read. An ASCII
        // line (the in-place split tells) is; cells decoded into a buffer
        // come from the line less some ASCII quotes or backslashes, so they
        // are UTF-8 when the line is.
        if !matches!(place, Place::Line { ascii: true }) {
            if let Err(e) = std::str::from_utf8(line) {
                return Err(utf8_reason(e));
            }
        }
        let text = match place {
            Place::Line { .. } => line,
            Place::CsvOut(len) => &self.csv_out[..len],
            Place::CellBuf => &self.cell_buf[..],
        };
        let cells = Cells {
            text,
            spans,
            typed: true,
            access: None,
        };
        if self.header.is_none() {
            self.header = Some(cells.iter().map(Cow::into_owned).collect());
            return Ok(None);
        }
        let header = self.header.as_deref().unwrap_or_default();
        if cells.len() != header.len() {
            return Err(format!(
                "expected {} fields (as in the header), found {}",
                header.len(),
                cells.len()
            ));
        }
        Ok(Some((header, cells)))
    }

    /// One CSV record from one line into `spans`. Most lines are split
    /// where they are (`split_csv_in_place`); any other goes through
    /// csv_core (doubled quotes, text after a closing quote, a `\r` that
    /// ends the record), which gives the same cells for the easy lines too.
    fn split_csv(&mut self, line: &[u8]) -> Place {
        if let Some(ascii) = split_csv_in_place(line, &mut self.spans) {
            return Place::Line { ascii };
        }
        use csv_core::ReadRecordResult as R;
        self.csv.reset();
        let mut input = line;
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            let (res, nin, nout, nend) = self.csv.read_record(
                input,
                &mut self.csv_out[out_len..],
                &mut self.csv_ends[ends_len..],
            );
            input = &input[nin..];
            out_len += nout;
            ends_len += nend;
            match res {
                R::InputEmpty => continue,
                R::OutputFull => {
                    let n = self.csv_out.len() * 2;
                    self.csv_out.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.csv_ends.len() * 2;
                    self.csv_ends.resize(n, 0);
                }
                R::Record | R::End => break,
            }
        }
        self.spans.clear();
        let mut start = 0;
        for &end in &self.csv_ends[..ends_len] {
            self.spans.push(span(start, end));
            start = end;
        }
        Place::CsvOut(out_len)
    }

    /// TSV cells into `spans`: split on tabs; the `\t`, `\n`, `\r`, `\\`
    /// escapes are undone (into `cell_buf`), any other backslash is kept.
    fn split_tsv(&mut self, line: &[u8]) -> Place {
        if let Some(ascii) = split_tsv_in_place(line, &mut self.spans) {
            return Place::Line { ascii };
        }
        self.spans.clear();
        let out = &mut self.cell_buf;
        out.clear();
        let mut start = 0;
        let mut bytes = line.iter();
        while let Some(&c) = bytes.next() {
            match c {
                b'\t' => {
                    self.spans.push(span(start, out.len()));
                    start = out.len();
                }
                b'\\' => match bytes.next() {
                    Some(b't') => out.push(b'\t'),
                    Some(b'n') => out.push(b'\n'),
                    Some(b'r') => out.push(b'\r'),
                    Some(b'\\') => out.push(b'\\'),
                    Some(&o) => {
                        out.push(b'\\');
                        // A tab after a lone backslash still ends the cell.
                        if o == b'\t' {
                            self.spans.push(span(start, out.len()));
                            start = out.len();
                        } else {
                            out.push(o);
                        }
                    }
                    None => out.push(b'\\'),
                },
                _ => out.push(c),
            }
        }
        self.spans.push(span(start, out.len()));
        Place::CellBuf
    }
}

/// Where a row's cells are: in the line itself, or decoded into a buffer.
enum Place {
    /// `ascii`: the line is known to be ASCII (else it is yet to be checked).
    Line {
        ascii: bool,
    },
    CsvOut(usize),
    CellBuf,
}

fn utf8_reject<'a>(e: std::str::Utf8Error) -> Decoded<'a> {
    Decoded::Reject(utf8_reason(e))
}

fn utf8_reason(e: std::str::Utf8Error) -> String {
    format!("invalid UTF-8 at byte {}{UTF8_HINT}", e.valid_up_to() + 1)
}

/// What to do about a line that is not UTF-8 (most often Latin-1 or
/// Windows-1252 text from an old system).
pub const UTF8_HINT: &str =
    " (streamctl reads UTF-8: convert the text first, e.g. iconv -f latin1 -t utf-8)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn run(format: Option<Format>, lines: &[&str]) -> Vec<String> {
        let mut d = Decoder::new(format);
        let mut out = Vec::new();
        for l in lines {
            out.push(match d.decode(l.as_bytes(), Pos::default()) {
                Decoded::Event(ev) => serde_json::to_string(&ev.into_map()).unwrap(),
                Decoded::Nothing => "-".into(),
                Decoded::Reject(r) => format!("!{r}"),
            });
        }
        out
    }

    #[test]
    fn csv_rows_are_typed_and_checked_for_width() {
        assert_eq!(
            run(
                Some(Format::Csv),
                &["a,b,c", r#"12,"x, ""y""",007"#, "1,2", ",-3.5e2,"]
            ),
            vec![
                "-".to_string(),
                r#"{"a":12,"b":"x, \"y\"","c":"007"}"#.into(),
                "!expected 3 fields (as in the header), found 2".into(),
                r#"{"a":null,"b":-350.0,"c":null}"#.into(),
            ]
        );
    }

    #[test]
    fn csv_cells_are_typed_when_read_and_the_last_repeated_column_wins() {
        let mut d = Decoder::new(Some(Format::Csv));
        assert!(matches!(
            d.decode(b"a,b,a", Pos::default()),
            Decoded::Nothing
        ));
        let Decoded::Event(ev) = d.decode(br#""x,1",12,"#, Pos::default()) else {
            panic!("row not decoded");
        };
        assert_eq!(ev.get("b").unwrap().as_ref(), &Value::from(12));
        assert_eq!(ev.get("a").unwrap().as_ref(), &Value::Null);
        assert!(ev.get("c").is_none());
        assert!(ev.get_raw_json("b").is_none());
        assert_eq!(
            ev.unchanged_raw(),
            Some((&br#""x,1",12,"#[..], RawFormat::Csv))
        );
        assert_eq!(
            serde_json::to_string(&ev.into_map()).unwrap(),
            r#"{"a":null,"b":12}"#
        );
    }

    /// The cells csv_core finds in a line (what the decoder's slow path uses).
    fn csv_core_cells(line: &[u8]) -> Vec<String> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line);
        let mut rec = csv::ByteRecord::new();
        if !rdr.read_byte_record(&mut rec).unwrap_or(false) {
            return vec![];
        }
        rec.iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect()
    }

    /// The cells the decoder keeps for a line (the header, or a row).
    fn decoder_cells(d: &mut Decoder, line: &[u8]) -> Result<Vec<String>, String> {
        match d.decode(line, Pos::default()) {
            Decoded::Event(ev) => Ok(ev
                .keys()
                .iter()
                .map(|k| ev.get_cell(k).unwrap_or_default().into_owned())
                .collect()),
            Decoded::Nothing => Ok(d.header().unwrap_or_default().to_vec()),
            Decoded::Reject(r) => Err(r),
        }
    }

    #[test]
    fn csv_fast_path_agrees_with_csv_core() {
        let lines: &[&[u8]] = &[
            b"a,b,c",
            b"1,2,3",
            b",,",
            b"x,,",
            br#""a,b",c,d"#,
            br#"a,"x ""q"" y",c"#,
            br#"a,b"c,d"#,
            br#""",,"#,
            b"a,b\rc,d",
            "\u{e9},\u{1f600},z".as_bytes(),
            b" a , b ,c ",
            br#"a,"b""#,
            br#"a,"""#,
            br#""","""#,
            br#""a""b",c"#,
            br#""ab"cd,e"#,
            br#""ab"c"d",e"#,
            br#""abc"#,
            br#""abc,d"#,
            b"\"a\"\r",
            b"\"a\rb\",c",
            b"a,b,",
            b"x,-1,-,,-,--,,-",
            b"ab,-defg,-ijklm,-,\r-,-",
            b",",
            br#"a,"b,"#,
            "\"\u{e9},\",\u{e9}".as_bytes(),
            br#"""""#,
            br#""a""","b""c""#,
            br#"""",x"#,
            br#"""a"","#,
            br#""a""b"x,y"#,
        ];
        for line in lines {
            let mut d = Decoder::new(Some(Format::Csv));
            let got = decoder_cells(&mut d, line).unwrap();
            assert_eq!(got, csv_core_cells(line), "header {line:?}");
            // The same line as a row under a header of its width (names
            // distinct, so that every cell is seen).
            let mut d = Decoder::new(Some(Format::Csv));
            let header: Vec<String> = (0..got.len()).map(|i| format!("h{i}")).collect();
            decoder_cells(&mut d, header.join(",").as_bytes()).unwrap();
            assert_eq!(decoder_cells(&mut d, line).unwrap(), got, "row {line:?}");
        }
    }

    proptest::proptest! {
        /// Any line over the bytes that matter (quotes, commas, carriage
        /// returns, multi-byte and invalid UTF-8) gives csv_core's cells,
        /// as a header and as a row, whichever path it takes.
        #[test]
        fn csv_cells_are_csv_cores(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                &b"a"[..], b"bc", b",", b"\"", b"\"\"", b"\r", b" ", "\u{e9}".as_bytes(), b"\xff", b"12345678", b"-", b"\x01",
            ]),
            0..24,
        )) {
            let line = parts.concat();
            let mut d = Decoder::new(Some(Format::Csv));
            let got = decoder_cells(&mut d, &line);
            if line.is_empty() {
                proptest::prop_assert_eq!(got, Ok(vec![]));
                return Ok(());
            }
            match std::str::from_utf8(&line) {
                Err(e) => proptest::prop_assert_eq!(
                    got,
                    Err(utf8_reason(e))
                ),
                Ok(_) => {
                    let want = csv_core_cells(&line);
                    proptest::prop_assert_eq!(got, Ok(want.clone()));
                    let mut d = Decoder::new(Some(Format::Csv));
                    let header: Vec<String> = (0..want.len()).map(|i| format!("h{i}")).collect();
                    decoder_cells(&mut d, header.join(",").as_bytes()).unwrap();
                    proptest::prop_assert_eq!(decoder_cells(&mut d, &line), Ok(want));
                }
            }
        }
    }

    proptest::proptest! {
        /// TSV lines split in place or unescaped give the cells of a plain
        /// split on tabs with the escapes undone.
        #[test]
        fn tsv_cells_are_split_and_unescaped(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                &b"a"[..], b"\t", b"\\", b"\\t", b"\\\\", b"\r", b"\"", "\u{e9}".as_bytes(), b"\xff",
                b"12345678", b"\x08", b"\x5c",
            ]),
            1..24,
        )) {
            let line = parts.concat();
            let mut d = Decoder::new(Some(Format::Tsv));
            let got = decoder_cells(&mut d, &line);
            match std::str::from_utf8(&line) {
                Err(e) => proptest::prop_assert_eq!(
                    got,
                    Err(utf8_reason(e))
                ),
                Ok(text) => {
                    let want: Vec<String> = text.split('\t').map(unescape_tsv).collect();
                    proptest::prop_assert_eq!(got, Ok(want));
                }
            }
        }
    }

    /// TSV escapes undone, char by char (the decoder works on bytes).
    fn unescape_tsv(cell: &str) -> String {
        let mut s = String::new();
        let mut chars = cell.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                s.push(c);
                continue;
            }
            match chars.next() {
                Some('t') => s.push('\t'),
                Some('n') => s.push('\n'),
                Some('r') => s.push('\r'),
                Some('\\') => s.push('\\'),
                Some(o) => {
                    s.push('\\');
                    s.push(o);
                }
                None => s.push('\\'),
            }
        }
        s
    }

    #[test]
    fn csv_rows_of_the_wrong_width_and_bad_utf8_are_rejected_on_both_paths() {
        let mut d = Decoder::new(Some(Format::Csv));
        decoder_cells(&mut d, b"a,b").unwrap();
        for (line, want) in [
            (
                &b"1,2,3"[..],
                "expected 2 fields (as in the header), found 3",
            ),
            (b"1", "expected 2 fields (as in the header), found 1"),
            (
                br#""1,2",3,4"#,
                "expected 2 fields (as in the header), found 3",
            ),
            (br#""1,2""#, "expected 2 fields (as in the header), found 1"),
            (b"1,\xff", "invalid UTF-8 at byte 3"),
            (b"\"\xff\",2", "invalid UTF-8 at byte 2"),
        ] {
            let want = match want.starts_with("invalid UTF-8") {
                true => format!("{want}{UTF8_HINT}"),
                false => want.to_string(),
            };
            assert_eq!(decoder_cells(&mut d, line), Err(want));
        }
        // Nothing carries over from a rejected row.
        assert_eq!(decoder_cells(&mut d, b"x,y").unwrap(), ["x", "y"]);
        assert_eq!(decoder_cells(&mut d, br#""x",y"#).unwrap(), ["x", "y"]);
    }

    #[test]
    fn tsv_fast_path_agrees_with_unescaping() {
        let mut d = Decoder::new(Some(Format::Tsv));
        decoder_cells(&mut d, b"a\tb\tc").unwrap();
        for (line, want) in [
            (&b"1\t2\t3"[..], vec!["1", "2", "3"]),
            (b"\t\t", vec!["", "", ""]),
            (br"x\ty	\n\r	\\", vec!["x\ty", "\n\r", "\\"]),
            (b"a\\\tb\\q\tc\\", vec!["a\\", "b\\q", "c\\"]),
            (b"\"q\"\t,\t\r", vec!["\"q\"", ",", "\r"]),
            (
                "\u{e9}\\\u{e9}\t\\t\u{1f600}\tz".as_bytes(),
                vec!["\u{e9}\\\u{e9}", "\t\u{1f600}", "z"],
            ),
        ] {
            assert_eq!(decoder_cells(&mut d, line).unwrap(), want, "{line:?}");
        }
        assert_eq!(
            decoder_cells(&mut d, b"1\\t2\t3"),
            Err("expected 3 fields (as in the header), found 2".into())
        );
        let Decoded::Event(ev) = d.decode(b"1\t\t-2.5", Pos::default()) else {
            panic!("row not decoded");
        };
        assert_eq!(
            ev.unchanged_raw(),
            Some((&b"1\t\t-2.5"[..], RawFormat::Tsv))
        );
        assert_eq!(
            serde_json::to_string(&ev.into_map()).unwrap(),
            r#"{"a":1,"b":null,"c":-2.5}"#
        );
    }

    #[test]
    fn logfmt_lines_are_read_lazily_as_parse_logfmt_reads_them() {
        use crate::input::logfmt::parse_logfmt;
        let lines = [
            r#"level=info msg="hello \"you\"" ms=12 ratio=0.5 empty= flag"#,
            "a=1 b=2 a=x",
            r#"id="12" q="" e=-3.5e2 z=007"#,
            "k=\"\\é\\t\" j=\u{e9}",
            "  lead=1   trail=2  ",
        ];
        for line in lines {
            let mut d = Decoder::new(Some(Format::Logfmt));
            let Decoded::Event(ev) = d.decode(line.as_bytes(), Pos::default()) else {
                panic!("not decoded: {line}");
            };
            let map = parse_logfmt(line).unwrap();
            assert_eq!(ev.keys(), map.keys().cloned().collect::<Vec<_>>(), "{line}");
            for (k, v) in &map {
                assert_eq!(ev.get(k).as_deref(), Some(v), "{line}: {k}");
            }
            assert!(ev.get("missing").is_none());
            assert_eq!(
                ev.unchanged_raw(),
                Some((line.as_bytes(), RawFormat::Logfmt))
            );
            assert_eq!(ev.into_map(), map, "{line}");
        }
        let mut d = Decoder::new(Some(Format::Logfmt));
        assert!(matches!(d.decode(b"  ", Pos::default()), Decoded::Nothing));
        assert!(matches!(
            d.decode(b"a=\"open", Pos::default()),
            Decoded::Reject(r) if r.contains("unterminated")
        ));
        assert!(matches!(
            d.decode(b"a=\xff", Pos::default()),
            Decoded::Reject(r) if r == format!("invalid UTF-8 at byte 3{UTF8_HINT}")
        ));
    }

    proptest::proptest! {
        /// Any line over the bytes logfmt cares about decodes without a
        /// panic, lazily to the same fields as parse_logfmt, or is rejected
        /// as parse_logfmt rejects it.
        #[test]
        fn logfmt_lazy_reading_agrees_with_parse_logfmt(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                &b"a"[..], b"k", b"=", b" ", b"\"", b"\\", b"\\\"", b"\\n", b"12", b"-1.5",
                "\u{e9}".as_bytes(), b"\t",
            ]),
            0..20,
        )) {
            use crate::input::logfmt::parse_logfmt;
            let line = parts.concat();
            let text = std::str::from_utf8(&line).unwrap();
            let mut d = Decoder::new(Some(Format::Logfmt));
            match (d.decode(&line, Pos::default()), parse_logfmt(text)) {
                (Decoded::Nothing, _) => proptest::prop_assert!(text.trim().is_empty()),
                (Decoded::Event(ev), Ok(map)) => {
                    for (k, v) in &map {
                        let got = ev.get(k);
                        proptest::prop_assert_eq!(got.as_deref(), Some(v));
                    }
                    proptest::prop_assert_eq!(ev.into_map(), map);
                }
                (Decoded::Reject(r), Err(e)) => proptest::prop_assert_eq!(r, e.to_string()),
                (Decoded::Event(_), Err(e)) => proptest::prop_assert!(false, "accepted, but {}", e),
                (Decoded::Reject(r), Ok(_)) => proptest::prop_assert!(false, "rejected: {}", r),
            }
        }
    }

    #[test]
    fn tsv_and_auto_detection() {
        assert_eq!(
            run(Some(Format::Tsv), &["a\tb", "x\\ty\t2"]),
            vec!["-", r#"{"a":"x\ty","b":2}"#]
        );
        assert_eq!(run(None, &["", "{\"a\":1}"]), vec!["-", r#"{"a":1}"#]);
        assert_eq!(run(None, &["hello"]), vec![r#"{"line":"hello"}"#]);
        // logfmt on the first line: every line is logfmt after it.
        assert_eq!(
            run(None, &["", r#"a=1 msg="x y""#, "b=2 c=x", "just text"]),
            vec![
                "-",
                r#"{"a":1,"msg":"x y"}"#,
                r#"{"b":2,"c":"x"}"#,
                r#"{"just":true,"text":true}"#
            ]
        );
        // A first line of text keeps the rest as lines, logfmt or not.
        assert_eq!(
            run(None, &["level=info", "a=1 b=2"]),
            vec![r#"{"line":"level=info"}"#, r#"{"line":"a=1 b=2"}"#]
        );
        // Lines are text, never typed like cells.
        assert_eq!(
            run(Some(Format::Lines), &["12", "", "\u{e9} x", "a\tb"]),
            vec![
                r#"{"line":"12"}"#,
                r#"{"line":""}"#,
                "{\"line\":\"\u{e9} x\"}",
                r#"{"line":"a\tb"}"#
            ]
        );
        let mut d = Decoder::new(Some(Format::Lines));
        let Decoded::Event(ev) = d.decode(b"-1.5", Pos::default()) else {
            panic!("line not decoded");
        };
        assert_eq!(ev.get("line").unwrap().as_ref(), &Value::from("-1.5"));
        assert!(ev.get("other").is_none());
        assert_eq!(ev.get_cell("line").as_deref(), Some("-1.5"));
        assert_eq!(ev.keys(), ["line"]);
        assert_eq!(ev.unchanged_raw(), Some((&b"-1.5"[..], RawFormat::Lines)));
        assert!(matches!(
            d.decode(b"\xffa", Pos::default()),
            Decoded::Reject(r) if r == format!("invalid UTF-8 at byte 1{UTF8_HINT}")
        ));
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let mut d = Decoder::new(Some(Format::Json));
        match d.decode(b"{\"a\":\"\xff\"}", Pos::default()) {
            Decoded::Reject(r) => assert_eq!(r, format!("invalid UTF-8 at byte 7{UTF8_HINT}")),
            _ => panic!("accepted invalid UTF-8"),
        }
    }
}
