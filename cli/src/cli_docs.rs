//! docs/cli.md is the clap definitions, written out: a section per command (a heading
//! `` `wasmpredict serve` ``, `` `wasmpredict models live` ``), each with a table of every
//! argument (`--flag` or a positional's `NAME`) and its default (a command with subcommands and
//! no arguments of its own, `models`, needs no table). This test fails on a command or an
//! argument missing from the page or no longer in the code, and on a wrong default.

#[path = "../../tests/docs/markdown.rs"]
mod markdown;

use clap::{ArgAction, CommandFactory};
use markdown::{code_spans, heading, prose_lines, tables, unquote};
use std::collections::BTreeMap;

/// One argument as the page shows it: `--flag`, or a positional's id in capitals; its default
/// ("" for none, the values joined by `,`).
type Arguments = BTreeMap<String, String>;

/// Every command (`check`, `models`, `models live`...) and its arguments, from clap.
fn from_clap() -> BTreeMap<String, Arguments> {
    fn visit(cmd: &clap::Command, path: &str, out: &mut BTreeMap<String, Arguments>) {
        for sub in cmd.get_subcommands() {
            let name = sub.get_name();
            let sub_path = if path.is_empty() {
                name.to_string()
            } else {
                format!("{path} {name}")
            };
            visit(sub, &sub_path, out);
        }
        if path.is_empty() {
            return; // `wasmpredict` itself: --help and --version only
        }
        let args = cmd
            .get_arguments()
            .filter(|a| {
                !matches!(
                    a.get_action(),
                    ArgAction::Help
                        | ArgAction::HelpShort
                        | ArgAction::HelpLong
                        | ArgAction::Version
                )
            })
            .map(|a| {
                let name = match a.get_long() {
                    Some(long) => format!("--{long}"),
                    None => a.get_id().as_str().to_uppercase(),
                };
                let default = if a.get_action().takes_values() {
                    a.get_default_values()
                        .iter()
                        .map(|v| v.to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                } else {
                    String::new()
                };
                (name, default)
            })
            .collect();
        out.insert(path.to_string(), args);
    }
    let mut out = BTreeMap::new();
    visit(&crate::Cli::command(), "", &mut out);
    out
}

/// Every command section of docs/cli.md and the arguments of its table.
fn from_page(text: &str) -> Result<BTreeMap<String, Arguments>, String> {
    let mut out = BTreeMap::new();
    let lines = prose_lines(text);
    for (i, (n, line)) in lines.iter().enumerate() {
        let Some((_, title)) = heading(line) else {
            continue;
        };
        let Some(command) = code_spans(title)
            .first()
            .and_then(|c| c.strip_prefix("wasmpredict "))
        else {
            continue;
        };
        // The command's own lines: up to the next heading (a subcommand's section is its own).
        let own: Vec<(usize, &str)> = lines[i + 1..]
            .iter()
            .take_while(|(_, l)| heading(l).is_none())
            .copied()
            .collect();
        let table = tables(&own)
            .into_iter()
            .find(|t| t.header.first().map(String::as_str) == Some("argument"));
        let mut args = Arguments::new();
        for (_, cells) in table.map(|t| t.rows).unwrap_or_default() {
            // `--input`, `-i`: the long name comes first.
            let first = cells.first().map_or("", String::as_str);
            let name = code_spans(first)
                .first()
                .copied()
                .unwrap_or(first)
                .to_string();
            let default = cells.get(1).map_or("", |c| unquote(c)).to_string();
            let default = if default == "—" {
                String::new()
            } else {
                default
            };
            if args.insert(name.clone(), default).is_some() {
                return Err(format!(
                    "line {n}: `wasmpredict {command}` lists {name} twice"
                ));
            }
        }
        if out.insert(command.to_string(), args).is_some() {
            return Err(format!(
                "line {n}: a second section for `wasmpredict {command}`"
            ));
        }
    }
    Ok(out)
}

/// What differs between the page and clap, one line each.
fn differences(
    page: &BTreeMap<String, Arguments>,
    code: &BTreeMap<String, Arguments>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for command in code.keys().filter(|c| !page.contains_key(*c)) {
        problems.push(format!("no section for `wasmpredict {command}`"));
    }
    for command in page.keys().filter(|c| !code.contains_key(*c)) {
        problems.push(format!("`wasmpredict {command}` is not a command"));
    }
    for (command, want) in code {
        let Some(have) = page.get(command) else {
            continue;
        };
        for (arg, default) in want {
            match have.get(arg) {
                None => problems.push(format!("`wasmpredict {command}`: {arg} is missing")),
                Some(d) if d != default => problems.push(format!(
                    "`wasmpredict {command}`: {arg} defaults to {default:?}, the page says {d:?}"
                )),
                Some(_) => {}
            }
        }
        for arg in have.keys().filter(|a| !want.contains_key(*a)) {
            problems.push(format!("`wasmpredict {command}`: {arg} is not an argument"));
        }
    }
    problems
}

#[test]
fn cli_md_is_the_clap_definitions() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md");
    let text = std::fs::read_to_string(path).expect("docs/cli.md");
    let page = from_page(&text).unwrap_or_else(|e| panic!("docs/cli.md: {e}"));
    let problems = differences(&page, &from_clap());
    assert!(
        problems.is_empty(),
        "docs/cli.md differs from the clap definitions (cli/src):\n{}",
        problems.join("\n")
    );
}

/// The comparison fails on what it should: a command, an argument or a default that drifted.
#[test]
fn the_comparison_catches_each_kind_of_drift() {
    let code = from_clap();
    assert!(differences(&code, &code).is_empty());
    assert!(code["serve"].contains_key("--monitor-window"));
    assert_eq!(code["serve"]["--max-rows"], "10000");
    assert_eq!(code["check"]["BUNDLES"], "");
    assert!(code["models live"].contains_key("VERSION"));
    assert!(code["models"].is_empty());

    let mut page = code.clone();
    page.remove("info");
    assert_eq!(
        differences(&page, &code),
        ["no section for `wasmpredict info`"]
    );

    let mut page = code.clone();
    if let Some(args) = page.get_mut("serve") {
        args.remove("--engine");
    }
    assert_eq!(
        differences(&page, &code),
        ["`wasmpredict serve`: --engine is missing"]
    );

    let mut page = code.clone();
    if let Some(args) = page.get_mut("serve") {
        args.insert("--max-rows".into(), "1000".into());
    }
    assert_eq!(
        differences(&page, &code),
        ["`wasmpredict serve`: --max-rows defaults to \"10000\", the page says \"1000\""]
    );

    let mut page = code.clone();
    if let Some(args) = page.get_mut("models live") {
        args.insert("--force".into(), String::new());
    }
    assert_eq!(
        differences(&page, &code),
        ["`wasmpredict models live`: --force is not an argument"]
    );
}
