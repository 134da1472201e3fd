//! Diagrams written in the Anoma specification's conventions (aliases with spaces, `XEngine`
//! names, undeclared participants, argument lists and prose in parentheses, the older
//! suffix-style message names, solid reply arrows): each fixture gives exactly the errors
//! about real drift it should, each with the nearest right name, or none — and a right one
//! is verified against the model's flows like any diagram of the site.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use sealwright_model::diagrams::{check, parse_markdown};
use sealwright_model::flows::collect;
use sealwright_model::{Limits, catalog};

/// Right in our terms, written in nspec's style.
const RIGHT: &str = "\
## Encrypting for a reader
```mermaid
sequenceDiagram
    participant C as Client
    participant EE as Encryption Engine
    participant ReadsForEngine
    C->>EE: RequestEncrypt (data, externalIdentity, useReadsFor: true)
    EE->>ReadsForEngine: RequestQueryReadsForEvidence (A reads for B?)
    alt the query succeeds [Ok]
        ReadsForEngine-->>EE: ReplyQueryReadsForEvidence (result: Ok)
        EE-->>C: ReplyEncrypt (result: Ok)
    else the ReadsFor engine fails [Err(ReadsFor)]
        ReadsForEngine-->>EE: ReplyQueryReadsForEvidence (result: Err)
        EE-->>C: ReplyEncrypt (result: Err(ReadsFor))
    end
```
";

/// Participants used without a declaration, as mermaid allows.
const UNDECLARED: &str = "\
## Encrypting directly
```mermaid
sequenceDiagram
    Client->>EncryptionEngine: RequestEncrypt (useReadsFor: false)
    EncryptionEngine-->>Client: ReplyEncrypt (result: Ok)
```
";

/// Branch labels in words alone, and arguments in the Anoma pages' `name=value` style.
const BARE_LABELS: &str = "\
## Decrypting
```mermaid
sequenceDiagram
    participant C as Client
    participant DE as Decryption Engine
    C->>DE: RequestDecryption(encryptedData)
    Note over DE: Attempt to decrypt data
    alt Decryption Successful
        DE-->>C: ReplyDecryption(decryptedData, err=none)
    else Decryption Failed
        DE-->>C: ReplyDecryption(emptyByteString, err=\"Decryption Failed\")
    end
```
";

/// Drift of every kind the checker must name, and an engine the model does not run.
const DRIFT: &str = "\
## Older names
```mermaid
sequenceDiagram
    participant C as Client
    participant EE as Encryption Engine
    participant RFE as ReadsFor Engine
    participant TE as Ticker Engine
    C->>EE: EncryptRequest (useReadsFor: true)
    EE->>RFE: QueryReadsForEvidenceRequest (A reads for B?)
    RFE->>EE: ReplyQueryReadsForEvidence (result: Ok)
    EE->>TE: RequestResolveName
    TE->>EE: ReplyResolveName
    EE-->>C: ReplyEncrypt (result Ok)
    EE-->>C: ReplyEncrypt (reslt: Ok)
    EE-->>Bob: ReplyEncrypt
    EE-->>Bob: ReplyEncrypt
    EE->>DecryptionEngine: Spawn (if requested)
```
";

/// A fixture and the errors it must give, as (line, text the message contains).
struct Fixture {
    name: &'static str,
    text: &'static str,
    errors: &'static [(usize, &'static str)],
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "right",
        text: RIGHT,
        errors: &[],
    },
    Fixture {
        name: "undeclared",
        text: UNDECLARED,
        errors: &[],
    },
    Fixture {
        name: "bare labels",
        text: BARE_LABELS,
        errors: &[],
    },
    Fixture {
        name: "drift",
        text: DRIFT,
        errors: &[
            (
                7,
                "the Ticker engine, outside the identity family the model runs",
            ),
            (8, "closest existing one is `RequestEncrypt`"),
            (9, "closest existing one is `RequestQueryReadsForEvidence`"),
            (
                10,
                "`ReplyQueryReadsForEvidence` is a reply: draw it with `-->>`",
            ),
            (13, "condition `result Ok` must be `field: value`"),
            (14, "the closest field of `ReplyEncrypt` is `result`"),
            (15, "`Bob` is not a declared participant"),
            (17, "`Spawn` is no message"),
        ],
    },
];

#[test]
fn nspec_style_fixtures_give_only_the_drift_they_hold() {
    for f in FIXTURES {
        let (diagrams, errors) = parse_markdown(Path::new("nspec.md"), f.text);
        assert_eq!(diagrams.len(), 1, "{}", f.name);
        let got: Vec<String> = errors.iter().map(|e| format!("{e}")).collect();
        assert_eq!(errors.len(), f.errors.len(), "{}: {got:#?}", f.name);
        for (e, (line, says)) in errors.iter().zip(f.errors) {
            assert_eq!(e.line, *line, "{}: {e}", f.name);
            assert!(
                e.message.contains(says),
                "{}: {e} should say {says:?}",
                f.name
            );
        }
    }
}

#[test]
fn a_right_nspec_style_diagram_is_a_verified_property() {
    let limits = Limits {
        threads: 2,
        max_states: 1_000_000,
        time_limit: Duration::from_secs(120),
    };
    let collected: Vec<_> = [
        "direct",
        "reads-for",
        "reads-for-error",
        "vault-authorisation",
    ]
    .iter()
    .map(|name| {
        let s = catalog().into_iter().find(|s| s.name == *name).unwrap();
        (name.to_string(), collect(&s, limits).unwrap())
    })
    .collect();
    for text in [RIGHT, UNDECLARED, BARE_LABELS] {
        let (diagrams, errors) = parse_markdown(Path::new("nspec.md"), text);
        let report = check(&diagrams, errors, &collected);
        assert_eq!(report.checked.len(), 1);
        let verdict = &report.checked[0];
        assert!(
            !verdict.scenarios.is_empty(),
            "{}: exercised",
            verdict.title
        );
        assert!(
            verdict.problems.is_empty(),
            "{}: {:#?}",
            verdict.title,
            verdict.problems
        );
    }
}

/// The site's own diagrams keep the stricter style: every branch label states its condition.
#[test]
fn every_branch_label_on_the_site_states_what_it_claims() {
    let (diagrams, errors) = sealwright_model::diagrams::load(Path::new("../docs")).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(diagrams.len() > 10);
    for d in &diagrams {
        assert!(
            d.bare_labels.is_empty(),
            "{}:{:?}: a branch label without `[...]`",
            d.file.display(),
            d.bare_labels
        );
    }
}
