//! A cursor over a log line for the hand-written format parsers.

pub struct Scan<'a> {
    pub s: &'a str,
    pub pos: usize,
}

impl<'a> Scan<'a> {
    pub fn new(s: &'a str) -> Scan<'a> {
        Scan { s, pos: 0 }
    }

    pub fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Skip spaces.
    pub fn spaces(&mut self) {
        let b = self.s.as_bytes();
        while self.pos < b.len() && b[self.pos] == b' ' {
            self.pos += 1;
        }
    }

    /// The text up to the next space (not empty), and the spaces after it.
    pub fn word(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let end = memchr::memchr(b' ', rest.as_bytes()).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        self.pos += end;
        self.spaces();
        Some(&rest[..end])
    }

    /// `lit` here, then skip it.
    pub fn eat(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    /// `[text]` here: the text, then the spaces after it. Brackets inside
    /// pair up (`[client [2001:db8::1]:443]`); without a pair for each, the
    /// first `]` ends it.
    pub fn bracketed(&mut self) -> Option<&'a str> {
        let rest = self.rest().strip_prefix('[')?;
        let b = rest.as_bytes();
        let first = memchr::memchr(b']', b)?;
        let end = if memchr::memchr(b'[', &b[..first]).is_none() {
            first
        } else {
            let mut depth = 0usize;
            let mut end = first;
            for (i, &c) in b.iter().enumerate() {
                match c {
                    b'[' => depth += 1,
                    b']' if depth == 0 => {
                        end = i;
                        break;
                    }
                    b']' => depth -= 1,
                    _ => {}
                }
            }
            end
        };
        self.pos += end + 2;
        self.spaces();
        Some(&rest[..end])
    }

    /// `"text"` here, where `\"` and `\\` do not end it: the text as
    /// written (escapes kept), then the spaces after it.
    pub fn quoted(&mut self) -> Option<&'a str> {
        let rest = self.rest().strip_prefix('"')?;
        let b = rest.as_bytes();
        let mut i = 0;
        loop {
            i += memchr::memchr2(b'"', b'\\', &b[i..])?;
            if b[i] == b'\\' {
                i += 2;
                if i > b.len() {
                    return None;
                }
                continue;
            }
            break;
        }
        self.pos += i + 2;
        self.spaces();
        Some(&rest[..i])
    }
}
