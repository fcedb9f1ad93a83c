//! docs/api.md's Settings table is the core's settings table (`wasmpredict::http::config::
//! SETTINGS`): one row per setting, its Worker variable, its `serve` flag and its default.

use crate::markdown::{section, tables, unquote};
use wasmpredict::http::config::SETTINGS;

#[test]
fn api_md_settings_table_is_the_settings_of_the_code() {
    let text = std::fs::read_to_string(crate::root().join("docs/api.md")).expect("docs/api.md");
    let lines = section(&text, "Settings").expect("docs/api.md has a section \"## Settings\"");
    let table = tables(&lines)
        .into_iter()
        .find(|t| t.header.iter().any(|h| h == "Worker var"))
        .expect("the Settings section has a table with a \"Worker var\" column");
    let column = |name: &str| {
        table
            .header
            .iter()
            .position(|h| h.contains(name))
            .unwrap_or_else(|| panic!("the Settings table has no {name:?} column"))
    };
    let (var, flag, default) = (column("Worker var"), column("flag"), column("default"));
    let mut problems = Vec::new();
    let mut documented = Vec::new();
    for (line, cells) in &table.rows {
        let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
        // The variable is the cell's first code span (`MAX_ROWS` (comma-separated)).
        let name = cell(var).split('`').nth(1).unwrap_or("").to_string();
        let Some(setting) = SETTINGS.iter().find(|s| s.var == name) else {
            problems.push(format!("line {line}: {name:?} is not a setting"));
            continue;
        };
        documented.push(name.clone());
        if let Some(f) = setting.flag {
            if !cell(flag).contains(&format!("`--{f}`")) {
                problems.push(format!(
                    "line {line}: {name}'s flag is --{f}, the table says {:?}",
                    cell(flag)
                ));
            }
        }
        if !setting.default.is_empty() && unquote(cell(default)) != setting.default {
            problems.push(format!(
                "line {line}: {name} defaults to {:?}, the table says {:?}",
                setting.default,
                cell(default)
            ));
        }
    }
    for s in SETTINGS {
        if !documented.iter().any(|d| d == s.var) {
            problems.push(format!("missing: {}", s.var));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/api.md, Settings:\n{}",
        problems.join("\n")
    );
}
