//! The Rust featurizer against sklearn's own `pipeline[:-1].transform`, step by step: each
//! fixture's transform.json holds raw inputs and the features sklearn computed for them.

mod common;

use common::*;
use serde_json::{json, Value};

#[derive(serde::Deserialize)]
struct Transform {
    rows: Vec<serde_json::Map<String, Value>>,
    features: Vec<Vec<Option<f64>>>,
}

fn check(dir: &std::path::Path) {
    let p = predictor(dir);
    let t: Transform =
        serde_json::from_slice(&std::fs::read(dir.join("transform.json")).expect("transform.json"))
            .expect("transform.json parses");
    assert_eq!(t.rows.len(), t.features.len());
    for (i, (record, expected)) in t.rows.iter().zip(&t.features).enumerate() {
        let got = p
            .features(&json!({ "record": record }))
            .unwrap_or_else(|e| panic!("{} row {i}: refused: {e}", dir.display()));
        let got = &got[0];
        assert_eq!(
            got.len(),
            expected.len(),
            "{} row {i}: width",
            dir.display()
        );
        for (j, (g, e)) in got.iter().zip(expected).enumerate() {
            match e {
                None => assert!(
                    g.is_nan(),
                    "{} row {i} col {j}: expected NaN, got {g}",
                    dir.display()
                ),
                Some(e) => assert!(
                    (g - e).abs() <= 1e-9 * e.abs().max(1.0),
                    "{} row {i} col {j}: rust {g} != sklearn {e}\ninput: {record:?}",
                    dir.display()
                ),
            }
        }
    }
}

macro_rules! parity {
    ($($test:ident => $fixture:literal),* $(,)?) => {
        $( #[test] fn $test() { check(&fixture($fixture)); } )*
    };
}

parity! {
    standard_scaler => "std-scaler",
    standard_scaler_without_mean => "std-scaler-no-mean",
    standard_scaler_without_std => "std-scaler-no-std",
    min_max_scaler => "minmax",
    min_max_scaler_clipped => "minmax-clip",
    one_hot_unknown_error => "onehot-error",
    one_hot_ignore_drop_first => "onehot-ignore-drop-first",
    one_hot_drop_if_binary => "onehot-if-binary",
    one_hot_integer_categories => "onehot-int-categories",
    one_hot_missing_as_category => "onehot-nan-category",
    column_transformer_remainder_passthrough_and_drop => "remainder-passthrough",
    nested_pipelines => "nested-pipeline-multiclass",
    dict_vectorizer => "dict-vectorizer",
    tfidf_default => "tfidf-default",
    tfidf_ngrams_stop_words_sublinear_l1 => "tfidf-ngrams-stop-sublinear-l1",
    tfidf_without_idf_binary_custom_stop_words => "tfidf-no-idf-binary-max-df",
    count_vectorizer_case_sensitive_bigrams => "count-vectorizer-case-sensitive",
    text_inside_column_transformer => "text-in-column-transformer",
    tfidf_in_hindi_arabic_greek_chinese_and_emoji => "tfidf-multilingual",
}

/// Every fixture that carries sklearn's transform (the format 4 transformers of the fixture
/// matrix among them: tests/python/model_matrix.py), not only those named above.
#[test]
fn every_fixture_with_a_transform_matches_sklearn() {
    let with_transform: Vec<_> = bundles_in(&fixtures_dir())
        .into_iter()
        .filter(|d| d.join("transform.json").is_file())
        .collect();
    for name in [
        "pca-whiten",
        "polynomial-degree-2",
        "ordinal-encoder",
        "imputer-add-indicator",
    ] {
        assert!(
            with_transform.iter().any(|d| d.ends_with(name)),
            "{name} has no transform.json among the fixtures"
        );
    }
    for dir in &with_transform {
        check(dir);
    }
}

/// Unknown categories under handle_unknown='ignore' encode as all zeros, like sklearn.
#[test]
fn unknown_category_is_all_zeros_when_ignored() {
    let p = predictor(&fixture("onehot-int-categories"));
    let f = p
        .features(&json!({"record": {"rooms": 99, "visits": 3.0}}))
        .expect("accepted");
    let known = p
        .features(&json!({"record": {"rooms": 1, "visits": 3.0}}))
        .expect("accepted");
    let width = f[0].len();
    assert!(f[0][..width - 1].iter().all(|&x| x == 0.0), "{:?}", f[0]);
    assert_eq!(
        known[0][..width - 1].iter().filter(|&&x| x == 1.0).count(),
        1
    );
}

/// What sklearn refuses in these transforms is refused naming the field: Box-Cox of a value at
/// or below 0 ("strictly positive data"), a missing value before KBinsDiscretizer ("Input X
/// contains NaN"); a value Box-Cox takes is answered.
#[test]
fn power_and_kbins_refuse_what_sklearn_refuses_naming_the_field() {
    use wasmpredict::error::ErrorCode;
    let power = predictor(&fixture("power-box-cox"));
    for income in [0.0, -5.0] {
        let e = power
            .features(&json!({"record": {"age": 40, "income": income, "visits": 3.0}}))
            .expect_err("refused");
        assert_eq!(e.code, ErrorCode::OutOfDomain, "{}", e.message);
        assert_eq!(e.field.as_deref(), Some("income"));
        assert!(e.message.contains("Box-Cox"), "{}", e.message);
    }
    assert!(power
        .features(&json!({"record": {"age": 40, "income": 1e-3, "visits": 3.0}}))
        .is_ok());
    let kbins = predictor(&fixture("kbins-ordinal-uniform"));
    let e = kbins
        .features(&json!({"features": [[1.0, null, 0.5, 0.1, 0.2, 0.3]]}))
        .expect_err("refused");
    assert_eq!(e.code, ErrorCode::MissingValue, "{}", e.message);
    assert_eq!(e.field.as_deref(), Some("x1"));
}

#[derive(serde::Deserialize)]
struct TokenCase {
    text: String,
    lower: String,
    tokens: Vec<String>,
}

/// Python's `str.lower()` and `re.findall(r"(?u)\b\w\w+\b", ...)` on thousands of random strings
/// over every assigned code point (marks, digits of every script, symbols, titlecase letters),
/// plus sentences in Hindi, Arabic, Greek, Chinese, Japanese, Korean, Thai and with emoji.
#[test]
fn tokens_and_lowercase_match_python_beyond_english() {
    use wasmpredict::featurize::text::tokenize;
    let path = fixtures_dir().join("_text/tokens.json");
    let cases: Vec<TokenCase> =
        serde_json::from_slice(&std::fs::read(&path).expect("tokens.json")).expect("parses");
    assert!(cases.len() > 4000, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let lower = case.text.to_lowercase();
        if lower != case.lower {
            wrong.push(format!(
                "lower({:?}): rust {lower:?}, python {:?}",
                case.text, case.lower
            ));
            continue;
        }
        let tokens = tokenize(&lower);
        if tokens != case.tokens {
            wrong.push(format!(
                "tokens({lower:?}): rust {tokens:?}, python {:?}",
                case.tokens
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// The case the issue names: Python gives only `सम`, because the vowel signs are not `\w`.
#[test]
fn devanagari_vowel_signs_split_tokens_as_in_python() {
    use wasmpredict::featurize::text::tokenize;
    assert_eq!(tokenize("हिन्दी समाचार"), vec!["सम"]);
}
