//! `CountVectorizer` / `TfidfVectorizer`, following sklearn's `build_analyzer` step by step:
//! lowercase; then words (the default `token_pattern=r"(?u)\b\w\w+\b"`, stop words dropped,
//! word n-grams) or character n-grams (`analyzer='char'` / `'char_wb'`); count the terms of the
//! fitted vocabulary, then (tf-idf) binary / sublinear tf, multiply by idf and normalize.

use super::fast_hash::FastMap;
use super::word_chars::WORD_RANGES;
use super::{check_width, Cell, Columns, Entry, FieldNames};
use crate::bundle::limits;
use crate::bundle::manifest::{Analyzer, Field, Norm, Step, TextVectorizerParams};
use crate::error::{ApiError, ErrorCode};
use std::collections::HashSet;

#[derive(Debug, Clone)]
pub struct TextVectorizer {
    vocabulary: FastMap<String, usize>,
    width: usize,
    analyzer: Analyzer,
    lowercase: bool,
    ngram_range: (usize, usize),
    stop_words: HashSet<String>,
    binary: bool,
    idf: Option<Vec<f64>>,
    sublinear_tf: bool,
    norm: Option<Norm>,
    field: Option<String>,
}

/// Python's `\w` for `str` patterns: `str.isalnum()` or underscore. Not Rust's
/// `is_alphanumeric`, which also takes combining vowel signs and circled letters, so
/// sklearn's tokens in Hindi or Arabic would differ (table: scripts/gen-word-chars.py).
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c == '_' || c.is_ascii_alphanumeric();
    }
    let c = c as u32;
    WORD_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// sklearn's default tokenizer: every maximal run of word characters at least two long.
pub fn tokenize(text: &str) -> Vec<&str> {
    token_ranges(text)
        .into_iter()
        .map(|(start, end)| &text[start..end])
        .collect()
}

/// Python's `str.isspace()`, which its `\s` and `str.split()` use: Unicode's White_Space and
/// the four information separators U+001C..U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `re.sub(r"\s\s+", " ", text)` as characters: a run of two or more whitespace characters
/// becomes one space; a single one stays as it is.
fn collapse_whitespace(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    let mut run = 0usize;
    for c in text.chars() {
        if is_python_space(c) {
            run += 1;
            if run == 2 {
                // The run's first character becomes the one space.
                if let Some(last) = out.last_mut() {
                    *last = ' ';
                }
            }
            if run >= 2 {
                continue;
            }
        } else {
            run = 0;
        }
        out.push(c);
    }
    out
}

/// [`tokenize`]'s tokens as byte ranges of `text`.
fn token_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut tokens = Vec::new();
    let mut start = None;
    let mut len = 0usize;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
                len = 0;
            }
            len += 1;
        } else if let Some(s) = start.take() {
            if len >= 2 {
                tokens.push((s, i));
            }
        }
    }
    if let Some(s) = start {
        if len >= 2 {
            tokens.push((s, text.len()));
        }
    }
    tokens
}

impl TextVectorizer {
    /// Whether this vectorizer reads the raw field `field`.
    pub(crate) fn reads(&self, field: &str) -> bool {
        self.field.as_deref() == Some(field)
    }

    /// The vocabulary term of output column `column`.
    pub fn label(&self, column: usize) -> Option<String> {
        self.vocabulary
            .iter()
            .find(|(_, &j)| j == column)
            .map(|(t, _)| t.clone())
    }

    pub(crate) fn compile(
        params: &TextVectorizerParams,
        input: &Columns,
        names: &FieldNames,
    ) -> Result<Self, String> {
        check_width("text_vectorizer input", 1, input)?;
        let (lo, hi) = params.ngram_range;
        if lo == 0 || lo > hi {
            return Err(format!(
                "text_vectorizer.ngram_range ({lo}, {hi}) is invalid"
            ));
        }
        if let Some(idf) = &params.idf {
            if idf.len() != params.vocabulary.len() {
                return Err("text_vectorizer.idf and vocabulary differ in length".into());
            }
        }
        limits::check(
            "text_vectorizer.vocabulary's size",
            params.vocabulary.len() as u64,
            limits::MAX_FEATURES,
        )?;
        let mut vocabulary =
            FastMap::with_capacity_and_hasher(params.vocabulary.len(), Default::default());
        for (i, term) in params.vocabulary.iter().enumerate() {
            if vocabulary.insert(term.clone(), i).is_some() {
                return Err(format!("text_vectorizer.vocabulary repeats {term:?}"));
            }
        }
        Ok(TextVectorizer {
            vocabulary,
            width: params.vocabulary.len(),
            analyzer: params.analyzer,
            lowercase: params.lowercase,
            ngram_range: params.ngram_range,
            stop_words: params.stop_words.iter().cloned().collect(),
            binary: params.binary,
            idf: params.idf.clone(),
            sublinear_tf: params.sublinear_tf,
            norm: params.norm,
            field: input.lineage[0].and_then(|f| names.get(f)).cloned(),
        })
    }

    /// Calls `visit` with each term sklearn's analyzer makes of `text` (lowercase, tokens, stop
    /// words out, n-grams): its vocabulary column, or `None` for a term outside the vocabulary.
    fn for_each_term(&self, text: &str, mut visit: impl FnMut(Option<usize>)) {
        let lowered;
        let text = if self.lowercase {
            lowered = text.to_lowercase();
            lowered.as_str()
        } else {
            text
        };
        if self.analyzer != Analyzer::Word {
            self.for_each_char_gram(text, &mut visit);
            return;
        }
        let tokens: Vec<&str> = tokenize(text)
            .into_iter()
            .filter(|t| !self.stop_words.contains(*t))
            .collect();
        let (lo, hi) = self.ngram_range;
        let mut gram = String::new();
        for n in lo..=hi.min(tokens.len()) {
            for window in tokens.windows(n) {
                if n == 1 {
                    visit(self.vocabulary.get(window[0]).copied());
                    continue;
                }
                gram.clear();
                for (k, t) in window.iter().enumerate() {
                    if k > 0 {
                        gram.push(' ');
                    }
                    gram.push_str(t);
                }
                visit(self.vocabulary.get(gram.as_str()).copied());
            }
        }
    }

    /// Term counts of `text` over the vocabulary, as sorted `(column, count)` pairs.
    pub fn counts(&self, text: &str) -> Vec<(usize, f64)> {
        // Every vocabulary hit's column, then counted in column order (sklearn sums a row's
        // values in column order, so the order matters for the norms).
        let mut hits: Vec<u32> = Vec::new();
        self.for_each_term(text, |column| {
            if let Some(i) = column {
                hits.push(i as u32);
            }
        });
        hits.sort_unstable();
        let mut counts: Vec<(usize, f64)> = Vec::new();
        for &i in &hits {
            match counts.last_mut() {
                Some((last, n)) if *last == i as usize => *n += 1.0,
                _ => counts.push((i as usize, 1.0)),
            }
        }
        counts
    }

    /// sklearn's `_char_ngrams` / `_char_wb_ngrams` of the (lowercased) text: whitespace runs
    /// of two or more become one space; `char` takes n-grams of the whole text, `char_wb` of each
    /// whitespace-separated word padded with a space on both sides (a word shorter than an n
    /// counted once, whole).
    fn for_each_char_gram(&self, text: &str, visit: &mut impl FnMut(Option<usize>)) {
        let chars = collapse_whitespace(text);
        let (lo, hi) = self.ngram_range;
        let mut gram = String::new();
        let mut visit_gram = |grams: &[char]| {
            gram.clear();
            gram.extend(grams);
            visit(self.vocabulary.get(gram.as_str()).copied());
        };
        if self.analyzer == Analyzer::Char {
            for n in lo..=hi.min(chars.len()) {
                for window in chars.windows(n) {
                    visit_gram(window);
                }
            }
            return;
        }
        let mut padded = Vec::new();
        for word in chars
            .split(|&c| is_python_space(c))
            .filter(|w| !w.is_empty())
        {
            padded.clear();
            padded.push(' ');
            padded.extend_from_slice(word);
            padded.push(' ');
            let len = padded.len();
            for n in lo..=hi {
                let mut offset = 0;
                visit_gram(&padded[..n.min(len)]);
                while offset + n < len {
                    offset += 1;
                    visit_gram(&padded[offset..offset + n]);
                }
                if offset == 0 {
                    break;
                }
            }
        }
    }

    /// Where each of `terms` occurs in `text`, as the analyzer reads it (lowercase, tokens, stop
    /// words out, n-grams): per term, `[start, end)` offsets in Unicode code points of `text`
    /// itself (an n-gram spans its first to its last word). Character n-grams have none: a
    /// mark on every "ing" of a text tells a reader nothing.
    pub fn term_spans(&self, text: &str, terms: &[&str]) -> Vec<Vec<(usize, usize)>> {
        if self.analyzer != Analyzer::Word {
            return vec![Vec::new(); terms.len()];
        }
        // The analyzed text, and for each of its byte offsets the code point of `text` it came
        // from. A character lowercases to the same UTF-8 length in place or in context (only
        // the final sigma depends on context, and σ and ς are both two bytes).
        let analyzed = if self.lowercase {
            text.to_lowercase()
        } else {
            text.to_string()
        };
        let mut origin = Vec::with_capacity(analyzed.len() + 1);
        for (k, c) in text.chars().enumerate() {
            let len = if self.lowercase {
                c.to_lowercase().map(char::len_utf8).sum()
            } else {
                c.len_utf8()
            };
            origin.extend(std::iter::repeat_n(k, len));
        }
        origin.push(text.chars().count());
        if origin.len() != analyzed.len() + 1 {
            // Not expected (see above); no spans rather than wrong ones.
            return vec![Vec::new(); terms.len()];
        }
        let tokens: Vec<(usize, usize)> = token_ranges(&analyzed)
            .into_iter()
            .filter(|&(a, b)| !self.stop_words.contains(&analyzed[a..b]))
            .collect();
        let mut spans = vec![Vec::new(); terms.len()];
        let (lo, hi) = self.ngram_range;
        let mut gram = String::new();
        for n in lo..=hi.min(tokens.len()) {
            for window in tokens.windows(n) {
                gram.clear();
                for (k, &(a, b)) in window.iter().enumerate() {
                    if k > 0 {
                        gram.push(' ');
                    }
                    gram.push_str(&analyzed[a..b]);
                }
                if let Some(t) = terms.iter().position(|t| *t == gram) {
                    spans[t].push((origin[window[0].0], origin[window[n - 1].1]));
                }
            }
        }
        spans
    }

    /// The share of `text`'s terms that are not in the vocabulary; `None` when the analyzer
    /// makes no term of it (only stop words or one-letter words).
    pub fn out_of_vocabulary_share(&self, text: &str) -> Option<f64> {
        let (mut terms, mut unknown) = (0u64, 0u64);
        self.for_each_term(text, |column| {
            terms += 1;
            unknown += u64::from(column.is_none());
        });
        (terms > 0).then(|| unknown as f64 / terms as f64)
    }

    /// The vectorizer that reads raw field `field` (index in `fields`) in a featurizer, found
    /// without compiling the rest: as the first step of a pipeline, or a part of a column
    /// transformer there (where a text vectorizer can still see a raw field).
    pub fn for_field(step: &Step, fields: &[Field], field: usize) -> Option<TextVectorizer> {
        let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
        let lineage: Vec<Option<usize>> = (0..fields.len()).map(Some).collect();
        find(step, &lineage, field, &names)
    }

    /// The vectorizer's output row for `text`, as sorted `(column, value)` pairs.
    pub fn vectorize(&self, text: &str) -> Vec<(usize, f64)> {
        let mut row = self.counts(text);
        for (i, x) in row.iter_mut() {
            if self.binary {
                *x = 1.0;
            }
            if self.sublinear_tf {
                *x = x.ln() + 1.0;
            }
            if let Some(idf) = &self.idf {
                *x *= idf[*i];
            }
        }
        let norm = match self.norm {
            None => 0.0,
            Some(Norm::L2) => row.iter().map(|(_, x)| x * x).sum::<f64>().sqrt(),
            Some(Norm::L1) => row.iter().map(|(_, x)| x.abs()).sum::<f64>(),
        };
        if norm > 0.0 {
            for (_, x) in row.iter_mut() {
                *x /= norm;
            }
        }
        row
    }

    pub(crate) fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
    ) -> Result<(), ApiError> {
        let text = self.text(input)?;
        let start = out.len();
        out.resize(start + self.width, Cell::Num(0.0));
        for (i, x) in self.vectorize(text) {
            out[start + i] = Cell::Num(x);
        }
        Ok(())
    }

    pub(crate) fn transform_sparse<'a>(
        &self,
        input: &[Cell<'a>],
        offset: usize,
        out: &mut Vec<Entry<'a>>,
    ) -> Result<(), ApiError> {
        let text = self.text(input)?;
        out.extend(
            self.vectorize(text)
                .into_iter()
                .map(|(i, x)| ((offset + i) as u32, Cell::Num(x))),
        );
        Ok(())
    }

    fn text<'a>(&self, input: &[Cell<'a>]) -> Result<&'a str, ApiError> {
        match input.first() {
            Some(Cell::Str(s)) => Ok(*s),
            _ => {
                let name = self.field.clone().unwrap_or_else(|| "text".into());
                Err(ApiError::for_field(
                    ErrorCode::WrongType,
                    name.clone(),
                    format!("field '{name}' must be a non-empty string (a text)"),
                ))
            }
        }
    }
}

fn find(
    step: &Step,
    lineage: &[Option<usize>],
    field: usize,
    names: &[String],
) -> Option<TextVectorizer> {
    match step {
        Step::TextVectorizer(params) if lineage == [Some(field)] => {
            let input = Columns {
                lineage: lineage.to_vec(),
                origin: lineage.to_vec(),
            };
            TextVectorizer::compile(params, &input, names).ok()
        }
        Step::Pipeline { steps } => steps.first().and_then(|s| find(s, lineage, field, names)),
        Step::ColumnTransformer { transformers } => transformers.iter().find_map(|part| {
            let sub: Vec<Option<usize>> = part
                .columns
                .iter()
                .map(|&c| lineage.get(c).copied().flatten())
                .collect();
            find(&part.transformer, &sub, field, names)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_runs_of_two_or_more_word_chars() {
        assert_eq!(
            tokenize("I can't re-do a_b x2 él's café!"),
            vec!["can", "re", "do", "a_b", "x2", "él", "café"]
        );
        assert_eq!(tokenize(""), Vec::<&str>::new());
        assert_eq!(tokenize("ab"), vec!["ab"]);
    }

    fn vectorizer(lowercase: bool, ngram_range: (usize, usize)) -> TextVectorizer {
        TextVectorizer {
            vocabulary: FastMap::default(),
            width: 0,
            analyzer: Analyzer::Word,
            lowercase,
            ngram_range,
            stop_words: ["the".to_string()].into_iter().collect(),
            binary: false,
            idf: None,
            sublinear_tf: false,
            norm: None,
            field: None,
        }
    }

    #[test]
    fn term_spans_are_code_point_offsets_of_the_original_text() {
        // "İ" lowercases to two code points (i + combining dot): offsets stay those of the text.
        let text = "İ Café: the CAFÉ in New York, new york!";
        let v = vectorizer(true, (1, 2));
        let spans = v.term_spans(text, &["café", "new york", "in new", "absent"]);
        let chars: Vec<char> = text.chars().collect();
        let show = |(a, b): (usize, usize)| chars[a..b].iter().collect::<String>();
        assert_eq!(
            spans[0].iter().map(|&s| show(s)).collect::<Vec<_>>(),
            ["Café", "CAFÉ"]
        );
        assert_eq!(
            spans[1].iter().map(|&s| show(s)).collect::<Vec<_>>(),
            ["New York", "new york"]
        );
        assert_eq!(
            spans[2].iter().map(|&s| show(s)).collect::<Vec<_>>(),
            ["in New"]
        );
        assert!(spans[3].is_empty());
        // A stop word is no term, and case matters without lowercase.
        assert!(v.term_spans(text, &["the"])[0].is_empty());
        assert_eq!(
            vectorizer(false, (1, 1)).term_spans(text, &["café"])[0].len(),
            0
        );
    }

    /// Every character n-gram an analyzer makes of `text`, in order.
    fn grams(analyzer: Analyzer, ngram_range: (usize, usize), text: &str) -> Vec<String> {
        // A vocabulary of every gram of the text, so that each visit names its gram.
        let mut all: Vec<String> = Vec::new();
        // Padded, so that char_wb's space-padded grams are in it too.
        let chars: Vec<char> = format!(" {text} ").chars().collect();
        for a in 0..chars.len() {
            for b in a + 1..=chars.len().min(a + 8) {
                all.push(chars[a..b].iter().collect());
            }
        }
        all.sort();
        all.dedup();
        let mut v = vectorizer(false, ngram_range);
        v.analyzer = analyzer;
        v.vocabulary = all
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, t)| (t, i))
            .collect();
        let mut out = Vec::new();
        let mut seen = Vec::new();
        v.for_each_term(text, |c| seen.push(c));
        for c in seen {
            out.push(c.map_or_else(|| "?".to_string(), |i| all[i].clone()));
        }
        out
    }

    #[test]
    fn char_grams_follow_sklearn() {
        // CountVectorizer(analyzer="char", ngram_range=(1, 2)).build_analyzer()("ab  c\td")
        assert_eq!(
            grams(Analyzer::Char, (1, 2), "ab  c\td"),
            ["a", "b", " ", "c", "\t", "d", "ab", "b ", " c", "c\t", "\td"]
        );
        // analyzer="char_wb", ngram_range=(2, 3), on "ab c" (" c " is the padded short word,
        // taken once, whole).
        assert_eq!(
            grams(Analyzer::CharWb, (2, 3), "ab c"),
            [" a", "ab", "b ", " ab", "ab ", " c", "c ", " c "]
        );
        assert_eq!(
            collapse_whitespace("a \u{1c}\u{a0}b\u{2003}c"),
            ['a', ' ', 'b', '\u{2003}', 'c']
        );
    }
}
