//! The protobuf wire format, read-only: just enough to walk ONNX messages without a generated
//! parser (and without its size in the wasm). Every read is bounds-checked; nothing allocates
//! more than the input's own length.

use super::OnnxError;

/// A field's payload, by wire type.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Iterates over the `(field number, value)` pairs of one message.
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Fields { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, OnnxError> {
        read_varint(self.buf, &mut self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], OnnxError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(OnnxError::Truncated)?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), OnnxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        Some(self.next_field())
    }
}

impl<'a> Fields<'a> {
    /// After one value of an unpacked `repeated` varint field, reads the values that directly
    /// follow under the same one-byte `key` (proto2 repeats the key per value: a 100-tree forest
    /// has ~100k of them, so they skip the general field loop).
    pub fn more_varints(&mut self, key: u8, out: &mut Vec<i64>) -> Result<(), OnnxError> {
        while self.buf.get(self.pos) == Some(&key) {
            self.pos += 1;
            out.push(self.varint()? as i64);
        }
        Ok(())
    }

    /// The same for an unpacked `repeated float` field.
    pub fn more_fixed32(&mut self, key: u8, out: &mut Vec<f32>) -> Result<(), OnnxError> {
        while self.buf.get(self.pos) == Some(&key) {
            let b = self
                .buf
                .get(self.pos + 1..self.pos + 5)
                .ok_or(OnnxError::Truncated)?;
            out.push(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            self.pos += 5;
        }
        Ok(())
    }

    fn next_field(&mut self) -> Result<(u32, Value<'a>), OnnxError> {
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).map_err(|_| OnnxError::Malformed("field number"))?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                Value::Fixed64(u64::from_le_bytes(
                    b.try_into().map_err(|_| OnnxError::Truncated)?,
                ))
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| OnnxError::Truncated)?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes(
                    b.try_into().map_err(|_| OnnxError::Truncated)?,
                ))
            }
            _ => return Err(OnnxError::Malformed("unsupported wire type (groups)")),
        };
        Ok((field, value))
    }
}

pub fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, OnnxError> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos).ok_or(OnnxError::Truncated)?;
        *pos += 1;
        out |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(out);
        }
    }
    Err(OnnxError::Malformed("varint longer than 10 bytes"))
}

impl<'a> Value<'a> {
    pub fn bytes(self) -> Result<&'a [u8], OnnxError> {
        match self {
            Value::Bytes(b) => Ok(b),
            _ => Err(OnnxError::Malformed("expected a length-delimited field")),
        }
    }

    pub fn string(self) -> Result<String, OnnxError> {
        String::from_utf8(self.bytes()?.to_vec())
            .map_err(|_| OnnxError::Malformed("a string is not UTF-8"))
    }

    /// An `int64`/`int32`/enum field (two's complement in a varint).
    pub fn int(self) -> Result<i64, OnnxError> {
        match self {
            Value::Varint(v) => Ok(v as i64),
            _ => Err(OnnxError::Malformed("expected a varint")),
        }
    }

    pub fn float(self) -> Result<f32, OnnxError> {
        match self {
            Value::Fixed32(v) => Ok(f32::from_bits(v)),
            _ => Err(OnnxError::Malformed("expected a float")),
        }
    }

    /// Appends a `repeated int64` field, packed or not.
    pub fn ints_into(self, out: &mut Vec<i64>) -> Result<(), OnnxError> {
        match self {
            Value::Varint(v) => out.push(v as i64),
            Value::Bytes(b) => {
                let mut pos = 0;
                while pos < b.len() {
                    out.push(read_varint(b, &mut pos)? as i64);
                }
            }
            _ => return Err(OnnxError::Malformed("expected repeated varints")),
        }
        Ok(())
    }

    /// Appends a `repeated float` field, packed or not.
    pub fn floats_into(self, out: &mut Vec<f32>) -> Result<(), OnnxError> {
        match self {
            Value::Fixed32(v) => out.push(f32::from_bits(v)),
            Value::Bytes(b) => {
                if b.len() % 4 != 0 {
                    return Err(OnnxError::Malformed(
                        "packed floats are not a multiple of 4 bytes",
                    ));
                }
                out.reserve(b.len() / 4);
                out.extend(
                    b.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                );
            }
            _ => return Err(OnnxError::Malformed("expected repeated floats")),
        }
        Ok(())
    }

    /// Appends a `repeated double` field, packed or not.
    pub fn doubles_into(self, out: &mut Vec<f64>) -> Result<(), OnnxError> {
        match self {
            Value::Fixed64(v) => out.push(f64::from_bits(v)),
            Value::Bytes(b) => {
                if b.len() % 8 != 0 {
                    return Err(OnnxError::Malformed(
                        "packed doubles are not a multiple of 8 bytes",
                    ));
                }
                out.extend(
                    b.chunks_exact(8).map(|c| {
                        f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
                    }),
                );
            }
            _ => return Err(OnnxError::Malformed("expected repeated doubles")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_wire_type_and_refuses_truncation() {
        // field 1 varint 300, field 2 bytes "hi", field 3 fixed32 1.5f32
        let mut buf = vec![0x08, 0xac, 0x02, 0x12, 2, b'h', b'i', 0x1d];
        buf.extend_from_slice(&1.5f32.to_le_bytes());
        let fields: Vec<_> = Fields::new(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0].0, 1);
        assert_eq!(fields[0].1.int().unwrap(), 300);
        assert_eq!(fields[1].1.string().unwrap(), "hi");
        assert_eq!(fields[2].1.float().unwrap(), 1.5);
        for cut in 1..buf.len() {
            let r: Result<Vec<_>, _> = Fields::new(&buf[..cut]).collect();
            assert!(r.is_err() || cut == 3 || cut == 7, "cut at {cut} accepted");
        }
        // A length prefix beyond the buffer.
        assert!(Fields::new(&[0x12, 0xff, 0xff, 0x03])
            .next()
            .unwrap()
            .is_err());
    }
}
