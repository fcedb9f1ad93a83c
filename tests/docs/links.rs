//! No dangling references in the Markdown files: every relative link resolves (to a file, and
//! to a heading when it names an anchor), and every repository path the prose or an inline code
//! span names exists. Fenced code blocks are left alone (commands with placeholders).

use crate::markdown::{anchors, prose_lines};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// What builds, tests and tools write into a checkout: the Markdown may name these paths (the
/// site `build/site`, `target/fixtures`...), which a fresh clone does not have. Never searched
/// for Markdown either.
const BUILD_OUTPUTS: &[&str] = &[
    "target",       // cargo, and what the tests and the build write under it
    "build",        // the assembled site (build/site), the admin token of ./run.sh
    "worker/build", // the built Worker
    "node_modules", // npm
    "bench/node_modules",
    "dist",         // wrangler deploy --dry-run
    ".wrangler",    // workerd's state under ./run.sh
    ".wasmpredict", // wasmpredict serve's default state directory
    ".venv",        // the Python packages of the tests
    "python/build", // pip install ./python
    "fuzz/target",  // cargo fuzz
    "fuzz/artifacts",
    "fuzz/coverage",
    // Not a build output, but made on demand: fuzz inputs that still crash wait there for a fix
    // (fuzz/README.md); empty, so not in git, when none is pending.
    "fuzz/regressions/pending",
];

/// Extensions that make a word a file name worth checking even without a directory: a `.md`
/// or `.toml` named in prose must be one of the repository's files (docs once cited a
/// toolchain notes file and a trunk configuration that were never in it).
const BARE_NAME_EXTENSIONS: &[&str] = &["md", "toml"];

fn is_build_output(path: &str) -> bool {
    let path = path.trim_start_matches("./");
    BUILD_OUTPUTS
        .iter()
        .any(|o| path == *o || path.starts_with(&format!("{o}/")))
}

/// Every file under `dir`, skipping build outputs, hidden directories and Python's caches.
fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = relative(root, &path);
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            let skip = name.starts_with('.')
                || name == "__pycache__"
                || name.ends_with(".egg-info")
                || is_build_output(&rel);
            if !skip {
                walk(root, &path, out);
            }
        } else {
            out.push(path);
        }
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// `base` joined with `rel`, `.` and `..` resolved without touching the file system.
fn join(base: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base.join(rel).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// A placeholder segment of a path in prose (`models/NAME/VERSION/`): upper case letters.
fn is_placeholder(segment: &str) -> bool {
    segment.len() >= 2
        && segment
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        && segment.chars().any(|c| c.is_ascii_uppercase())
}

/// The words of a prose line that look like repository paths: runs of path characters that
/// contain a `/` (`docs/api.md`, `tests/python/`) or end in a checked extension. Links and
/// URLs are taken out first.
fn path_words(line: &str) -> Vec<String> {
    let mut text = String::new();
    // Link targets are checked as links; drop them here.
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        text.push_str(&rest[..i + 1]);
        rest = rest[i + 2..]
            .find(')')
            .map_or("", |j| &rest[i + 2 + j + 1..]);
    }
    text.push_str(rest);
    text.split(|c: char| c.is_whitespace() || "`()[],;\"'|<>*{}=$…".contains(c))
        .map(|w| w.trim_end_matches(['.', ':', '!', '?']))
        .filter(|w| !w.contains(':'))
        .map(|w| w.strip_prefix("./").unwrap_or(w))
        .filter(|w| {
            !w.is_empty()
                && !w.starts_with('/')
                && !w.contains("//")
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        })
        .map(str::to_string)
        .collect()
}

struct Repo {
    root: PathBuf,
    /// Every file's name, for bare names (`Cargo.toml` may be any of the crates').
    names: BTreeSet<String>,
}

impl Repo {
    fn exists(&self, path: &Path) -> bool {
        path.starts_with(&self.root) && path.exists()
    }

    /// Whether `word`, named in the Markdown file in `dir`, is a dangling repository path;
    /// None when the word is not a path at all.
    fn dangling(&self, dir: &Path, word: &str) -> Option<bool> {
        if is_build_output(word) {
            return None;
        }
        let segments: Vec<&str> = word.split('/').filter(|s| !s.is_empty()).collect();
        let first = *segments.first()?;
        if !word.contains('/') {
            let ext = word.rsplit_once('.').map(|(_, e)| e)?;
            if !BARE_NAME_EXTENSIONS.contains(&ext) {
                return None;
            }
            return Some(!self.names.contains(word));
        }
        // Up to the first placeholder: `models/NAME/traffic.json` checks `models`.
        let known: Vec<&str> = segments
            .iter()
            .take_while(|s| !is_placeholder(s))
            .copied()
            .collect();
        if known.is_empty() {
            return None;
        }
        let known = known.join("/");
        let bases = [dir, self.root.as_path()];
        if bases
            .iter()
            .any(|b| is_build_output(&relative(&self.root, &join(b, &known))))
        {
            return None;
        }
        // A path in prose starts at the repository root or at the file's own directory; a
        // word whose first segment is neither (`rows/s`, `and/or`) is not a path.
        let anchored = first == ".."
            || bases
                .iter()
                .any(|b| self.exists(&b.join(first)) || is_build_output(first));
        if !anchored {
            return None;
        }
        Some(!bases.iter().any(|b| self.exists(&join(b, &known))))
    }
}

/// The problems of one Markdown file, each as `file:line: what`.
fn check_file(repo: &Repo, file: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(file) else {
        return vec![format!("{}: unreadable", file.display())];
    };
    let dir = file.parent().unwrap_or(&repo.root);
    let name = relative(&repo.root, file);
    let own_anchors = anchors(&text);
    let mut problems = Vec::new();
    for (n, line) in prose_lines(&text) {
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].split_whitespace().next().unwrap_or("");
            rest = &after[end..];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
            let resolved = if path.is_empty() {
                file.to_path_buf()
            } else {
                join(dir, path)
            };
            if !repo.exists(&resolved) && !is_build_output(&relative(&repo.root, &resolved)) {
                problems.push(format!("{name}:{n}: link to {target}: no such file"));
                continue;
            }
            if !anchor.is_empty() && resolved.extension().is_some_and(|e| e == "md") {
                let known = if path.is_empty() {
                    own_anchors.clone()
                } else {
                    anchors(&fs::read_to_string(&resolved).unwrap_or_default())
                };
                if !known.iter().any(|a| a == anchor) {
                    problems.push(format!("{name}:{n}: link to {target}: no such heading"));
                }
            }
        }
        // Backticks separate words, so a code span's paths (`src/error.rs`, or the words of a
        // command) are among them.
        let mut words = path_words(line);
        words.sort();
        words.dedup();
        for word in words {
            if repo.dangling(dir, &word) == Some(true) {
                problems.push(format!("{name}:{n}: `{word}` is not in the repository"));
            }
        }
    }
    problems
}

#[test]
fn markdown_links_and_paths_resolve() {
    let root = crate::root();
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    let names = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let repo = Repo {
        root: root.clone(),
        names,
    };
    let markdown: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "md"))
        .collect();
    assert!(
        markdown.iter().any(|f| f.ends_with("README.md")),
        "no README.md found under {}",
        root.display()
    );
    let problems: Vec<String> = markdown.iter().flat_map(|f| check_file(&repo, f)).collect();
    assert!(
        problems.is_empty(),
        "{} dangling reference(s) in the Markdown files:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
