//! The fast path for the commonest request: positional rows of numbers
//! (`{"features": [...]}`, `{"features": [[...], ...]}`, `{"instances": [[...], ...]}`) for a
//! model whose fields are all numbers. Read straight from the bytes into `f64` rows, without
//! building a JSON tree.
//!
//! It only ever accepts: anything it does not fully recognise (another shape, a string, a null,
//! a wrong row length, invalid JSON...) returns `None`, and the general path (serde_json +
//! `request::parse`) answers, with its errors. Numbers are checked against JSON's grammar and
//! parsed with the standard library's correctly rounded parser, so they equal serde_json's.

/// Positional rows of numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericRows {
    /// Row-major, `width` values per row.
    pub values: Vec<f64>,
    pub rows: usize,
    /// Whether the body was the single-row shape.
    pub single: bool,
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A key without escapes.
    fn key(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        while *self.b.get(self.i)? != b'"' {
            if self.b[self.i] == b'\\' || self.b[self.i] < 0x20 {
                return None;
            }
            self.i += 1;
        }
        let key = &self.b[start..self.i];
        self.i += 1;
        Some(key)
    }

    /// A JSON number (RFC 8259 grammar), as f64; None for anything else or out of range.
    fn number(&mut self) -> Option<f64> {
        self.ws();
        let start = self.i;
        let digits = |s: &mut Self| {
            let from = s.i;
            while s.b.get(s.i).is_some_and(u8::is_ascii_digit) {
                s.i += 1;
            }
            s.i > from
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        // ASCII by construction.
        let text = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        text.parse::<f64>().ok().filter(|x| x.is_finite())
    }

    /// `[n, n, ...]` with exactly `width` numbers, appended to `out`.
    fn row(&mut self, width: usize, out: &mut Vec<f64>) -> Option<()> {
        self.eat(b'[')?;
        for k in 0..width {
            if k > 0 {
                self.eat(b',')?;
            }
            out.push(self.number()?);
        }
        self.eat(b']')
    }

    /// `[row, row, ...]`, at least one row.
    fn rows(&mut self, width: usize, out: &mut Vec<f64>) -> Option<usize> {
        self.eat(b'[')?;
        let mut n = 0;
        loop {
            self.row(width, out)?;
            n += 1;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(n);
                }
                _ => return None,
            }
        }
    }
}

/// Parses `body` if it is one of the positional numeric shapes with rows `width` wide.
pub fn parse(body: &[u8], width: usize) -> Option<NumericRows> {
    if width == 0 {
        return None;
    }
    let mut s = Scanner { b: body, i: 0 };
    s.eat(b'{')?;
    let key = s.key()?;
    s.eat(b':')?;
    let mut values = Vec::new();
    let (rows, single) = match key {
        b"features" => {
            // `[n, ...]` is one row, `[[...], ...]` several.
            let save = s.i;
            s.eat(b'[')?;
            let nested = s.peek()? == b'[';
            s.i = save;
            if nested {
                (s.rows(width, &mut values)?, false)
            } else {
                s.row(width, &mut values)?;
                (1, true)
            }
        }
        b"instances" => (s.rows(width, &mut values)?, false),
        _ => return None,
    };
    s.eat(b'}')?;
    s.ws();
    (s.i == body.len()).then_some(NumericRows {
        values,
        rows,
        single,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_positional_shapes() {
        let r = parse(br#"{"features": [5.1, 3.5, 1.4, 0.2]}"#, 4).unwrap();
        assert_eq!(
            r,
            NumericRows {
                values: vec![5.1, 3.5, 1.4, 0.2],
                rows: 1,
                single: true
            }
        );
        let r = parse(b" {\"features\":[[1,2],[3e2,-0.5]]}\n", 2).unwrap();
        assert_eq!(
            r,
            NumericRows {
                values: vec![1.0, 2.0, 300.0, -0.5],
                rows: 2,
                single: false
            }
        );
        let r = parse(br#"{"instances": [[1, 2]]}"#, 2).unwrap();
        assert!(!r.single);
    }

    #[test]
    fn numbers_equal_serde_json() {
        for text in [
            "0.1",
            "-0",
            "1e-7",
            "123456789012345678901234567890",
            "2.2250738585072014e-308",
            "0.30000000000000004",
            "4.9e-324",
        ] {
            let ours = parse(format!("{{\"features\": [{text}]}}").as_bytes(), 1)
                .unwrap()
                .values[0];
            let serde: f64 = serde_json::from_str(text).unwrap();
            assert_eq!(ours.to_bits(), serde.to_bits(), "{text}");
        }
    }

    #[test]
    fn leaves_everything_else_to_the_general_path() {
        for body in [
            r#"{"features": [1, 2, 3]}"#, // wrong width
            r#"{"features": [1, 2, 3, 4, 5]}"#,
            r#"{"features": [1, "2", 3, 4]}"#, // a string
            r#"{"features": [1, null, 3, 4]}"#,
            r#"{"features": [1, 2, 3, 4], "x": 1}"#, // two keys
            r#"{"features": [1, 2, 3, 4]} x"#,       // trailing garbage
            r#"{"features": [01, 2, 3, 4]}"#,        // not JSON numbers
            r#"{"features": [1., 2, 3, 4]}"#,
            r#"{"features": [.5, 2, 3, 4]}"#,
            r#"{"features": [+1, 2, 3, 4]}"#,
            r#"{"features": [NaN, 2, 3, 4]}"#,
            r#"{"features": [1e999, 2, 3, 4]}"#, // out of range
            r#"{"features": []}"#,
            r#"{"features": [[]]}"#,
            r#"{"instances": []}"#,
            r#"{"instances": [{"a": 1}]}"#,
            r#"{"record": {"a": 1}}"#,
            r#"{"feat\u0075res": [1, 2, 3, 4]}"#,
            r#"{"features": [1, 2, 3, 4]"#,
            "",
        ] {
            assert_eq!(parse(body.as_bytes(), 4), None, "{body}");
        }
    }
}
