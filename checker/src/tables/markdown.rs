//! The pipe tables of the site's pages, with the heading each stands under.

use std::path::{Path, PathBuf};

/// One table: where it is, the heading above it, its header and its rows.
#[derive(Debug, Clone)]
pub struct Table {
    /// The page, relative to the docs directory.
    pub page: PathBuf,
    /// The 1-based line of the header row.
    pub line: usize,
    /// The text of the nearest heading above the table.
    pub heading: String,
    /// The header cells, lower-cased.
    pub header: Vec<String>,
    /// Each body row: its 1-based line and its cells, trimmed.
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// The index of the header column named `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// The cells of a table row, trimmed; a `\|` inside a cell is not a separator.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push(String::new()),
            c => {
                // An escaped pipe belongs to the cell.
                let c = if c == '\\' && chars.peek() == Some(&'|') {
                    chars.next().unwrap_or(c)
                } else {
                    c
                };
                if let Some(cell) = out.last_mut() {
                    cell.push(c);
                }
            }
        }
    }
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

fn is_delimiter(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// Every table of `text` (a page at `page`); tables inside fenced code are skipped.
pub fn tables(page: &Path, text: &str) -> Vec<Table> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut fenced = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_string();
        } else if !fenced
            && line.trim_start().starts_with('|')
            && lines.get(i + 1).is_some_and(|l| is_delimiter(l))
        {
            let header = cells(line).iter().map(|c| c.to_lowercase()).collect();
            let mut rows = Vec::new();
            let mut j = i + 2;
            while j < lines.len() && lines[j].trim_start().starts_with('|') {
                rows.push((j + 1, cells(lines[j])));
                j += 1;
            }
            out.push(Table {
                page: page.to_path_buf(),
                line: i + 1,
                heading: heading.clone(),
                header,
                rows,
            });
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// The first `` `code span` `` of `text`, without its backticks.
pub fn first_code(text: &str) -> Option<&str> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(&text[start..start + len])
}

/// Every page under `docs` (markdown files, sorted), with its text.
pub fn pages(docs: &Path) -> std::io::Result<Vec<(PathBuf, String)>> {
    model::diagrams::markdown_files(docs)?
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)?;
            let page = path.strip_prefix(docs).unwrap_or(&path).to_path_buf();
            Ok((page, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn reads_tables_under_their_headings_and_skips_code() {
        let text = "# Page\n\n## `RequestX`\n\n| field | wire type |\n| --- | --- |\n| `a` | bool |\n| `b` | a \\| b |\n\n```text\n| not | a table |\n| --- | --- |\n```\n";
        let t = tables(Path::new("p.md"), text);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].heading, "`RequestX`");
        assert_eq!(t[0].line, 5);
        assert_eq!(t[0].header, ["field", "wire type"]);
        assert_eq!(
            t[0].rows[1],
            (8, vec!["`b`".to_string(), "a | b".to_string()])
        );
        assert_eq!(first_code(&t[0].heading), Some("RequestX"));
    }
}
