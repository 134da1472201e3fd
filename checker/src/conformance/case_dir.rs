//! A case on disk: one directory of canonical CBOR files and a `meta.json`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use engines::conformance::{Case, CaseStep};
use serde_json::{Value as Json, json};

use crate::exit;

/// The format a suite's files are in; a runner refuses any other.
pub const FORMAT: &str = "sealwright-conformance/1";

/// Where a case lives under the suite's root: `ENGINE/HANDLER/ID`.
pub fn case_path(root: &Path, case: &Case) -> PathBuf {
    root.join(&case.engine).join(case.handler()).join(case.id())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Writes `case` under `root`; `scenarios` are the model scenarios that reach it.
pub fn write(root: &Path, case: &Case, scenarios: &BTreeSet<&str>) -> Result<()> {
    let dir = case_path(root, case);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let meta = json!({
        "format": FORMAT,
        "engine": case.engine,
        "handler": case.handler(),
        "description": case.description,
        "scenarios": scenarios.iter().collect::<Vec<_>>(),
        "refused": case.post.is_none(),
        "steps": case.steps.iter().map(|s| json!({
            "handler": s.handler,
            "random": hex(&s.random),
        })).collect::<Vec<_>>(),
    });
    let mut files: Vec<(String, &[u8])> = vec![
        ("config.cbor".into(), &case.config),
        ("pre.cbor".into(), &case.pre),
    ];
    for (i, step) in case.steps.iter().enumerate() {
        files.push((format!("input_{i}.cbor"), &step.input));
        if case.post.is_some() {
            files.push((format!("effects_{i}.cbor"), &step.effects));
        }
    }
    if let Some(post) = &case.post {
        files.push(("post.cbor".into(), post));
    }
    let mut text = serde_json::to_string_pretty(&meta)?;
    text.push('\n');
    files.push(("meta.json".into(), text.as_bytes()));
    for (name, bytes) in files {
        let path = dir.join(&name);
        fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn file(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path = dir.join(name);
    fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
}

fn text<'a>(meta: &'a Json, key: &str) -> Result<&'a str> {
    meta.get(key)
        .and_then(Json::as_str)
        .ok_or_else(|| exit::bad_input(format!("meta.json has no text field {key:?}")))
}

/// Reads the case in `dir`.
pub fn read(dir: &Path) -> Result<Case> {
    let meta: Json = serde_json::from_slice(&file(dir, "meta.json")?)
        .map_err(|e| exit::bad_input(format!("meta.json is not JSON: {e}")))?;
    if text(&meta, "format")? != FORMAT {
        bail!(exit::bad_input(format!("meta.json is not format {FORMAT}")));
    }
    let refused = meta.get("refused").and_then(Json::as_bool).unwrap_or(false);
    let Some(steps) = meta.get("steps").and_then(Json::as_array) else {
        bail!(exit::bad_input("meta.json has no list of steps"));
    };
    let mut read_steps = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let random = unhex(text(step, "random")?)
            .ok_or_else(|| exit::bad_input(format!("step {i}: random is not hex")))?;
        read_steps.push(CaseStep {
            input: file(dir, &format!("input_{i}.cbor"))?,
            random,
            handler: text(step, "handler")?.to_string(),
            effects: if refused {
                Vec::new()
            } else {
                file(dir, &format!("effects_{i}.cbor"))?
            },
        });
    }
    Ok(Case {
        engine: text(&meta, "engine")?.to_string(),
        description: text(&meta, "description")?.to_string(),
        config: file(dir, "config.cbor")?,
        pre: file(dir, "pre.cbor")?,
        steps: read_steps,
        post: if refused {
            None
        } else {
            Some(file(dir, "post.cbor")?)
        },
    })
}

/// Every case directory under `root` (a directory holding a `meta.json`), sorted.
pub fn find(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if dir.join("meta.json").is_file() {
            found.push(dir);
            continue;
        }
        let entries =
            fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_odd_or_foreign_digits() {
        assert_eq!(unhex(&hex(&[0, 1, 0xfe])), Some(vec![0, 1, 0xfe]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("é0"), None);
    }
}
