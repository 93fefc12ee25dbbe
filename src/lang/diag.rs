//! Errors in the pipeline text, and the one place that draws carets under them.
//!
//! Spans are byte ranges; columns shown to the user count characters, so a
//! pipeline with `é` or `→` in a string still gets its caret in the right
//! place. Rendering must never panic, even for a span that does not fit the
//! source it is given.

use crate::lang::span::Span;

/// A problem in the pipeline text: what is wrong, where, and (when we can
/// guess) what the user meant.
#[derive(Debug, Clone, PartialEq)]
pub struct LangError {
    pub message: String,
    pub span: Span,
    /// Shown after the carets, e.g. "did you mean `count`?"
    pub help: Option<String>,
}

impl LangError {
    pub fn new(message: impl Into<String>, span: Span) -> LangError {
        LangError {
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> LangError {
        self.help = Some(help.into());
        self
    }

    /// Render as in DESIGN §3:
    /// ```text
    /// error: unknown stage `cout`
    ///   |
    /// 1 | where status >= 500 | cout by path
    ///   |                       ^^^^ did you mean `count`?
    /// ```
    /// The line number is the span's first line (pipeline files have many);
    /// a span running over several lines is underlined to the end of its
    /// first line. The text ends with a newline.
    pub fn render(&self, source: &str) -> String {
        let start = floor_boundary(source, self.span.start);
        let end = floor_boundary(source, self.span.end.max(start));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line_no = source[..start].matches('\n').count() + 1;
        let line = source[line_start..line_end].trim_end_matches('\r');
        // Tabs would shift the caret line differently in every terminal.
        let shown: String = line
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let col = source[line_start..start].chars().count();
        let width = source[start..end.min(line_end)].chars().count().max(1);

        let number = line_no.to_string();
        let pad = " ".repeat(number.len());
        let mut out = format!("error: {}\n{pad} |\n", self.message);
        out += format!("{number} | {shown}").trim_end();
        out += "\n";
        out += &format!("{pad} | {}{}", " ".repeat(col), "^".repeat(width));
        if let Some(help) = &self.help {
            out += " ";
            out += help;
        }
        out += "\n";
        out
    }
}

/// The largest char boundary ≤ `i` (and ≤ `s.len()`).
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The candidate the user most likely meant by `word`, if any is close:
/// the same word in another case, or within a small edit distance
/// (transpositions count once, so `emti` finds `emit`).
pub fn suggest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = word.to_lowercase();
    if let Some(c) = candidates.iter().find(|c| **c == lower) {
        return Some(c);
    }
    let limit = match word.chars().count() {
        0..=2 => 0,
        3..=4 => 1,
        _ => 2,
    };
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, c), *c))
        .filter(|(d, _)| *d <= limit && *d > 0)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `did you mean `x`?` for [`LangError::with_help`].
pub fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    suggest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_in_the_design() {
        let src = "where status >= 500 | cout by path";
        let e = LangError::new("unknown stage `cout`", Span::new(22, 26))
            .with_help("did you mean `count`?");
        assert_eq!(
            e.render(src),
            "error: unknown stage `cout`\n\
             \x20 |\n\
             1 | where status >= 500 | cout by path\n\
             \x20 |                       ^^^^ did you mean `count`?\n"
        );
    }

    #[test]
    fn without_help_no_trailing_space() {
        let e = LangError::new("boom", Span::new(0, 1));
        assert_eq!(e.render("ab"), "error: boom\n  |\n1 | ab\n  | ^\n");
    }

    #[test]
    fn counts_characters_not_bytes() {
        let src = "where x == \"é→\" | cuont";
        let start = src.find("cuont").unwrap();
        let e = LangError::new("m", Span::new(start, start + 5));
        assert_eq!(
            e.render(src),
            format!("error: m\n  |\n1 | {src}\n  | {}^^^^^\n", " ".repeat(18))
        );
    }

    #[test]
    fn multi_line_source_and_wide_gutter() {
        let src = "where a\n".repeat(9) + "| cout\n| head 1\n";
        let start = src.find("cout").unwrap();
        let e = LangError::new("unknown stage `cout`", Span::new(start, start + 4));
        assert_eq!(
            e.render(&src),
            "error: unknown stage `cout`\n   |\n10 | | cout\n   |   ^^^^\n"
        );
    }

    #[test]
    fn span_over_lines_is_cut_at_the_line_end() {
        let e = LangError::new("m", Span::new(2, 7));
        assert_eq!(
            e.render("ab\"cd\nef\""),
            "error: m\n  |\n1 | ab\"cd\n  |   ^^^\n"
        );
    }

    #[test]
    fn empty_span_at_the_end_gets_one_caret() {
        let e = LangError::new("expected an expression after `where`", Span::new(5, 5));
        assert_eq!(
            e.render("where"),
            "error: expected an expression after `where`\n  |\n1 | where\n  |      ^\n"
        );
    }

    #[test]
    fn out_of_range_span_does_not_panic() {
        let e = LangError::new("m", Span::new(100, 200));
        assert_eq!(e.render("é"), "error: m\n  |\n1 | é\n  |  ^\n");
        let e = LangError::new("m", Span::new(1, 0));
        assert_eq!(e.render("é"), "error: m\n  |\n1 | é\n  | ^\n");
    }

    #[test]
    fn suggestions() {
        let words = ["count", "where", "emit", "every", "session", "by"];
        assert_eq!(suggest("cout", &words), Some("count"));
        assert_eq!(suggest("emti", &words), Some("emit"));
        assert_eq!(suggest("evry", &words), Some("every"));
        assert_eq!(suggest("sesion", &words), Some("session"));
        assert_eq!(suggest("WHERE", &words), Some("where"));
        assert_eq!(suggest("banana", &words), None);
        assert_eq!(suggest("xy", &words), None);
    }
}
