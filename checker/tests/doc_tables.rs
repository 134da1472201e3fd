//! `check --docs` holds the site's tables to the code: a copy of `docs/` with a wrong field
//! name, wire type, field order, error code, variant or wire form, a missing error row, or a
//! guard row renamed or dropped, fails, and each finding names the page, the line and what
//! the code says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;

use common::{Dir, bin, run};

/// (page, text as written, text as mutated, what the finding must say).
const MUTATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "encryption/messages.md",
        "| `useReadsFor` | bool |",
        "| `useReadFor` | bool |",
        "docs/encryption/messages.md:20  `RequestEncrypt` has no field `useReadFor` (did you mean `useReadsFor`?)",
    ),
    (
        "encryption/messages.md",
        "| 105 | `PlaintextTooLarge`",
        "| 106 | `PlaintextTooLarge`",
        "`EncryptionError::PlaintextTooLarge` has code 105, not 106",
    ),
    (
        "reads-for/messages.md",
        "| `serial` | u64 | Orders",
        "| `serial` | bool | Orders",
        "`ReadsForEvidence.serial` is an integer on the wire; the table says \"bool\"",
    ),
    (
        "decryption/messages.md",
        "| `evidence` | `ReadsForEvidence` or `null` |",
        "| `evidence` | byte string or `null` |",
        "`GeneratedKey.evidence` is null or a map on the wire",
    ),
    (
        "identity-management/messages.md",
        "| 403 | `InvalidZone` | `\"InvalidZone\"`",
        "| 403 | `BadZone` | `\"BadZone\"`",
        "`IdentityError` has no variant `BadZone`",
    ),
    (
        "identity-management/messages.md",
        "| 401 | `NotOwner` | `\"NotOwner\"`",
        "| 401 | `NotOwner` | `\"NotOwnr\"`",
        "the wire form of `NotOwner` is",
    ),
    (
        "decryption/messages.md",
        "| 306 | `UnknownIdentity` | `\"UnknownIdentity\"` | A management request names an identity this vault does not hold. |\n",
        "",
        "`UnknownIdentity` (code 306) is missing from the table",
    ),
    (
        "reads-for/messages.md",
        "| `fromIdentity` | identity id | The reader whose reading is revoked.",
        "| `fromIdentityX` | identity id | The reader whose reading is revoked.",
        "`ReadsForRevocation`'s field `fromIdentity` is not in the table",
    ),
    (
        "reads-for/behaviour.md",
        "| 3 | `submit-revocation` |",
        "| 3 | `submit-revocations` |",
        "row 3 is `submit-revocation` in the engine's GUARDS; the table says `submit-revocations`",
    ),
    (
        "decryption/behaviour.md",
        "| 7 | `unexpected-reply` | any reply | reject: `UnexpectedReply` |\n",
        "",
        "row 7 (`unexpected-reply`) of the engine's GUARDS is not in the table",
    ),
    (
        "wire-format/envelope.md",
        "`RequestDecryption {data: bytes}`",
        "`RequestDecryption {date: bytes}`",
        "`RequestDecryption` is listed with `date`; on the wire its fields are `data`",
    ),
];

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

fn docs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

#[test]
fn every_mutated_table_row_is_named_with_what_the_code_says() {
    let dir = Dir::new("tables", "mutated");
    let copy = dir.p("docs");
    copy_dir(&docs(), &copy);
    for (page, from, to, _) in MUTATIONS {
        let path = copy.join(page);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.matches(from).count(),
            1,
            "{page}: `{from}` is not there once"
        );
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
    let out = run(bin()
        .args(["check", "--scenario", "direct", "--docs"])
        .arg(&copy));
    assert!(!out.status.success(), "the mutated tables pass");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (page, .., says) in MUTATIONS {
        assert!(
            stdout.contains(says),
            "{page}: no finding saying {says}\n{stdout}"
        );
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("tables"));
}

#[test]
fn the_site_tables_agree_with_the_code() {
    let out = run(bin()
        .args(["check", "--scenario", "direct", "--docs"])
        .arg(docs()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("every row agrees with the code"),
        "{stdout}"
    );
}
