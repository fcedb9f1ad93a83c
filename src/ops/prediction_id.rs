//! Prediction ids: what a one-row answer carries so that `POST /models/{name}/feedback` can
//! score the true outcome later. The id itself holds the model, version, predicted label (or
//! value) and issue time, signed with a keyed hash, so no server stores anything per
//! prediction (the Worker answers from any isolate with no write on the predict path) and a
//! client cannot make up a prediction to skew a version's accuracy.
//!
//! Form: `base64url(model US version US prediction US issued_ms US nonce) "." hex(SipHash-2-4)`.
//! The key comes from the admin token when one is set (ids are then unforgeable); without one,
//! a fixed key only detects corrupted ids.

use siphasher::sip::SipHasher24;
use std::hash::Hasher;

const SEPARATOR: char = '\u{1f}';

/// What a prediction id says.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionId {
    pub model: String,
    pub version: String,
    /// The answer as JSON text: a class label (`1`, `"fresh"`) or a regression value.
    pub prediction: String,
    /// Milliseconds since the Unix epoch.
    pub issued_ms: u64,
    pub nonce: u64,
}

/// The signing key.
#[derive(Debug, Clone, PartialEq)]
pub struct IdKey(u64, u64);

impl IdKey {
    /// The key derived from the admin token (or the public fallback key without one).
    pub fn from_secret(secret: Option<&str>) -> IdKey {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(b"wasmpredict prediction id\0");
        hash.update(secret.unwrap_or("").as_bytes());
        let d = hash.finalize();
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&d[i..i + 8]);
            u64::from_le_bytes(b)
        };
        IdKey(word(0), word(8))
    }

    fn tag(&self, payload: &[u8]) -> u64 {
        let mut h = SipHasher24::new_with_keys(self.0, self.1);
        h.write(payload);
        h.finish()
    }
}

impl PredictionId {
    pub fn encode(&self, key: &IdKey) -> String {
        let payload = format!(
            "{}{SEPARATOR}{}{SEPARATOR}{}{SEPARATOR}{}{SEPARATOR}{}",
            self.model, self.version, self.prediction, self.issued_ms, self.nonce
        );
        format!(
            "{}.{:016x}",
            base64url(payload.as_bytes()),
            key.tag(payload.as_bytes())
        )
    }

    /// The id's content, or None when it is malformed or its signature does not match.
    pub fn decode(id: &str, key: &IdKey) -> Option<PredictionId> {
        let (body, tag) = id.rsplit_once('.')?;
        let payload = unbase64url(body)?;
        if tag.len() != 16 || u64::from_str_radix(tag, 16).ok()? != key.tag(&payload) {
            return None;
        }
        let text = String::from_utf8(payload).ok()?;
        let mut parts = text.split(SEPARATOR);
        let id = PredictionId {
            model: parts.next()?.to_string(),
            version: parts.next()?.to_string(),
            prediction: parts.next()?.to_string(),
            issued_ms: parts.next()?.parse().ok()?,
            nonce: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(id)
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..chunk.len() + 1 {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = ALPHABET.iter().position(|a| a == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = IdKey::from_secret(Some("token"));
        for prediction in ["1", "\"fresh\"", "0.25", "\"é ✓\""] {
            let id = PredictionId {
                model: "churn".into(),
                version: "1.1.0".into(),
                prediction: prediction.into(),
                issued_ms: 1_790_000_000_000,
                nonce: 42,
            };
            let text = id.encode(&key);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                "{text}"
            );
            assert_eq!(PredictionId::decode(&text, &key), Some(id.clone()));
            assert_eq!(PredictionId::decode(&text, &IdKey::from_secret(None)), None);
            let mut forged = id.clone();
            forged.prediction = "0".into();
            let (_, tag) = text.rsplit_once('.').unwrap();
            let forged = format!("{}.{tag}", forged.encode(&key).rsplit_once('.').unwrap().0);
            assert_eq!(PredictionId::decode(&forged, &key), None);
        }
        for junk in ["", ".", "abc", "a.0000000000000000", "%%%.0123456789abcdef"] {
            assert_eq!(PredictionId::decode(junk, &key), None, "{junk}");
        }
    }
}
