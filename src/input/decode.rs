//! Turns one line into an event, per input format. A line that cannot be
//! decoded is data, not a failure: the caller rejects it with the reason.

use serde_json::Map;

use super::json_index::{index_object, Member};
use super::logfmt::parse_logfmt;
use super::preindex::Pre;
use super::Format;
use crate::event::{Event, Pos, RawFormat};
use crate::value::{typed_cell, Value};

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
}

impl Decoder {
    /// `format` is `None` for `auto` without a telling extension: the first
    /// line decides (`{` is JSON, anything else is lines).
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
    /// line (used only if the line turns out to be JSON).
    pub fn decode_indexed<'a>(&'a mut self, line: &'a [u8], pos: Pos, pre: Pre<'a>) -> Decoded<'a> {
        let format = match self.format {
            Some(f) => f,
            None => {
                let first = line.iter().find(|c| !c.is_ascii_whitespace());
                match first {
                    None => return Decoded::Nothing,
                    Some(b'{') => *self.format.insert(Format::Json),
                    Some(_) => *self.format.insert(Format::Lines),
                }
            }
        };
        if format == Format::Json {
            if let Pre::Valid(members) = pre {
                return Decoded::Event(Event::from_json_line(line, members, pos));
            }
            return self.decode_json(line, pos);
        }
        let text = match std::str::from_utf8(line) {
            Ok(t) => t,
            Err(e) => return utf8_reject(e),
        };
        match format {
            Format::Json => self.decode_json(line, pos),
            Format::Lines => {
                let mut map = Map::with_capacity(1);
                map.insert("line".into(), Value::String(text.to_owned()));
                Decoded::Event(Event::from_decoded(line, RawFormat::Lines, map, pos))
            }
            Format::Logfmt => {
                if text.trim().is_empty() {
                    return Decoded::Nothing;
                }
                match parse_logfmt(text) {
                    Ok(map) => {
                        Decoded::Event(Event::from_decoded(line, RawFormat::Logfmt, map, pos))
                    }
                    Err(reason) => Decoded::Reject(reason),
                }
            }
            Format::Csv | Format::Tsv => self.decode_row(line, text, format, pos),
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
                Ok(_) => Decoded::Reject(reason),
            },
        }
    }

    fn decode_row<'a>(
        &'a mut self,
        line: &'a [u8],
        text: &str,
        format: Format,
        pos: Pos,
    ) -> Decoded<'a> {
        if text.is_empty() {
            return Decoded::Nothing;
        }
        if format == Format::Csv {
            return self.decode_csv(line, pos);
        }
        let cells = split_tsv(text);
        let Some(header) = &self.header else {
            self.header = Some(cells);
            return Decoded::Nothing;
        };
        if cells.len() != header.len() {
            return Decoded::Reject(format!(
                "expected {} fields (as in the header), found {}",
                header.len(),
                cells.len()
            ));
        }
        let map: Map<String, Value> = header
            .iter()
            .zip(cells)
            .map(|(k, c)| (k.clone(), typed_cell(&c)))
            .collect();
        let raw = if format == Format::Tsv {
            RawFormat::Tsv
        } else {
            RawFormat::Csv
        };
        Decoded::Event(Event::from_decoded(line, raw, map, pos))
    }

    /// A CSV line: the header, or an event that keeps its cells unquoted in
    /// the decoder's buffers and types one only when a stage reads it.
    fn decode_csv<'a>(&'a mut self, line: &'a [u8], pos: Pos) -> Decoded<'a> {
        let (out_len, ends_len) = self.split_csv(line);
        // Cells end at delimiters, so each is UTF-8 when the whole is.
        let Ok(text) = std::str::from_utf8(&self.csv_out[..out_len]) else {
            return Decoded::Reject("invalid UTF-8 in a CSV cell".into());
        };
        let ends = &self.csv_ends[..ends_len];
        if self.header.is_none() {
            let mut start = 0;
            let names = ends
                .iter()
                .map(|&end| {
                    let name = text.get(start..end).unwrap_or("").to_owned();
                    start = end;
                    name
                })
                .collect();
            self.header = Some(names);
            return Decoded::Nothing;
        }
        let header = self.header.as_deref().unwrap_or_default();
        if ends.len() != header.len() {
            return Decoded::Reject(format!(
                "expected {} fields (as in the header), found {}",
                header.len(),
                ends.len()
            ));
        }
        Decoded::Event(Event::from_csv_cells(line, header, text, ends, pos))
    }

    /// One CSV record from one line, with csv_core (quotes, doubled quotes),
    /// into `csv_out`/`csv_ends`: the bytes and the count of cell ends used.
    fn split_csv(&mut self, line: &[u8]) -> (usize, usize) {
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
        (out_len, ends_len)
    }
}

fn utf8_reject<'a>(e: std::str::Utf8Error) -> Decoded<'a> {
    Decoded::Reject(format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1))
}

/// TSV cells: split on tabs; `\t`, `\n`, `\r`, `\\` escapes are undone.
fn split_tsv(text: &str) -> Vec<String> {
    text.split('\t')
        .map(|cell| {
            if !cell.contains('\\') {
                return cell.to_owned();
            }
            let mut s = String::with_capacity(cell.len());
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
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn tsv_and_auto_detection() {
        assert_eq!(
            run(Some(Format::Tsv), &["a\tb", "x\\ty\t2"]),
            vec!["-", r#"{"a":"x\ty","b":2}"#]
        );
        assert_eq!(run(None, &["", "{\"a\":1}"]), vec!["-", r#"{"a":1}"#]);
        assert_eq!(run(None, &["hello"]), vec![r#"{"line":"hello"}"#]);
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let mut d = Decoder::new(Some(Format::Json));
        match d.decode(b"{\"a\":\"\xff\"}", Pos::default()) {
            Decoded::Reject(r) => assert_eq!(r, "invalid UTF-8 at byte 7"),
            _ => panic!("accepted invalid UTF-8"),
        }
    }
}
