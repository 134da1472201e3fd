//! A case on disk: one directory of canonical CBOR files and a `meta.json`.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use super::{Case, CaseStep};
use crate::HostEvent;

/// The format a suite's files are in; a runner refuses any other.
pub const FORMAT: &str = "sealwright-conformance/1";

/// Why a case cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CaseFileError {
    /// A file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `meta.json` is not what the format says.
    #[error("{path}: {why}")]
    Meta {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CaseFileError + '_ {
    move |source| CaseFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

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
pub fn write(root: &Path, case: &Case, scenarios: &[&str]) -> Result<(), CaseFileError> {
    let dir = case_path(root, case);
    fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let meta = json!({
        "format": FORMAT,
        "engine": case.engine,
        "handler": case.handler(),
        "description": case.description,
        "scenarios": scenarios,
        "refused": case.post.is_none(),
        "steps": case.steps.iter().map(|s| match s.event {
            Some(event) => json!({ "handler": s.handler, "event": event.name() }),
            None => json!({ "handler": s.handler, "random": hex(&s.random) }),
        }).collect::<Vec<_>>(),
    });
    let mut files: Vec<(String, &[u8])> = vec![
        ("config.cbor".into(), &case.config),
        ("pre.cbor".into(), &case.pre),
    ];
    for (i, step) in case.steps.iter().enumerate() {
        if step.event.is_some() {
            continue;
        }
        files.push((format!("input_{i}.cbor"), &step.input));
        if case.post.is_some() {
            files.push((format!("effects_{i}.cbor"), &step.effects));
        }
    }
    if let Some(post) = &case.post {
        files.push(("post.cbor".into(), post));
    }
    let text = format!("{meta:#}\n");
    files.push(("meta.json".into(), text.as_bytes()));
    for (name, bytes) in files {
        let path = dir.join(&name);
        fs::write(&path, bytes).map_err(io_error(&path))?;
    }
    Ok(())
}

fn file(dir: &Path, name: &str) -> Result<Vec<u8>, CaseFileError> {
    let path = dir.join(name);
    fs::read(&path).map_err(io_error(&path))
}

/// Reads the case in `dir`.
pub fn read(dir: &Path) -> Result<Case, CaseFileError> {
    let path = dir.join("meta.json");
    let bad = |why: String| CaseFileError::Meta {
        path: path.clone(),
        why,
    };
    let meta: Json = serde_json::from_slice(&file(dir, "meta.json")?)
        .map_err(|e| bad(format!("not JSON: {e}")))?;
    let text = |v: &Json, key: &str| {
        v.get(key)
            .and_then(Json::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad(format!("no text field {key:?}")))
    };
    if text(&meta, "format")? != FORMAT {
        return Err(bad(format!("not format {FORMAT}")));
    }
    let refused = meta.get("refused").and_then(Json::as_bool).unwrap_or(false);
    let steps = meta
        .get("steps")
        .and_then(Json::as_array)
        .ok_or_else(|| bad("no list of steps".into()))?;
    let mut read_steps = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        if let Some(name) = step.get("event") {
            let event = name
                .as_str()
                .and_then(HostEvent::parse)
                .ok_or_else(|| bad(format!("step {i}: unknown event {name}")))?;
            read_steps.push(CaseStep::event(event));
            continue;
        }
        let random = unhex(&text(step, "random")?)
            .ok_or_else(|| bad(format!("step {i}: random is not hex")))?;
        let effects = match refused {
            true => Vec::new(),
            false => file(dir, &format!("effects_{i}.cbor"))?,
        };
        read_steps.push(CaseStep {
            event: None,
            input: file(dir, &format!("input_{i}.cbor"))?,
            random,
            handler: text(step, "handler")?,
            effects,
        });
    }
    Ok(Case {
        engine: text(&meta, "engine")?,
        description: text(&meta, "description")?,
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
pub fn find(root: &Path) -> Result<Vec<PathBuf>, CaseFileError> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if dir.join("meta.json").is_file() {
            found.push(dir);
            continue;
        }
        for entry in fs::read_dir(&dir).map_err(io_error(&dir))? {
            let path = entry.map_err(io_error(&dir))?.path();
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
