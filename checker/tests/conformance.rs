//! `sealwright conformance`: a generated suite passes, every part of it matches the CDDL on
//! the engines' state pages and the conformance page, generating twice gives the same bytes,
//! and altering any part of a case makes `run` fail, saying what differed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Dir, bin, ok, run};

/// The suite, generated once for the tests of this binary (its directory stays until the
/// process ends: a `static` is never dropped).
fn suite() -> &'static Path {
    static SUITE: OnceLock<(Dir, PathBuf)> = OnceLock::new();
    &SUITE
        .get_or_init(|| {
            let dir = Dir::new("conformance", "suite");
            let path = dir.p("suite");
            ok(bin().args(["conformance", "generate", "--out"]).arg(&path));
            (dir, path)
        })
        .1
}

fn cases(root: &Path) -> Vec<PathBuf> {
    engines::conformance::files::find(root).unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The pages whose CDDL blocks a suite is checked against: each engine's state page, then
/// the conformance page.
const SCHEMA_PAGES: &[&str] = &[
    "docs/encryption/state.md",
    "docs/reads-for/state.md",
    "docs/decryption/state.md",
    "docs/identity-management/state.md",
    "docs/verification-engine/state.md",
    "docs/signs-for/state.md",
    "docs/naming/state.md",
    "docs/conformance/index.md",
];

/// The CDDL blocks of the state pages and the conformance page, then `spec/wire.cddl`.
fn schema() -> String {
    let mut out = String::new();
    for page in SCHEMA_PAGES {
        let text = fs::read_to_string(repo().join(page)).unwrap();
        let blocks: Vec<&str> = text
            .split("```cddl\n")
            .skip(1)
            .filter_map(|rest| rest.split("```").next())
            .collect();
        assert!(!blocks.is_empty(), "{page} has no cddl block");
        out.extend(blocks.iter().map(|b| format!("{b}\n")));
    }
    // The `cddl` crate (0.10.7) refuses every map whose keys are a named rule (it validates
    // the whole map against the key's rule), and any map with two array keys: such keys are
    // checked by their prelude type, or not at all. Values are checked as written.
    let out = out
        .replace("{ * identity-id =>", "{ * bstr =>")
        .replace("{ * key-id =>", "{ * bstr =>")
        .replace("{ * correlation-id =>", "{ * uint =>")
        .replace("{ * identity-name =>", "{ * tstr =>")
        .replace("{ * [identity-id, identity-id] =>", "{ * any =>");
    out + &fs::read_to_string(repo().join("spec/wire.cddl")).unwrap()
}

fn validate(schema: &str, rule: &str, bytes: &[u8]) -> Result<(), String> {
    let rooted = format!("sealwright-test-root = {rule}\n{schema}");
    cddl::validate_cbor_from_slice(&rooted, bytes, None).map_err(|e| e.to_string())
}

#[test]
fn a_generated_suite_passes_and_every_part_matches_its_cddl() {
    let root = suite();
    let all = cases(root);
    let stdout = ok(bin().args(["conformance", "run"]).arg(root));
    let total = all.len();
    assert!(total > 700, "{total} cases");
    assert!(
        stdout.contains(&format!("{total} of {total} cases passed")),
        "{stdout}"
    );
    let schema = schema();
    let mut checked = 0;
    // The validator parses the schema on every call: the first three cases of each handler.
    let mut per_handler = std::collections::BTreeMap::new();
    let sample = all.iter().filter(|c| {
        let n = per_handler
            .entry(c.parent().unwrap().to_path_buf())
            .or_insert(0);
        *n += 1;
        *n <= 3
    });
    for case in sample {
        let engine = case.strip_prefix(root).unwrap().iter().next().unwrap();
        let engine = engine.to_str().unwrap();
        let mut parts = vec![
            ("config.cbor".to_string(), format!("{engine}-config")),
            ("pre.cbor".to_string(), format!("{engine}-state")),
        ];
        if case.join("post.cbor").is_file() {
            parts.push(("post.cbor".into(), format!("{engine}-state")));
            let steps = fs::read_dir(case).unwrap().count();
            parts.extend(
                (0..steps)
                    .map(|i| format!("effects_{i}.cbor"))
                    .filter(|f| case.join(f).is_file())
                    .map(|f| (f, "expected-effects".to_string())),
            );
        }
        for (file, rule) in parts {
            let bytes = fs::read(case.join(&file)).unwrap();
            validate(&schema, &rule, &bytes)
                .unwrap_or_else(|e| panic!("{}/{file} is not {rule}: {e}", case.display()));
            checked += 1;
        }
    }
    assert!(checked > 3 * per_handler.len(), "{checked} parts checked");
}

/// The first case under `root/sub` that `pick` accepts, copied alone into `into`.
fn copy_case(root: &Path, sub: &str, pick: impl Fn(&Path) -> bool, into: &Path) -> PathBuf {
    let from = cases(&root.join(sub))
        .into_iter()
        .find(|c| pick(c))
        .unwrap();
    let to = into.join(from.file_name().unwrap());
    fs::create_dir_all(&to).unwrap();
    for entry in fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to
}

fn sealing(case: &Path) -> bool {
    fs::read_to_string(case.join("meta.json"))
        .unwrap()
        .contains("\"random\": \"")
        && fs::metadata(case.join("effects_0.cbor")).unwrap().len() > 200
}

fn any(_: &Path) -> bool {
    true
}

fn edit_meta(case: &Path, edit: impl Fn(&str) -> String) {
    let text = fs::read_to_string(case.join("meta.json")).unwrap();
    fs::write(case.join("meta.json"), edit(&text)).unwrap();
}

fn flip_middle(case: &Path, file: &str) {
    let mut bytes = fs::read(case.join(file)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(case.join(file), bytes).unwrap();
}

/// A change to a case: where it is, which case, what is done to it, what `run` must say.
type Alteration = (&'static str, fn(&Path) -> bool, fn(&Path), &'static str);

const ALTERATIONS: &[Alteration] = &[
    (
        "encryption/seal-directly",
        sealing,
        |c| flip_middle(c, "effects_0.cbor"),
        "the effects differ",
    ),
    (
        "encryption/seal-directly",
        sealing,
        |c| {
            // One byte more than the engine draws: the effects are the same, the draw is not.
            edit_meta(c, |t| {
                let start = t.find("\"random\": \"").unwrap() + 11;
                let end = start + t[start..].find('"').unwrap();
                format!("{}ff{}", &t[..end], &t[end..])
            })
        },
        "the case records",
    ),
    (
        "encryption/seal-directly",
        sealing,
        other_random_byte,
        "the effects differ",
    ),
    (
        // One different nonce byte: the continuation changes.
        "verification/query-signs-for",
        drawing,
        other_random_byte,
        "the effects differ",
    ),
    (
        "verification/finish",
        any,
        |c| flip_middle(c, "effects_0.cbor"),
        "FAIL",
    ),
    (
        // A runtime that does not rotate Verification's ring either.
        "verification/rotate-cookie-key",
        any,
        |c| {
            fs::copy(c.join("pre.cbor"), c.join("post.cbor")).unwrap();
        },
        "the state after differs",
    ),
    (
        "signs-for/submit-evidence",
        any,
        |c| flip_middle(c, "post.cbor"),
        "FAIL",
    ),
    (
        "signs-for/submit-revocation",
        any,
        |c| {
            edit_meta(c, |t| {
                t.replace(
                    "\"handler\": \"submit-revocation\"",
                    "\"handler\": \"submit-evidence\"",
                )
            })
        },
        "handled by row",
    ),
    (
        "naming/submit-name-evidence",
        any,
        |c| flip_middle(c, "post.cbor"),
        "FAIL",
    ),
    (
        "naming/resolve-name",
        any,
        |c| {
            edit_meta(c, |t| {
                t.replace(
                    "\"handler\": \"resolve-name\"",
                    "\"handler\": \"query-name-evidence\"",
                )
            })
        },
        "handled by row",
    ),
    (
        "reads-for/collect-evidence",
        any,
        |c| flip_middle(c, "pre.cbor"),
        "FAIL",
    ),
    (
        "reads-for/submit-evidence",
        any,
        |c| flip_middle(c, "post.cbor"),
        "FAIL",
    ),
    (
        "reads-for/submit-evidence",
        any,
        |c| {
            let bytes = fs::read(c.join("input_0.cbor")).unwrap();
            fs::write(c.join("input_0.cbor"), &bytes[..bytes.len() - 1]).unwrap();
        },
        "input_0.cbor does not decode",
    ),
    (
        "reads-for/submit-evidence",
        any,
        |c| {
            edit_meta(c, |t| {
                t.replace(
                    "\"handler\": \"submit-evidence\"",
                    "\"handler\": \"submit-revocation\"",
                )
            })
        },
        "handled by row",
    ),
    (
        "reads-for/refused",
        any,
        |c| {
            let good = cases(&suite().join("reads-for/submit-evidence"))[0].join("input_0.cbor");
            fs::copy(good, c.join("input_0.cbor")).unwrap();
        },
        "must be refused",
    ),
    (
        "decryption/decrypt",
        any,
        |c| fs::remove_file(c.join("effects_0.cbor")).unwrap(),
        "cannot be read",
    ),
    (
        "identity-management/flow",
        any,
        |c| flip_middle(c, "effects_1.cbor"),
        "FAIL",
    ),
    (
        // A runtime that does not rotate: the state after is the state before.
        "encryption/rotate-cookie-key",
        any,
        |c| {
            fs::copy(c.join("pre.cbor"), c.join("post.cbor")).unwrap();
        },
        "the state after differs",
    ),
    (
        "encryption/flow",
        rotating,
        |c| {
            edit_meta(c, |t| {
                t.replace("\"event\": \"rotate-cookie-key\"", "\"event\": \"reboot\"")
            })
        },
        "unknown event",
    ),
];

/// One random byte of the first step changed.
fn other_random_byte(case: &Path) {
    edit_meta(case, |t| {
        let at = t.find("\"random\": \"").unwrap() + 11;
        let old = &t[at..at + 2];
        let new = if old == "00" { "01" } else { "00" };
        format!("{}{new}{}", &t[..at], &t[at + 2..])
    })
}

/// A case whose first step draws randomness.
fn drawing(case: &Path) -> bool {
    let meta = fs::read_to_string(case.join("meta.json")).unwrap();
    meta.contains("\"random\": \"") && !meta.contains("\"random\": \"\"")
}

fn rotating(case: &Path) -> bool {
    fs::read_to_string(case.join("meta.json"))
        .unwrap()
        .contains("\"event\": \"rotate-cookie-key\"")
}

#[test]
fn altering_any_part_of_a_case_makes_run_fail_and_say_what_differed() {
    let root = suite();
    for (i, (sub, pick, alter, says)) in ALTERATIONS.iter().enumerate() {
        let scratch = Dir::new("conformance", &format!("altered-{i}"));
        let case = copy_case(root, sub, pick, &scratch.0);
        let clean = run(bin().args(["conformance", "run"]).arg(&case));
        assert!(
            clean.status.success(),
            "row {i}: the copy of {sub} passes before it is altered"
        );
        alter(&case);
        let out = run(bin().args(["conformance", "run"]).arg(&case));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "row {i} ({sub}): {stdout}");
        assert!(
            stdout.contains(says),
            "row {i} ({sub}) should say {says:?}: {stdout}"
        );
        assert!(
            stdout.contains(&case.display().to_string()),
            "row {i}: names the case"
        );
    }
}

#[test]
fn a_failure_shows_the_diff_and_the_case_as_a_diagram() {
    let scratch = Dir::new("conformance", "diagram");
    let case = copy_case(suite(), "encryption/seal-directly", sealing, &scratch.0);
    flip_middle(&case, "effects_0.cbor");
    let out = run(bin().args(["conformance", "run"]).arg(&case));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\n- ") && stdout.contains("\n+ "),
        "{stdout}"
    );
    assert!(stdout.contains("```mermaid\nsequenceDiagram\n"), "{stdout}");
    assert!(
        stdout.contains("->>P0: RequestEncrypt") || stdout.contains("RequestEncrypt #"),
        "{stdout}"
    );
}

#[test]
fn generating_twice_writes_the_same_bytes() {
    let first = suite();
    let again = Dir::new("conformance", "again");
    ok(bin()
        .args(["conformance", "generate", "--out"])
        .arg(again.p("suite")));
    let a = cases(first);
    let b = cases(&again.p("suite"));
    let names = |v: &[PathBuf], root: &Path| -> Vec<PathBuf> {
        v.iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect()
    };
    assert_eq!(names(&a, first), names(&b, &again.p("suite")));
    for case in &a {
        let other = again.p("suite").join(case.strip_prefix(first).unwrap());
        for entry in fs::read_dir(case).unwrap() {
            let name = entry.unwrap().file_name();
            assert_eq!(
                fs::read(case.join(&name)).unwrap(),
                fs::read(other.join(&name)).unwrap(),
                "{}/{name:?}",
                case.display()
            );
        }
    }
    assert_eq!(
        fs::read(first.join("suite.json")).unwrap(),
        fs::read(again.p("suite/suite.json")).unwrap()
    );
}

#[test]
fn bad_command_lines_and_directories_are_refused_with_their_class() {
    let scratch = Dir::new("conformance", "refusals");
    let empty = scratch.p("empty");
    fs::create_dir_all(&empty).unwrap();
    let out = run(bin().args(["conformance", "run"]).arg(&empty));
    assert_eq!(out.status.code(), Some(3), "no case: bad input");
    let out = run(bin()
        .args(["conformance", "run", "--engine", "nope"])
        .arg(suite()));
    assert_eq!(out.status.code(), Some(2), "unknown engine: usage");
    // The scratch directory holds `pass` and no suite.json: generate must not empty it.
    let out = run(bin()
        .args(["conformance", "generate", "--out"])
        .arg(&scratch.0));
    assert_eq!(out.status.code(), Some(2));
    assert!(scratch.p("pass").is_file(), "nothing was deleted");
    let only = ok(bin()
        .args(["conformance", "run", "--engine", "reads-for"])
        .arg(suite()));
    assert!(
        only.contains("reads-for") && !only.contains("decryption"),
        "{only}"
    );
}

/// Made cases of the engines the model's scenarios reach least (the signature side and
/// Naming): engine, handler, and the words a case's description starts with. Each must be in
/// the suite.
const MADE_CASES: &[(&str, &str, &str)] = &[
    (
        "verification",
        "misaddressed",
        "the envelope names another engine",
    ),
    (
        "verification",
        "unexpected-sender",
        "a SignsFor evidence reply from another engine",
    ),
    (
        "verification",
        "unexpected-reply",
        "a ReadsFor evidence reply where only",
    ),
    (
        "verification",
        "not-handled",
        "a ReadsFor request sent to another engine",
    ),
    (
        "verification",
        "verify-directly",
        "an engine whose data limit is 0 bytes",
    ),
    (
        "verification",
        "query-signs-for",
        "an engine whose data limit is 0 bytes",
    ),
    (
        "verification",
        "finish",
        "an evidence reply without its continuation",
    ),
    (
        "verification",
        "finish",
        "an evidence reply whose continuation is cut",
    ),
    (
        "verification",
        "finish",
        "an evidence reply whose continuation was altered",
    ),
    (
        "verification",
        "finish",
        "an evidence reply about another subject",
    ),
    (
        "verification",
        "flow",
        "two cookie-key rotations, then a continuation",
    ),
    (
        "verification",
        "rotate-cookie-key",
        "the host's rotate-cookie-key event",
    ),
    (
        "signs-for",
        "misaddressed",
        "the envelope names another engine",
    ),
    (
        "signs-for",
        "unexpected-reply",
        "a reply sent to the SignsFor engine",
    ),
    (
        "signs-for",
        "not-handled",
        "a Verification request sent to another engine",
    ),
    (
        "signs-for",
        "submit-evidence",
        "evidence that an identity is related to itself",
    ),
    (
        "signs-for",
        "submit-evidence",
        "evidence whose subject's verifying key",
    ),
    (
        "signs-for",
        "submit-evidence",
        "signs-for evidence whose signature is altered",
    ),
    (
        "signs-for",
        "submit-revocation",
        "a revocation whose subject's verifying key",
    ),
    (
        "signs-for",
        "submit-revocation",
        "a revocation whose signature is altered",
    ),
    (
        "signs-for",
        "flow",
        "evidence with serial 1 after the same pair's serial 2",
    ),
    (
        "signs-for",
        "flow",
        "evidence with serial 1 after a revocation through serial 2",
    ),
    (
        "decryption",
        "commit",
        "a commitment as an identity the vault does not hold",
    ),
    (
        "decryption",
        "commit",
        "a commitment asked for by another engine",
    ),
    (
        "encryption",
        "not-handled",
        "a commitment request sent to another engine",
    ),
    (
        "reads-for",
        "not-handled",
        "signs-for evidence sent to another engine",
    ),
    (
        "identity-management",
        "not-handled",
        "a Verification request sent to another engine",
    ),
    (
        "naming",
        "misaddressed",
        "the envelope names another engine",
    ),
    (
        "naming",
        "submit-name-evidence",
        "name evidence for a free name whose named identity's verifying key",
    ),
    (
        "naming",
        "submit-name-evidence",
        "name evidence whose signature is altered",
    ),
    (
        "naming",
        "submit-name-revocation",
        "a name revocation whose signature is altered",
    ),
    (
        "naming",
        "flow",
        "a claim to a top-level name another identity holds",
    ),
    (
        "naming",
        "flow",
        "a dotted name vouched for by another identity than its parent's holder",
    ),
    (
        "naming",
        "flow",
        "a dotted name resolved after its parent was revoked",
    ),
    (
        "naming",
        "flow",
        "a dotted name resolved after its parent was transferred",
    ),
    (
        "naming",
        "flow",
        "name evidence with serial 1 after the same name's serial 2",
    ),
    (
        "naming",
        "flow",
        "other name evidence with the serial of the evidence in force",
    ),
    (
        "naming",
        "flow",
        "name evidence with serial 1 after a revocation through serial 2",
    ),
    ("naming", "refused", "a name with an uppercase letter"),
    ("naming", "refused", "a name with nine labels"),
    ("naming", "refused", "a name with a label of 64 bytes"),
    (
        "encryption",
        "not-handled",
        "a Naming request sent to another engine",
    ),
    (
        "reads-for",
        "not-handled",
        "a Naming request sent to another engine",
    ),
];

#[test]
fn every_made_case_of_the_newer_engines_is_in_the_suite() {
    let root = suite();
    for (engine, handler, words) in MADE_CASES {
        let found = cases(&root.join(engine).join(handler)).iter().any(|c| {
            let meta = fs::read_to_string(c.join("meta.json")).unwrap();
            meta.contains(&format!("\"description\": \"{words}"))
        });
        assert!(found, "{engine}/{handler}: no case \"{words} …\"");
    }
}

/// A trace of a short load run with engine kills, recorded once.
use common::traces::{rewritten, trace, validate_bytes};
use engines::runtime::trace::Record;

#[test]
fn a_recorded_trace_validates_and_any_damage_to_it_is_refused() {
    let good = trace();
    let out = validate_bytes("trace-good", good);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("every step as the reference engines take it"),
        "{stdout}"
    );
    // Every kind of record matches `trace-record` on the conformance page.
    let schema = schema();
    let (mut at, mut kinds) = (0, std::collections::BTreeSet::new());
    while at < good.len() {
        let len = spec::codec::item_len(&good[at..], spec::codec::Limits::DEFAULT).unwrap();
        let item = &good[at..at + len];
        let kind = item[1..8].to_vec();
        if kinds.insert(kind) {
            validate(&schema, "trace-record", item)
                .unwrap_or_else(|e| panic!("record at {at}: {e}"));
        }
        at += len;
    }
    assert_eq!(kinds.len(), 3, "start, step and end records");
    let records = engines::runtime::trace::records(good).unwrap();
    let end_at = good.len() - sealwright_spec_len(records.last().unwrap());
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("cut by a byte", good[..good.len() - 1].to_vec()),
        ("without its end record", good[..end_at].to_vec()),
        ("a byte appended", [good, &[0u8][..]].concat()),
        ("empty", Vec::new()),
    ];
    let flips = (1..=24).map(|k| {
        let mut b = good.to_vec();
        b[k * (good.len() / 25)] ^= 0x20;
        (("a flipped byte"), b)
    });
    for (i, (what, bytes)) in damaged.into_iter().chain(flips).enumerate() {
        let out = validate_bytes(&format!("trace-{i}"), &bytes);
        assert!(!out.status.success(), "{what} (row {i}) must be refused");
    }
}

fn sealwright_spec_len(r: &Record) -> usize {
    spec::codec::encode(r).len()
}

#[test]
fn a_step_the_reference_would_not_take_is_shown_with_its_flow() {
    let bytes = rewritten(|records| {
        let step = records
            .iter_mut()
            .find_map(|r| match r {
                Record::Step { instance, send, .. }
                    if instance == "reads-for" && !send.is_empty() =>
                {
                    Some(send)
                }
                _ => None,
            })
            .unwrap();
        step.clear();
    });
    let out = validate_bytes("trace-diverged", &bytes);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("instance reads-for is not what the reference does"),
        "{stdout}"
    );
    assert!(stdout.contains("the effects differ"), "{stdout}");
    assert!(stdout.contains("```mermaid"), "{stdout}");
    // The same records, untouched but rewritten the same way, validate: the rewriting is sound.
    let out = validate_bytes("trace-rewritten", &rewritten(|_| {}));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A command that writes ITF traces, what it must say, and which files it must write.
struct ItfRow {
    args: &'static [&'static str],
    says: &'static str,
    /// File name prefixes; each must name exactly one file written.
    files: &'static [&'static str],
}

const ITF_ROWS: &[ItfRow] = &[
    ItfRow {
        args: &[
            "check",
            "--no-docs",
            "--scenario",
            "nspec-v02-ignored-error",
        ],
        says: "1 ITF traces written",
        files: &["nspec-v02-ignored-error.errors-propagate.itf.json"],
    },
    ItfRow {
        args: &[
            "simulate",
            "--scenario",
            "nspec-v02-ignored-error",
            "--seconds",
            "3",
        ],
        says: "1 ITF traces written",
        files: &["nspec-v02-ignored-error.errors-propagate.itf.json"],
    },
    ItfRow {
        args: &["check", "--scenario", "direct", "--docs", "DOCS"],
        says: "3 documented flows written as ITF traces",
        files: &[
            "flow.encryption-behaviour.",
            "flow.decryption-behaviour.",
            "flow.decryption-behaviour.",
        ],
    },
];

#[test]
fn counterexamples_walks_and_documented_flows_are_written_as_itf_traces() {
    let docs = repo().join("docs");
    for (i, row) in ITF_ROWS.iter().enumerate() {
        let dir = Dir::new("conformance", &format!("itf-{i}"));
        let args = row.args.iter().map(|a| {
            if *a == "DOCS" {
                docs.as_os_str()
            } else {
                a.as_ref()
            }
        });
        let out = ok(bin().args(args).arg("--itf").arg(dir.p("itf")));
        assert!(out.contains(row.says), "{out}");
        let mut names: Vec<String> = fs::read_dir(dir.p("itf"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), row.files.len(), "{names:?}");
        for prefix in row.files {
            assert!(
                names.iter().any(|n| n.starts_with(prefix)),
                "{prefix}: {names:?}"
            );
        }
        for name in &names {
            let text = fs::read(dir.p(&format!("itf/{name}"))).unwrap();
            well_formed_itf(&serde_json::from_slice(&text).unwrap(), name);
        }
    }
}

/// An ITF document as ADR-015 has it: numbered states of one variable, `action`.
fn well_formed_itf(itf: &serde_json::Value, name: &str) {
    assert_eq!(itf["#meta"]["format"], "ITF", "{name}");
    assert_eq!(itf["vars"], serde_json::json!(["action"]), "{name}");
    let states = itf["states"].as_array().unwrap();
    assert!(states.len() >= 2, "{name}: {itf:#}");
    for (i, state) in states.iter().enumerate() {
        assert_eq!(
            state["#meta"]["index"], i,
            "{name}: states are numbered in order"
        );
        let tag = state["action"]["tag"].as_str().unwrap();
        assert!(
            ["Deliver", "Sent", "Lost", "Timeout", "Choice"].contains(&tag),
            "{name}: {tag}"
        );
    }
    let tags = |t: &str| states.iter().filter(|s| s["action"]["tag"] == t).count();
    if name.starts_with("flow.") {
        // A documented flow: every message sent, a client's request first.
        assert_eq!(tags("Sent"), states.len(), "{name}");
        assert_eq!(states[0]["action"]["value"]["from"], "Client", "{name}");
    } else {
        assert!(
            tags("Deliver") > 0,
            "{name}: the counterexample delivers messages"
        );
    }
}
