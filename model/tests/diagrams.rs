//! The three diagram checks against real flows of the model, including diagrams that must fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use sealwright_model::Limits;
use sealwright_model::catalog;
use sealwright_model::diagrams::{DiagramsReport, check, parse_markdown};
use sealwright_model::flows::{Collected, collect};

fn direct_flows() -> Vec<(String, Collected)> {
    let s = catalog().into_iter().find(|s| s.name == "direct").unwrap();
    let limits = Limits {
        threads: 2,
        max_states: 1_000_000,
        time_limit: Duration::from_secs(120),
    };
    vec![("direct".to_string(), collect(&s, limits).unwrap())]
}

const ENCRYPT: &str = "\
## Encrypt
```mermaid
sequenceDiagram
    participant Client
    participant Encryption
    Client->>Encryption: RequestEncrypt (useReadsFor: false)
    Encryption-->>Client: ReplyEncrypt (result: Ok)
```
";

const DECRYPT: &str = "\
## Decrypt
```mermaid
sequenceDiagram
    participant Client
    participant Decryption as Vault
    Client->>Decryption: RequestDecryption
    alt a recipient asks [row decrypt, Ok]
        Decryption-->>Client: ReplyDecryption (result: Ok)
    else anyone else [row decrypt, Err(NoMatchingKey)]
        Decryption-->>Client: ReplyDecryption (result: Err(NoMatchingKey))
    end
```
";

fn verdict(docs: &str, flows: &[(String, Collected)]) -> DiagramsReport {
    let (diagrams, errors) = parse_markdown(Path::new("docs/test.md"), docs);
    check(&diagrams, errors, flows)
}

fn problems(report: &DiagramsReport, title: &str) -> Vec<String> {
    report
        .checked
        .iter()
        .find(|v| v.title == title)
        .unwrap()
        .problems
        .clone()
}

#[test]
fn all_three_checks_pass_for_the_documented_flows() {
    let flows = direct_flows();
    let mut report = verdict(&format!("{ENCRYPT}{DECRYPT}"), &flows);
    // `direct` alone takes none of the ReadsFor engine's rows: as the whole catalog, that
    // would fail (every row of a guard table must be taken by some scenario).
    assert!(!report.passes());
    let unreached = |engine: &str, row: &str| {
        report
            .unreached_rows
            .iter()
            .any(|(e, r, _)| e == engine && r == row)
    };
    assert!(
        unreached("ReadsFor", "submit-evidence"),
        "{:?}",
        report.unreached_rows
    );
    assert!(!unreached("Decryption", "decrypt"));
    report.unreached_rows.clear();
    assert!(report.passes(), "{report:#?}");
    assert_eq!(report.checked.len(), 2);
    assert_eq!(report.checked[0].scenarios, vec!["direct".to_string()]);
}

#[test]
fn diagrams_that_must_fail() {
    let flows = direct_flows();
    // A reordered step: the reply before the request.
    let reordered = ENCRYPT.replace(
        "    Client->>Encryption: RequestEncrypt (useReadsFor: false)\n    Encryption-->>Client: ReplyEncrypt (result: Ok)\n",
        "    Encryption-->>Client: ReplyEncrypt (result: Ok)\n    Client->>Encryption: RequestEncrypt (useReadsFor: false)\n",
    );
    let (_, errors) = parse_markdown(Path::new("docs/test.md"), &reordered);
    assert!(
        errors[0].message.contains("first arrow must be a request"),
        "{errors:?}"
    );

    // A missing reply: not realizable, and the real flow is undocumented.
    let missing = ENCRYPT.replace("    Encryption-->>Client: ReplyEncrypt (result: Ok)\n", "");
    let report = verdict(&format!("{missing}{DECRYPT}"), &flows);
    assert!(!report.passes());
    let p = problems(&report, "Encrypt");
    assert!(
        p[0].contains(
            "the diagram ends, the model goes on with `Encryption-->>Client: ReplyEncrypt"
        ),
        "{p:?}"
    );
    assert_eq!(report.undocumented.len(), 1);
    assert!(
        report.undocumented[0]
            .1
            .contains("Encryption-->>Client: ReplyEncrypt (result: Ok)")
    );

    // A wrong message name: an error naming the file, the line and the closest name.
    let wrong = ENCRYPT.replace("ReplyEncrypt (result: Ok)", "ReplyEncrypted (result: Ok)");
    let report = verdict(&wrong, &flows);
    assert_eq!(report.errors.len(), 1);
    let e = report.errors[0].to_string();
    assert!(
        e.starts_with("docs/test.md:7:") && e.contains("`ReplyEncrypt`"),
        "{e}"
    );

    // A reversed arrow: Client receives what it should send.
    let reversed = ENCRYPT.replace(
        "Encryption-->>Client: ReplyEncrypt",
        "Client-->>Encryption: ReplyEncrypt",
    );
    let report = verdict(&format!("{reversed}{DECRYPT}"), &flows);
    let p = problems(&report, "Encrypt");
    assert!(p[0].contains("step 2 (line 7)"), "{p:?}");

    // An extra step the model never takes.
    let extra = ENCRYPT.replace(
        "    Encryption-->>Client: ReplyEncrypt (result: Ok)\n",
        "    Encryption-->>Client: ReplyEncrypt (result: Ok)\n    Client->>Encryption: RequestEncrypt (useReadsFor: false)\n",
    );
    let report = verdict(&format!("{extra}{DECRYPT}"), &flows);
    let p = problems(&report, "Encrypt");
    assert!(p[0].contains("the model's flow ends"), "{p:?}");

    // Exhaustive: documenting only the success of decryption leaves the refusal undocumented.
    let only_ok = DECRYPT
        .replace("    alt a recipient asks [row decrypt, Ok]\n", "")
        .replace("    else anyone else [row decrypt, Err(NoMatchingKey)]\n        Decryption-->>Client: ReplyDecryption (result: Err(NoMatchingKey))\n    end\n", "")
        .replace("        Decryption-->>Client: ReplyDecryption (result: Ok)\n", "    Decryption-->>Client: ReplyDecryption (result: Ok)\n");
    let report = verdict(&format!("{ENCRYPT}{only_ok}"), &flows);
    assert!(problems(&report, "Decrypt").is_empty());
    assert_eq!(report.undocumented.len(), 1, "{report:#?}");
    assert!(report.undocumented[0].1.contains("Err(NoMatchingKey)"));

    // Branch labels mean something. Swapped labels: each branch's result contradicts its label.
    let swapped = DECRYPT
        .replace("a recipient asks [row decrypt, Ok]", "TMP")
        .replace(
            "anyone else [row decrypt, Err(NoMatchingKey)]",
            "a recipient asks [row decrypt, Ok]",
        )
        .replace("TMP", "anyone else [row decrypt, Err(NoMatchingKey)]");
    let report = verdict(&format!("{ENCRYPT}{swapped}"), &flows);
    assert_eq!(report.errors.len(), 2, "{report:#?}");
    assert!(
        report.errors[0].to_string().contains("the label says the result is `Err(NoMatchingKey)`, but the branch's last result, in `ReplyDecryption`, is `Ok`"),
        "{report:#?}"
    );
    // A label of words alone claims nothing (the Anoma pages' style), and is noted; a
    // bracket left open is an error.
    let prose = DECRYPT.replace("a recipient asks [row decrypt, Ok]", "a recipient asks");
    let (diagrams, errors) = parse_markdown(Path::new("docs/test.md"), &prose);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(diagrams[0].bare_labels.len(), 1);
    let open = DECRYPT.replace(
        "a recipient asks [row decrypt, Ok]",
        "a recipient asks [row decrypt",
    );
    let (_, errors) = parse_markdown(Path::new("docs/test.md"), &open);
    assert!(
        errors[0]
            .message
            .contains("a branch label ends with what the model observes"),
        "{errors:?}"
    );
    // A row the sender's guard table does not have.
    let no_row = DECRYPT.replace("[row decrypt, Ok]", "[row seal-directly, Ok]");
    let (_, errors) = parse_markdown(Path::new("docs/test.md"), &no_row);
    assert!(
        errors[0].message.contains("has no row `seal-directly`"),
        "{errors:?}"
    );
    // A row the sender has, but not the one the model's engine reported: never realized.
    let wrong_row = DECRYPT.replace("[row decrypt, Ok]", "[row refuse-management, Ok]");
    let report = verdict(&format!("{ENCRYPT}{wrong_row}"), &flows);
    let p = problems(&report, "Decrypt");
    assert!(
        p[0].contains("the branch label says `Decryption-->>Client: ReplyDecryption (result: Ok)` is sent under row `refuse-management`, the model sent it under row `decrypt`"),
        "{p:?}"
    );

    // A trigger no scenario sends is not realizable.
    let never = ENCRYPT.replace(
        "useReadsFor: false)\n    Encryption-->>Client: ReplyEncrypt (result: Ok)",
        "useReadsFor: true)\n    Encryption-->>Client: ReplyEncrypt (result: Ok)",
    );
    let report = verdict(&format!("{never}{ENCRYPT}{DECRYPT}"), &flows);
    assert!(
        report.checked[0].problems[0].contains("no scenario sends"),
        "{report:#?}"
    );
}

#[test]
fn the_site_s_diagrams_are_verified() {
    // The docs of this repository, against every scenario that documents flows.
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let (diagrams, errors) = sealwright_model::diagrams::load(&docs).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let limits = Limits {
        threads: 2,
        max_states: 2_000_000,
        time_limit: Duration::from_secs(300),
    };
    let collected: Vec<(String, Collected)> = catalog()
        .iter()
        .filter(|s| s.flow_check().is_some())
        .map(|s| (s.name.to_string(), collect(s, limits).unwrap()))
        .collect();
    let report = check(&diagrams, errors, &collected);
    assert!(
        report.checked.len() >= 10,
        "{} diagrams checked",
        report.checked.len()
    );
    assert!(report.passes(), "{report:#?}");
    every_swapped_branch_label_fails(&docs, &diagrams, &collected);
    // Every network's flows are compared, the lossy and duplicating ones included.
    for name in [
        "reads-for-lossy",
        "reads-for-duplicating",
        "reads-for-lost-reply",
        "misdirected",
    ] {
        assert!(
            collected.iter().any(|(n, _)| n == name),
            "{name} is not compared"
        );
    }
}

#[test]
fn a_partial_run_checks_only_what_its_scenarios_exercise() {
    let flows = direct_flows();
    let docs = format!("{ENCRYPT}{DECRYPT}");
    let (diagrams, errors) = parse_markdown(Path::new("docs/test.md"), &docs);
    let mut report = check(&diagrams, errors, &flows);
    report.partial();
    assert!(report.passes(), "{report:#?}");
    // A diagram no selected scenario exercises is skipped, not failed.
    let only_encrypt = verdict(ENCRYPT, &flows[..0]);
    assert!(!only_encrypt.passes());
    let (diagrams, errors) = parse_markdown(Path::new("docs/test.md"), ENCRYPT);
    let mut skipped = check(&diagrams, errors, &[]);
    skipped.partial();
    assert!(skipped.passes());
    assert_eq!(
        skipped.partial.as_deref(),
        Some(&["Encrypt".to_string()][..])
    );
}

/// The `alt`/`else` label lines of each block of `text`, by line index.
fn branch_blocks(text: &str) -> Vec<Vec<usize>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !(line.trim_start().starts_with("alt ") && line.ends_with(']')) {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let mut block = vec![i];
        for (j, other) in lines.iter().enumerate().skip(i + 1) {
            let same = other.len() - other.trim_start().len() == indent;
            if same && other.trim_start().starts_with("else ") {
                block.push(j);
            } else if same && other.trim() == "end" {
                break;
            }
        }
        blocks.push(block);
    }
    blocks
}

/// Swapping the bracketed conditions of any two branches of any block on the site fails.
fn every_swapped_branch_label_fails(
    docs: &Path,
    diagrams: &[sealwright_model::diagrams::Diagram],
    collected: &[(String, Collected)],
) {
    let mut swaps = 0;
    for entry in sealwright_model::diagrams::markdown_files(docs).unwrap() {
        let text = std::fs::read_to_string(&entry).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for block in branch_blocks(&text) {
            for (a, b) in block
                .iter()
                .flat_map(|a| block.iter().map(move |b| (*a, *b)))
            {
                let cond = |i: usize| &lines[i][lines[i].rfind('[').unwrap()..];
                if a >= b || cond(a) == cond(b) {
                    continue;
                }
                let mut mutated: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                mutated[a] = format!("{}{}", &lines[a][..lines[a].rfind('[').unwrap()], cond(b));
                mutated[b] = format!("{}{}", &lines[b][..lines[b].rfind('[').unwrap()], cond(a));
                let (mine, errors) = parse_markdown(&entry, &mutated.join("\n"));
                let mut all: Vec<_> = diagrams
                    .iter()
                    .filter(|d| d.file != entry)
                    .cloned()
                    .collect();
                all.extend(mine);
                let report = check(&all, errors, collected);
                assert!(
                    !report.passes(),
                    "{}: swapping the labels at lines {} and {} passes",
                    entry.display(),
                    a + 1,
                    b + 1
                );
                swaps += 1;
            }
        }
    }
    assert!(swaps >= 10, "{swaps} swaps");
}
