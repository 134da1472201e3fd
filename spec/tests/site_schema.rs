//! The CDDL schema is linked within the docs site and served with it: the
//! envelope page links `wire.cddl` next to it, `scripts/site.sh` copies
//! `spec/wire.cddl` to exactly that place before `mkdocs build`, and the copy is
//! a build output, never committed. No page links a placeholder address.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The targets of the markdown links `[text](target)` in `page`.
fn link_targets(page: &str) -> Vec<&str> {
    page.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .collect()
}

/// The value of `name=VALUE` in a shell script.
fn shell_var<'a>(script: &'a str, name: &str) -> &'a str {
    script
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("scripts/site.sh sets no {name}"))
        .trim()
}

#[test]
fn the_envelope_page_links_the_schema_the_site_serves() {
    let page = read("docs/wire-format/envelope.md");
    let schema_links: Vec<&str> = link_targets(&page)
        .into_iter()
        .filter(|t| t.contains(".cddl"))
        .collect();
    assert_eq!(
        schema_links,
        ["wire.cddl"],
        "the envelope page links the schema beside it, within the site"
    );
    let site = read("scripts/site.sh");
    assert_eq!(shell_var(&site, "cddl_src"), "spec/wire.cddl");
    // docs/wire-format/envelope.md + `wire.cddl` = docs/wire-format/wire.cddl.
    assert_eq!(shell_var(&site, "cddl_dst"), "docs/wire-format/wire.cddl");
    for line in [
        r#"if ! cmp -s "$cddl_src" "$cddl_dst"; then"#,
        r#"  cp "$cddl_src" "$cddl_dst""#,
    ] {
        assert!(site.lines().any(|l| l == line), "site.sh lacks `{line}`");
    }
    // The copy happens before the site is built or served.
    let copy = site.find(r#"cp "$cddl_src""#).expect("copies the schema");
    let build = site.find("\nmkdocs build").expect("builds the site");
    let serve = site.find("exec mkdocs serve").expect("serves the site");
    assert!(copy < build && copy < serve);
    // A build output: ignored by git, and not excluded from the site.
    assert!(
        read(".gitignore")
            .lines()
            .any(|l| l == "/docs/wire-format/wire.cddl")
    );
    assert!(!read("mkdocs.yml").contains("wire.cddl"));
}

#[test]
fn no_page_links_a_placeholder_address() {
    let mut pages = vec![root().join("docs")];
    let mut seen = 0;
    while let Some(path) = pages.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pages.push(entry.unwrap().path());
            }
        } else if path.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&path).unwrap();
            for target in link_targets(&text) {
                assert!(
                    !target.contains(".invalid") && !target.contains("example."),
                    "{}: links a placeholder address {target}",
                    path.display()
                );
            }
            seen += 1;
        }
    }
    assert!(seen > 10, "found only {seen} pages");
}
