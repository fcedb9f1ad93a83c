//! The hash of the featurizer's lookup tables (categories, vocabularies, DictVectorizer keys):
//! rustc's Fx hash, a multiply and a rotate per 8 bytes. std's default, SipHash, resists
//! collision flooding of tables that grow with their input; these tables are fixed when the
//! bundle loads and a request only looks values up, so it buys nothing here, and hashing the
//! category of every cell of a big table was a tenth of its time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A lookup table keyed by the featurizer's strings.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_what_was_inserted_and_nothing_else() {
        let words = [
            "",
            "a",
            "a\0",
            "month-to-month",
            "one-year",
            "two-year",
            "fiber-optic",
        ];
        let map: FastMap<String, usize> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.to_string(), i))
            .collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(map.get(*w), Some(&i));
        }
        assert_eq!(map.get("month-to-montH"), None);
        assert_eq!(map.get("b"), None);
    }
}
