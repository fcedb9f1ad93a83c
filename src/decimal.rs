//! Numbers as responses show them. The graph computes in f32; responses, reports and
//! monitoring summaries print f32's shortest round-trip decimal, so they read like sklearn's
//! numbers. Below every layer that answers numbers.

/// The graph computes in f32; widening 0.97f32 to f64 would print 0.9700000286102295 in every
/// JSON encoder (serde_json's Value, serde-wasm-bindgen). This keeps f32's shortest round-trip
/// decimal instead, so responses read like sklearn's numbers.
pub fn decimal(x: f32) -> f64 {
    if !x.is_finite() {
        return f64::from(x);
    }
    let mut buf = ryu::Buffer::new();
    buf.format_finite(x).parse().unwrap_or(f64::from(x))
}

pub fn decimals(xs: &[f32]) -> Vec<f64> {
    xs.iter().copied().map(decimal).collect()
}

/// Writes `x` as serde_json writes `decimal(x)` (f32's shortest round-trip digits, laid out as
/// serde_json lays out an f64: fixed notation for decimal exponents -5 to 15, otherwise
/// `d.ddde+N`), or `null` when not finite. Without the f64 parse `decimal` needs.
pub fn write_f32(x: f32, out: &mut Vec<u8>) {
    if !x.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(x).as_bytes();
    // ryu's text as sign, significant digits and the exponent of the first digit.
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exp) = match text.iter().position(|&c| c == b'e') {
        Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
        None => (text, 0),
    };
    let point = mantissa
        .iter()
        .position(|&c| c == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = [0u8; 24];
    let mut n = 0;
    let mut exp10 = exp + point as i32 - 1;
    for &c in mantissa.iter().filter(|c| c.is_ascii_digit()) {
        if n == 0 && c == b'0' {
            exp10 -= 1;
            continue;
        }
        if n < digits.len() {
            digits[n] = c;
            n += 1;
        }
    }
    while n > 0 && digits[n - 1] == b'0' {
        n -= 1;
    }
    if negative {
        out.push(b'-');
    }
    if n == 0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let digits = &digits[..n];
    if (-5..=15).contains(&exp10) {
        if exp10 < 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-exp10 - 1) as usize));
            out.extend_from_slice(digits);
        } else {
            let int_len = exp10 as usize + 1;
            if n <= int_len {
                out.extend_from_slice(digits);
                out.extend(std::iter::repeat_n(b'0', int_len - n));
                out.extend_from_slice(b".0");
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        }
        return;
    }
    out.push(digits[0]);
    if n > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
    }
    out.extend_from_slice(if exp10 > 0 { b"e+" } else { b"e-" });
    let mut num = itoa_buf(exp10.unsigned_abs());
    out.append(&mut num);
}

fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let v = digits.iter().fold(0i32, |a, &c| {
        a.saturating_mul(10).saturating_add(i32::from(c - b'0'))
    });
    if negative {
        -v
    } else {
        v
    }
}

fn itoa_buf(mut v: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(3);
    loop {
        out.push(b'0' + (v % 10) as u8);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    /// Writing f32's shortest decimal directly prints what serde_json prints for [`super::decimal`]
    /// of it: the fast writer and the serde path agree on every number.
    #[test]
    fn f32_written_directly_equals_serde_json_of_its_decimal() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let check = |x: f32| {
            if !x.is_finite() {
                return;
            }
            let mut direct = Vec::new();
            crate::decimal::write_f32(x, &mut direct);
            let direct = String::from_utf8(direct).unwrap();
            let via_serde = serde_json::to_string(&crate::decimal::decimal(x)).unwrap();
            assert_eq!(direct, via_serde, "{x:e}");
        };
        for x in [
            0.0,
            -0.0,
            0.97,
            0.03,
            1.0,
            1e20,
            1e-7,
            123456790.0,
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
            0.1,
            100.0,
            1e16,
            1e15,
            1e-5,
            1.5e-6,
            0.00015,
            1e-4,
        ] {
            check(x);
        }
        for _ in 0..2_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            check(f32::from_bits(state as u32));
        }
    }
}
