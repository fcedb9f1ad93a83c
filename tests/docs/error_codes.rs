//! The error codes as documented are the error codes of the code: docs/api.md's table (code and
//! HTTP status of every `ErrorCode`, one row each) and docs/openapi.yaml's list of codes.

use crate::markdown::{section, tables, unquote};
use std::collections::BTreeMap;
use wasmpredict::error::ErrorCode;

/// Every code's name and status, from the enum.
fn expected() -> BTreeMap<String, u16> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.name(), c.status()))
        .collect()
}

/// What is wrong with a documented table of (code, status, line) against the enum.
fn differences(documented: &[(String, String, usize)]) -> Vec<String> {
    let expected = expected();
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for (code, status, line) in documented {
        if let Some(first) = seen.insert(code.clone(), *line) {
            problems.push(format!(
                "line {line}: `{code}` again (first on line {first})"
            ));
        }
        match expected.get(code) {
            None => problems.push(format!("line {line}: `{code}` is not an ErrorCode")),
            Some(want) if status.parse::<u16>().ok() != Some(*want) => problems.push(format!(
                "line {line}: `{code}` answers {want}, the table says {status:?}"
            )),
            Some(_) => {}
        }
    }
    for (code, status) in &expected {
        if !seen.contains_key(code) {
            problems.push(format!("missing: `{code}` ({status})"));
        }
    }
    problems
}

#[test]
fn api_md_error_table_is_the_error_code_enum() {
    let path = crate::root().join("docs/api.md");
    let text = std::fs::read_to_string(&path).expect("docs/api.md");
    let lines = section(&text, "Errors").expect("docs/api.md has a section \"## Errors\"");
    let table = tables(&lines)
        .into_iter()
        .find(|t| {
            t.header.first().map(String::as_str) == Some("code")
                && t.header.get(1).map(String::as_str) == Some("HTTP")
        })
        .expect(
            "docs/api.md's Errors section has a table whose header starts with | code | HTTP |",
        );
    let documented: Vec<(String, String, usize)> = table
        .rows
        .iter()
        .map(|(line, cells)| {
            let code = unquote(cells.first().map_or("", String::as_str)).to_string();
            let status = cells.get(1).cloned().unwrap_or_default();
            (code, status, *line)
        })
        .collect();
    let problems = differences(&documented);
    assert!(
        problems.is_empty(),
        "docs/api.md's error table differs from ErrorCode (src/error.rs):\n{}",
        problems.join("\n")
    );
}

#[test]
fn openapi_error_codes_are_the_error_code_enum() {
    let text = std::fs::read_to_string(crate::root().join("docs/openapi.yaml"))
        .expect("docs/openapi.yaml");
    // components.schemas.Error.properties.error.properties.code.enum: the first `enum: [` after
    // the `Error:` schema, up to its `]`.
    let schemas = text
        .find("\n  schemas:\n")
        .expect("docs/openapi.yaml has components.schemas");
    let schema = schemas
        + text[schemas..]
            .find("\n    Error:\n")
            .expect("docs/openapi.yaml has a components.schemas.Error");
    let start = schema
        + text[schema..]
            .find("enum: [")
            .expect("the Error schema's code has an enum")
        + "enum: [".len();
    let end = start + text[start..].find(']').expect("the enum's closing ]");
    let documented: Vec<String> = text[start..end]
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let expected: Vec<String> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
    let mut sorted = documented.clone();
    sorted.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(
        sorted, want,
        "docs/openapi.yaml's error codes differ from ErrorCode (src/error.rs)"
    );
}

/// The comparison itself fails on what it should: a missing row, an extra row, a wrong status,
/// a repeated row.
#[test]
fn the_error_table_comparison_catches_each_kind_of_drift() {
    let good: Vec<(String, String, usize)> = ErrorCode::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name(), c.status().to_string(), i + 1))
        .collect();
    assert!(differences(&good).is_empty());

    let mut missing = good.clone();
    missing.remove(3);
    assert_eq!(differences(&missing), ["missing: `wrong_type` (400)"]);

    let mut extra = good.clone();
    extra.push(("model_on_fire".into(), "500".into(), 99));
    assert_eq!(
        differences(&extra),
        ["line 99: `model_on_fire` is not an ErrorCode"]
    );

    let mut wrong = good.clone();
    wrong[0].1 = "422".into();
    assert_eq!(
        differences(&wrong),
        ["line 1: `invalid_json` answers 400, the table says \"422\""]
    );

    let mut repeated = good;
    repeated.push(("unauthorized".into(), "401".into(), 50));
    assert_eq!(
        differences(&repeated),
        ["line 50: `unauthorized` again (first on line 20)"]
    );
}
