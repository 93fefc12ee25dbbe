//! Turns one line into an event, per input format. A line that cannot be
//! decoded is data, not a failure: the caller rejects it with the reason.

use serde_json::Map;

use super::json_index::{index_object, Member};
use super::logfmt::parse_logfmt;
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
        let text = match std::str::from_utf8(line) {
            Ok(t) => t,
            Err(e) => {
                return Decoded::Reject(format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1))
            }
        };
        match format {
            Format::Json => {
                if text.trim().is_empty() {
                    return Decoded::Nothing;
                }
                match index_object(line, &mut self.members) {
                    Ok(()) => Decoded::Event(Event::from_json_line(line, &self.members, pos)),
                    Err(reason) => Decoded::Reject(reason),
                }
            }
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

    fn decode_row<'a>(
        &mut self,
        line: &'a [u8],
        text: &str,
        format: Format,
        pos: Pos,
    ) -> Decoded<'a> {
        if text.is_empty() {
            return Decoded::Nothing;
        }
        let cells = match format {
            Format::Tsv => split_tsv(text),
            _ => match self.split_csv(line) {
                Ok(cells) => cells,
                Err(reason) => return Decoded::Reject(reason),
            },
        };
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

    /// One CSV record from one line, with csv_core (quotes, doubled quotes).
    fn split_csv(&mut self, line: &[u8]) -> Result<Vec<String>, String> {
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
        let mut cells = Vec::with_capacity(ends_len);
        let mut start = 0;
        for &end in &self.csv_ends[..ends_len] {
            // Ends index into the unescaped output; it is UTF-8 because the line is.
            let cell = std::str::from_utf8(&self.csv_out[start..end])
                .map_err(|_| "invalid UTF-8 in a CSV cell".to_string())?;
            cells.push(cell.to_owned());
            start = end;
        }
        Ok(cells)
    }
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
