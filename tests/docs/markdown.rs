//! Just enough Markdown for the documentation tests: prose lines (outside fenced code blocks),
//! headings and their GitHub anchors, sections, tables, inline code spans. Shared by
//! tests/docs.rs and the cli crate's docs test (cli/src/cli_docs.rs), so it uses std only.

#![allow(dead_code)] // each includer uses its part

/// The lines outside fenced code blocks, with their 1-based numbers.
pub fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push((i + 1, line)),
            _ => {}
        }
    }
    out
}

/// A heading's text (without the `#`s) and level, if the line is one.
pub fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    let rest = &line[level..];
    (level > 0 && level <= 6 && rest.starts_with(' ')).then(|| (level, rest.trim()))
}

/// The anchor GitHub gives a heading: lower case, spaces to `-`, punctuation other than `-`
/// and `_` dropped (a repeated heading gets `-1`, `-2`...: see [`anchors`]).
pub fn slug(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every anchor a file's headings give.
pub fn anchors(text: &str) -> Vec<String> {
    let mut bases: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (_, line) in prose_lines(text) {
        if let Some((_, h)) = heading(line) {
            let base = slug(h);
            let repeats = bases.iter().filter(|b| **b == base).count();
            out.push(if repeats == 0 {
                base.clone()
            } else {
                format!("{base}-{repeats}")
            });
            bases.push(base);
        }
    }
    out
}

/// The prose lines under the first heading whose text is `title`, up to the next heading of
/// the same or a higher level.
pub fn section<'a>(text: &'a str, title: &str) -> Option<Vec<(usize, &'a str)>> {
    let lines = prose_lines(text);
    let start = lines
        .iter()
        .position(|(_, l)| heading(l).is_some_and(|(_, h)| h == title))?;
    let (level, _) = heading(lines[start].1)?;
    Some(
        lines[start + 1..]
            .iter()
            .take_while(|(_, l)| heading(l).is_none_or(|(lv, _)| lv > level))
            .copied()
            .collect(),
    )
}

/// The text inside each inline code span of a line (`` `x` ``).
pub fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// A table's cells, split on `|` outside code spans (a code span may hold `GET|PUT`).
pub fn cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let mut out = vec![String::new()];
    let mut in_code = false;
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        let escaped_bar = c == '\\' && chars.peek() == Some(&'|');
        if escaped_bar {
            chars.next();
        } else if c == '`' {
            in_code = !in_code;
        } else if c == '|' && !in_code {
            out.push(String::new());
            continue;
        }
        if let Some(s) = out.last_mut() {
            s.push(if escaped_bar { '|' } else { c });
        }
    }
    out.iter().map(|c| c.trim().to_string()).collect()
}

/// A table: its header cells and rows (with their line numbers), without the `|---|` line.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Every table among these lines.
pub fn tables(lines: &[(usize, &str)]) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    let mut in_table = false;
    for (n, line) in lines {
        if !line.trim_start().starts_with('|') {
            in_table = false;
            continue;
        }
        let row = cells(line);
        if !in_table {
            out.push(Table {
                header: row,
                rows: Vec::new(),
            });
            in_table = true;
        } else if !row.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))) {
            if let Some(t) = out.last_mut() {
                t.rows.push((*n, row));
            }
        }
    }
    out
}

/// A cell's text without the backticks of a code span around it.
pub fn unquote(cell: &str) -> &str {
    let c = cell.trim();
    c.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .unwrap_or(c)
}
