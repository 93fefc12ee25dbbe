//! Tokens of the pipeline language.
//!
//! The lexer is a cursor the parser pulls tokens from one at a time, so the
//! parser can take a raw word out of the source where the grammar needs one
//! (`join ./data/users.csv on …`). It knows nothing about stages: every word is
//! an `Ident`, and whether it is a keyword is the parser's call (keywords are
//! contextual). It must never panic, whatever the input.

use crate::lang::{diag::LangError, span::Span};

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// `status`, `count`, `@timestamp` — also every keyword.
    Ident(String),
    /// `` `user-agent` `` — always a name, never a keyword.
    Backtick(String),
    /// `"text"` or `'text'`, escapes already applied.
    Str(String),
    /// An unsigned integer: counts (`head N`) take any u64, and expressions
    /// check the i64 range themselves (so `-9223372036854775808` fits).
    Int(u64),
    Float(f64),
    /// `250ms`, `30s`, `1m30s`, in milliseconds.
    Duration(i64),
    /// A raw run of non-space characters, only produced by
    /// [`Lexer::raw_word`] (the file of `join`).
    Word(String),
    Pipe,
    OrOr,
    AndAnd,
    Bang,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
    Assign,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// The first character of a plain (unquoted) name.
pub fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

/// A character after the first of a plain name.
pub fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// True when `s` lexes as one `Ident` token (`count`, `@timestamp`).
pub fn is_plain_ident(s: &str) -> bool {
    let rest = s.strip_prefix('@').unwrap_or(s);
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) if is_ident_start(c) => chars.all(is_ident_continue),
        _ => false,
    }
}

/// Milliseconds per duration unit.
const UNITS: [(&str, i64); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// `1m30s` → 90000; `None` when the text is not a duration or overflows.
pub fn parse_duration(text: &str) -> Option<i64> {
    let mut rest = text;
    let mut total: i64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let letters = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let unit = &rest[..letters];
        let (_, factor) = UNITS.iter().find(|(u, _)| *u == unit)?;
        total = total.checked_add(n.checked_mul(*factor)?)?;
        rest = &rest[letters..];
    }
    Some(total)
}

#[derive(Debug, Clone, Copy)]
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, pos: 0 }
    }

    /// Move the cursor (to a char boundary the caller got from a span).
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.src.len());
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skip whitespace and `#` comments (to end of line; useful in pipeline files).
    pub fn skip_trivia(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '#' {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    /// Where an end-of-pipeline token points: just after the last
    /// non-blank character, so the caret sits on a visible line.
    fn eof_span(&self) -> Span {
        let end = self.src.trim_end().len();
        Span::new(end, end)
    }

    /// A raw word of non-space characters up to a space or `|` (a `join`
    /// file). `None` when the next character starts a quoted string, a `|`,
    /// or the input ends: the caller then lexes a normal token.
    pub fn raw_word(&mut self) -> Option<Token> {
        self.skip_trivia();
        match self.peek() {
            None | Some('"') | Some('\'') | Some('|') => return None,
            _ => {}
        }
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == '|' {
                break;
            }
            self.bump();
        }
        let text = self.src[start..self.pos].to_string();
        Some(Token {
            kind: TokenKind::Word(text),
            span: Span::new(start, self.pos),
        })
    }

    pub fn next_token(&mut self) -> Result<Token, LangError> {
        self.skip_trivia();
        let start = self.pos;
        let Some(c) = self.bump() else {
            return Ok(Token {
                kind: TokenKind::Eof,
                span: self.eof_span(),
            });
        };
        let next = self.peek();
        let two = |lx: &mut Lexer, k: TokenKind| {
            lx.bump();
            k
        };
        let kind = match c {
            '|' if next == Some('|') => two(self, TokenKind::OrOr),
            '|' => TokenKind::Pipe,
            '&' if next == Some('&') => two(self, TokenKind::AndAnd),
            '!' if next == Some('=') => two(self, TokenKind::Ne),
            '!' if next == Some('~') => two(self, TokenKind::NotMatch),
            '!' => TokenKind::Bang,
            '=' if next == Some('=') => two(self, TokenKind::EqEq),
            '=' if next == Some('~') => two(self, TokenKind::Match),
            '=' => TokenKind::Assign,
            '<' if next == Some('=') => two(self, TokenKind::Le),
            '<' => TokenKind::Lt,
            '>' if next == Some('=') => two(self, TokenKind::Ge),
            '>' => TokenKind::Gt,
            '+' => TokenKind::Plus,
            '-' => TokenKind::Minus,
            '*' => TokenKind::Star,
            '/' => TokenKind::Slash,
            '%' => TokenKind::Percent,
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '[' => TokenKind::LBracket,
            ']' => TokenKind::RBracket,
            ',' => TokenKind::Comma,
            '.' => TokenKind::Dot,
            '"' | '\'' => TokenKind::Str(self.quoted(c, start, "string")?),
            '`' => TokenKind::Backtick(self.quoted(c, start, "quoted name")?),
            '@' if next.is_some_and(is_ident_start) => {
                self.eat_while(is_ident_continue);
                TokenKind::Ident(self.src[start..self.pos].to_string())
            }
            c if is_ident_start(c) => {
                self.eat_while(is_ident_continue);
                TokenKind::Ident(self.src[start..self.pos].to_string())
            }
            c if c.is_ascii_digit() => self.number(start)?,
            '&' => {
                return Err(
                    LangError::new("unexpected character `&`", Span::new(start, self.pos))
                        .with_help("`and` is written `and` or `&&`"),
                )
            }
            c => {
                return Err(LangError::new(
                    format!("unexpected character `{c}`"),
                    Span::new(start, self.pos),
                ))
            }
        };
        Ok(Token {
            kind,
            span: Span::new(start, self.pos),
        })
    }

    fn eat_while(&mut self, f: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&f) {
            self.bump();
        }
    }

    /// The body of a quoted string or name whose opening `quote` was read.
    /// Only `\quote` and `\\` are escapes; any other backslash is kept, so
    /// regexes read naturally.
    fn quoted(&mut self, quote: char, start: usize, what: &str) -> Result<String, LangError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(LangError::new(
                        format!("unterminated {what}"),
                        Span::new(start, start + 1),
                    )
                    .with_help(format!("add the closing {quote}")))
                }
                Some('\\') if self.peek() == Some(quote) || self.peek() == Some('\\') => {
                    out.extend(self.bump());
                }
                Some(c) if c == quote => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    /// An integer, a float (`1.5`, `2e-3`) or a duration (`30s`, `1m30s`).
    fn number(&mut self, start: usize) -> Result<TokenKind, LangError> {
        self.eat_while(|c| c.is_ascii_digit());
        let mut is_float = false;
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            is_float = true;
            self.bump();
            self.eat_while(|c| c.is_ascii_digit());
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let digit_at = if matches!(self.peek_at(1), Some('+' | '-')) {
                2
            } else {
                1
            };
            if self.peek_at(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                for _ in 0..digit_at {
                    self.bump();
                }
                self.eat_while(|c| c.is_ascii_digit());
            }
        }
        let number_end = self.pos;
        if self.peek().is_some_and(is_ident_continue) {
            self.eat_while(is_ident_continue);
            let text = &self.src[start..self.pos];
            let span = Span::new(start, self.pos);
            if is_float {
                return Err(LangError::new(format!("invalid number `{text}`"), span));
            }
            return match parse_duration(text) {
                Some(ms) => Ok(TokenKind::Duration(ms)),
                None if text.bytes().all(|b| b.is_ascii_alphanumeric())
                    && UNITS.iter().any(|(u, _)| text.ends_with(u)) =>
                {
                    Err(LangError::new(
                        format!("duration `{text}` is too long"),
                        span,
                    ))
                }
                None => Err(LangError::new(format!("invalid duration `{text}`"), span)
                    .with_help("durations are written like 250ms, 30s, 5m, 1h, 1d or 1m30s")),
            };
        }
        let text = &self.src[start..number_end];
        let span = Span::new(start, number_end);
        if is_float {
            // Digits, '.', 'e' and a sign always parse as f64.
            text.parse::<f64>()
                .map(TokenKind::Float)
                .map_err(|_| LangError::new(format!("invalid number `{text}`"), span))
        } else {
            match text.parse::<u64>() {
                Ok(n) => Ok(TokenKind::Int(n)),
                Err(_) => Err(
                    LangError::new(format!("integer `{text}` is too large"), span)
                        .with_help("integers must fit in 64 bits; write a float like 1e20"),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let mut lx = Lexer::new(src);
        let mut out = vec![];
        loop {
            let t = lx.next_token().unwrap();
            if t.kind == Eof {
                return out;
            }
            out.push(t.kind);
        }
    }

    fn err(src: &str) -> String {
        let mut lx = Lexer::new(src);
        loop {
            match lx.next_token() {
                Ok(t) if t.kind == Eof => panic!("no error in {src:?}"),
                Ok(_) => {}
                Err(e) => return e.message,
            }
        }
    }

    fn id(s: &str) -> TokenKind {
        Ident(s.into())
    }

    #[test]
    fn operators() {
        assert_eq!(
            kinds("| || && ! != !~ == =~ = < <= > >= + - * / % ( ) [ ] , ."),
            vec![
                Pipe, OrOr, AndAnd, Bang, Ne, NotMatch, EqEq, Match, Assign, Lt, Le, Gt, Ge, Plus,
                Minus, Star, Slash, Percent, LParen, RParen, LBracket, RBracket, Comma, Dot
            ]
        );
    }

    #[test]
    fn operators_without_spaces() {
        assert_eq!(kinds("a||b|c"), vec![id("a"), OrOr, id("b"), Pipe, id("c")]);
        assert_eq!(kinds("!a!=b"), vec![Bang, id("a"), Ne, id("b")]);
    }

    #[test]
    fn names() {
        assert_eq!(
            kinds("status req.path"),
            vec![id("status"), id("req"), Dot, id("path")]
        );
        assert_eq!(kinds("@timestamp"), vec![id("@timestamp")]);
        assert_eq!(kinds("`user-agent`"), vec![Backtick("user-agent".into())]);
        assert_eq!(kinds(r"`a\`b`"), vec![Backtick("a`b".into())]);
        assert_eq!(kinds("café_2"), vec![id("café_2")]);
    }

    #[test]
    fn numbers() {
        assert_eq!(kinds("42"), vec![Int(42)]);
        assert_eq!(kinds("1.5"), vec![Float(1.5)]);
        assert_eq!(
            kinds("2e3 1.5e-7 1E+2"),
            vec![Float(2000.0), Float(1.5e-7), Float(100.0)]
        );
        assert_eq!(kinds("9223372036854775808"), vec![Int(1 << 63)]);
        assert_eq!(kinds("18446744073709551615"), vec![Int(u64::MAX)]);
        assert_eq!(kinds("1.x"), vec![Int(1), Dot, id("x")]);
    }

    #[test]
    fn durations() {
        assert_eq!(kinds("250ms"), vec![Duration(250)]);
        assert_eq!(kinds("30s"), vec![Duration(30_000)]);
        assert_eq!(kinds("5m"), vec![Duration(300_000)]);
        assert_eq!(kinds("1h"), vec![Duration(3_600_000)]);
        assert_eq!(kinds("1d"), vec![Duration(86_400_000)]);
        assert_eq!(kinds("1m30s"), vec![Duration(90_000)]);
        assert_eq!(kinds("1h2m3s4ms"), vec![Duration(3_723_004)]);
        assert_eq!(kinds("0ms"), vec![Duration(0)]);
    }

    #[test]
    fn strings_keep_unknown_escapes() {
        assert_eq!(kinds(r#""text""#), vec![Str("text".into())]);
        assert_eq!(kinds(r"'text'"), vec![Str("text".into())]);
        assert_eq!(kinds(r#""a\"b""#), vec![Str("a\"b".into())]);
        assert_eq!(kinds(r#""a\\b""#), vec![Str(r"a\b".into())]);
        assert_eq!(
            kinds(r#""(?P<ms>\d+)ms""#),
            vec![Str(r"(?P<ms>\d+)ms".into())]
        );
        assert_eq!(kinds(r"'it\'s'"), vec![Str("it's".into())]);
        assert_eq!(kinds(r#"'say \"hi\"'"#), vec![Str(r#"say \"hi\""#.into())]);
        assert_eq!(kinds(r#""it\'s""#), vec![Str(r"it\'s".into())]);
        assert_eq!(kinds(r#""\\\"""#), vec![Str("\\\"".into())]);
    }

    #[test]
    fn comments_and_newlines() {
        assert_eq!(kinds("a # note\n| b"), vec![id("a"), Pipe, id("b")]);
    }

    #[test]
    fn raw_word_for_join_files() {
        let mut lx = Lexer::new("  ./data/u.jsonl on id");
        assert_eq!(lx.raw_word().unwrap().kind, Word("./data/u.jsonl".into()));
        assert_eq!(lx.next_token().unwrap().kind, id("on"));
        let mut lx = Lexer::new(" \"a b.csv\"");
        assert_eq!(lx.raw_word(), None);
        assert_eq!(lx.next_token().unwrap().kind, Str("a b.csv".into()));
    }

    #[test]
    fn eof_points_after_the_last_character() {
        let mut lx = Lexer::new("ab  \n");
        lx.next_token().unwrap();
        assert_eq!(lx.next_token().unwrap().span, Span::new(2, 2));
    }

    #[test]
    fn errors() {
        assert_eq!(err(r#"where x == "abc"#), "unterminated string");
        assert_eq!(err("`abc"), "unterminated quoted name");
        assert_eq!(err("5x"), "invalid duration `5x`");
        assert_eq!(err("5min"), "invalid duration `5min`");
        assert_eq!(err("1.5s"), "invalid number `1.5s`");
        assert_eq!(
            err("99999999999999999999"),
            "integer `99999999999999999999` is too large"
        );
        assert_eq!(
            err("99999999999999999999d"),
            "duration `99999999999999999999d` is too long"
        );
        assert_eq!(err("a $ b"), "unexpected character `$`");
        assert_eq!(err("a & b"), "unexpected character `&`");
    }
}
