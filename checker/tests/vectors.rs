//! The committed test vectors in `spec/vectors/` (written by `sealwright vectors`):
//! they are not stale, every CBOR vector matches `spec/wire.cddl` and decodes
//! through the project's codec, every signature verifies, and every ciphertext
//! opens to its plaintext through the engines' backend.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use ciborium::Value as Cbor;
use engines::Backend;
use engines::backend::hpke::HpkeBackend;
use engines::backend::{KeyEntry, KeyRing};
use engines::secret::Secret32;
use serde_json::Value as Json;
use spec::message::MESSAGE_NAMES;
use spec::{
    Envelope, ExternalIdentity, IdentityId, KeyId, ReadsForEvidence, ReadsForRevocation, codec,
};
use spec::{NameEvidence, NameRevocation};

const SCHEMA: &str = include_str!("../../spec/wire.cddl");
const FILES: [&str; 4] = [
    "envelopes.json",
    "evidence.json",
    "ciphertexts.json",
    "README.md",
];

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors")
}

fn load(name: &str) -> Json {
    let path = committed_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `sealwright vectors`", path.display()));
    serde_json::from_str(&text).expect("vector files are JSON")
}

fn bytes(v: &Json) -> Vec<u8> {
    hex::decode(v.as_str().expect("a hex string")).expect("valid hex")
}

fn array<const N: usize>(v: &Json) -> [u8; N] {
    bytes(v).try_into().expect("right length")
}

fn list<'a>(file: &'a Json, key: &str) -> &'a Vec<Json> {
    file[key].as_array().expect("a list of vectors")
}

fn validate(schema: &str, bytes: &[u8]) -> Result<(), String> {
    cddl::validate_cbor_from_slice(schema, bytes, None).map_err(|e| e.to_string())
}

fn schema_rooted_at(rule: &str) -> String {
    format!("sealwright-test-root = {rule}\n{SCHEMA}")
}

/// The `decoded` rendering, built here independently of the generator's own JSON writer.
fn render(v: &Cbor) -> Json {
    match v {
        Cbor::Integer(i) => {
            let n = i128::from(*i);
            serde_json::json!(u64::try_from(n).expect("the wire has no negative integers"))
        }
        Cbor::Bytes(b) => serde_json::json!({ "$bytes": hex::encode(b) }),
        Cbor::Text(t) => Json::String(t.clone()),
        Cbor::Bool(b) => Json::Bool(*b),
        Cbor::Null => Json::Null,
        Cbor::Array(items) => Json::Array(items.iter().map(render).collect()),
        Cbor::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_text().expect("text keys").to_owned(), render(v)))
                .collect(),
        ),
        other => panic!("unexpected CBOR item {other:?}"),
    }
}

fn check_decoded(name: &str, cbor: &[u8], decoded: &Json) {
    let value = codec::decode_value(cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&render(&value), decoded, "{name}: `decoded` differs");
}

// ---------------------------------------------------------------------------
// (a) not stale

#[test]
fn regenerating_gives_the_committed_files() {
    let out = std::env::temp_dir().join(format!("sealwright-vectors-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_sealwright"))
        .arg("vectors")
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs sealwright");
    assert!(
        run.status.success(),
        "sealwright vectors failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut stale = Vec::new();
    for name in FILES {
        let fresh = std::fs::read(out.join(name)).expect("generated");
        let committed = std::fs::read(committed_dir().join(name)).unwrap_or_default();
        if fresh != committed {
            stale.push(name);
        }
    }
    let generated: BTreeSet<String> = std::fs::read_dir(&out)
        .expect("output dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(
        generated,
        FILES.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>()
    );
    assert!(
        stale.is_empty(),
        "spec/vectors is stale ({stale:?}): run `cargo run -p sealwright -- vectors` and commit the result"
    );
}

// ---------------------------------------------------------------------------
// (b) schema, codec, signatures

#[test]
fn every_envelope_vector_matches_the_schema_and_decodes() {
    let file = load("envelopes.json");
    let vectors = list(&file, "vectors");
    assert_eq!(file["count"].as_u64(), Some(vectors.len() as u64));
    let mut outcomes: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let mut names = BTreeSet::new();
    for v in vectors {
        let name = v["name"].as_str().expect("name");
        assert!(names.insert(name), "duplicate vector {name}");
        let cbor = bytes(&v["cbor"]);
        if let Err(why) = validate(SCHEMA, &cbor) {
            panic!("{name}: the schema refused it:\n{why}");
        }
        let envelope = Envelope::from_cbor(&cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(envelope.to_cbor(), cbor, "{name}: re-encoding differs");
        let message = envelope.message.name();
        assert_eq!(v["message"].as_str(), Some(message), "{name}");
        assert!(name.starts_with(&format!("{message}/")), "{name}");
        check_decoded(name, &cbor, &v["decoded"]);
        let body = &v["decoded"]["message"][message];
        let outcome = if !envelope.message.is_request() {
            let result = body["result"]
                .as_object()
                .expect("a reply has a result map");
            assert_eq!(result.len(), 1, "{name}");
            if result.contains_key("Ok") {
                "Ok"
            } else {
                "Err"
            }
        } else {
            "request"
        };
        outcomes
            .entry(message.to_owned())
            .or_default()
            .insert(outcome);
    }
    let covered: BTreeSet<&str> = outcomes.keys().map(String::as_str).collect();
    let all: BTreeSet<&str> = MESSAGE_NAMES.iter().copied().collect();
    assert_eq!(covered, all, "every message constructor has a vector");
    for (message, seen) in &outcomes {
        let want: BTreeSet<&str> = if message.starts_with("Reply") {
            ["Ok", "Err"].into()
        } else {
            ["request"].into()
        };
        assert_eq!(seen, &want, "{message}");
    }
}

#[test]
fn every_identity_matches_its_ids() {
    let file = load("evidence.json");
    let identities = list(&file, "identities");
    assert!(identities.len() >= 3);
    for i in identities {
        let name = i["name"].as_str().expect("name");
        let public = ExternalIdentity {
            verifying_key: array(&i["ed25519_public_key"]),
            encryption_key: array(&i["x25519_public_key"]),
        };
        assert_eq!(codec::encode(&public), bytes(&i["identity_cbor"]), "{name}");
        assert_eq!(public.id(), IdentityId(array(&i["identity_id"])), "{name}");
        assert_eq!(public.key_id(), KeyId(array(&i["key_id"])), "{name}");
        assert_eq!(
            Some(public.id().to_string().as_str()),
            i["identity_id_text"].as_str()
        );
        assert_eq!(
            Some(public.key_id().to_string().as_str()),
            i["key_id_text"].as_str()
        );
        assert_eq!(Some(public.to_string().as_str()), i["public_text"].as_str());
        // The private halves belong to the public ones: sign and open with them.
        let identity = engines::identity::InternalIdentity {
            external: public.clone(),
            signing_seed: Secret32::new(array(&i["ed25519_seed"])),
            encryption_secret: Secret32::new(array(&i["x25519_private_key"])),
        };
        let backend = HpkeBackend::new();
        let signature = backend.sign(&identity, b"probe");
        backend
            .verify(&public.verifying_key, b"probe", &signature)
            .unwrap_or_else(|e| panic!("{name}: seed and public key differ: {e}"));
    }
}

#[test]
fn every_evidence_and_revocation_vector_matches_the_schema_and_verifies() {
    let file = load("evidence.json");
    let backend = HpkeBackend::new();
    let evidence = list(&file, "evidence");
    let revocations = list(&file, "revocations");
    assert!(!evidence.is_empty() && !revocations.is_empty());
    let evidence_rule = schema_rooted_at("reads-for-evidence");
    let statement_rule = schema_rooted_at("reads-for-statement");
    for v in evidence {
        let name = v["name"].as_str().expect("name");
        let cbor = bytes(&v["cbor"]);
        validate(&evidence_rule, &cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ev: ReadsForEvidence = codec::decode(&cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_decoded(name, &cbor, &v["decoded"]);
        let statement = bytes(&v["signed_statement"]);
        assert_eq!(ev.signed_bytes(), statement, "{name}");
        validate(&statement_rule, &statement).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ev.serial, v["serial"].as_u64().expect("serial"), "{name}");
        assert_eq!(ev.signature.to_vec(), bytes(&v["signature"]), "{name}");
        let key: [u8; 32] = array(&v["ed25519_public_key"]);
        assert_eq!(ev.to_identity.verifying_key, key, "{name}");
        backend
            .verify(&key, &statement, &ev.signature)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut forged = statement.clone();
        *forged.last_mut().expect("non-empty") ^= 1;
        assert!(backend.verify(&key, &forged, &ev.signature).is_err());
    }
    let revocation_rule = schema_rooted_at("reads-for-revocation");
    let statement_rule = schema_rooted_at("reads-for-revocation-statement");
    for v in revocations {
        let name = v["name"].as_str().expect("name");
        let cbor = bytes(&v["cbor"]);
        validate(&revocation_rule, &cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rv: ReadsForRevocation = codec::decode(&cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_decoded(name, &cbor, &v["decoded"]);
        let statement = bytes(&v["signed_statement"]);
        assert_eq!(rv.signed_bytes(), statement, "{name}");
        validate(&statement_rule, &statement).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rv.from_identity.0.to_vec(), bytes(&v["reader_identity_id"]));
        let key: [u8; 32] = array(&v["ed25519_public_key"]);
        assert_eq!(rv.to_identity.verifying_key, key, "{name}");
        backend
            .verify(&key, &statement, &rv.signature)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Name evidence and revocations: each matches its schema rule and decodes, its
/// statement is what the codec rebuilds and matches the statement's rule, and
/// its signature verifies under the listed signer's key (and not over another
/// statement). The engine's own acceptance of the story is checked by the generator.
#[test]
fn every_name_statement_vector_matches_the_schema_and_verifies() {
    let file = load("evidence.json");
    let backend = HpkeBackend::new();
    let signers: BTreeMap<&str, [u8; 32]> = list(&file, "identities")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().expect("name"),
                array(&i["ed25519_public_key"]),
            )
        })
        .collect();
    let check = |kind: &str, rule: &str, statement_rule: &str| -> usize {
        let vectors = list(&file, kind);
        assert!(!vectors.is_empty(), "{kind}");
        let (rule, statement_rule) = (schema_rooted_at(rule), schema_rooted_at(statement_rule));
        for v in vectors {
            let name = v["name"].as_str().expect("name");
            let cbor = bytes(&v["cbor"]);
            validate(&rule, &cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
            check_decoded(name, &cbor, &v["decoded"]);
            let (signed, signature, identity_name, serial) = if kind == "name_evidence" {
                let ev: NameEvidence =
                    codec::decode(&cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
                (ev.signed_bytes(), ev.signature, ev.identity_name, ev.serial)
            } else {
                let rv: NameRevocation =
                    codec::decode(&cbor).unwrap_or_else(|e| panic!("{name}: {e}"));
                (rv.signed_bytes(), rv.signature, rv.identity_name, rv.serial)
            };
            let statement = bytes(&v["signed_statement"]);
            assert_eq!(signed, statement, "{name}");
            validate(&statement_rule, &statement).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                v["identity_name"].as_str(),
                Some(identity_name.as_str()),
                "{name}"
            );
            assert_eq!(v["serial"].as_u64(), Some(serial), "{name}");
            assert_eq!(signature.to_vec(), bytes(&v["signature"]), "{name}");
            let key: [u8; 32] = array(&v["ed25519_public_key"]);
            let signer = v["signer"].as_str().expect("signer");
            assert_eq!(
                signers.get(signer),
                Some(&key),
                "{name}: signed by {signer}"
            );
            backend
                .verify(&key, &statement, &signature)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut forged = statement.clone();
            *forged.last_mut().expect("non-empty") ^= 1;
            assert!(backend.verify(&key, &forged, &signature).is_err(), "{name}");
        }
        vectors.len()
    };
    let evidence = check("name_evidence", "name-evidence", "name-statement");
    let revocations = check(
        "name_revocations",
        "name-revocation",
        "name-revocation-statement",
    );
    assert!(
        evidence >= 3 && revocations >= 2,
        "{evidence} {revocations}"
    );
}

// ---------------------------------------------------------------------------
// (c) ciphertexts

#[test]
fn every_ciphertext_vector_opens_with_each_listed_key() {
    let file = load("ciphertexts.json");
    let vectors = list(&file, "vectors");
    assert_eq!(file["count"].as_u64(), Some(vectors.len() as u64));
    let backend = HpkeBackend::new();
    let mut opened = 0;
    for v in vectors {
        let name = v["name"].as_str().expect("name");
        let ciphertext = bytes(&v["ciphertext"]);
        let plaintext = bytes(&v["plaintext"]);
        assert_eq!(v["plaintext_len"].as_u64(), Some(plaintext.len() as u64));
        assert_eq!(v["ciphertext_len"].as_u64(), Some(ciphertext.len() as u64));
        assert_eq!(
            ciphertext[6],
            v["chunk_log2"].as_u64().expect("chunk_log2") as u8
        );
        let recipients = v["recipients"].as_array().expect("recipients");
        assert!(!recipients.is_empty());
        for r in recipients {
            let who = r["name"].as_str().expect("name");
            let ring = KeyRing::from([(
                KeyId(array(&r["key_id"])),
                KeyEntry {
                    identity: IdentityId(array(&r["identity_id"])),
                    secret: Secret32::new(array(&r["x25519_private_key"])),
                },
            )]);
            let got = backend
                .open(&ring, &ciphertext)
                .unwrap_or_else(|e| panic!("{name} for {who}: {e}"));
            assert_eq!(got.0, plaintext, "{name} for {who}");
            opened += 1;
            // The vector is not vacuous: one flipped bit in the last chunk is refused.
            let mut altered = ciphertext.clone();
            *altered.last_mut().expect("non-empty") ^= 1;
            assert!(backend.open(&ring, &altered).is_err(), "{name}: altered");
        }
    }
    assert!(opened >= vectors.len());
}

/// The refused ciphertexts (`refused` in ciphertexts.json): each gives exactly
/// its `error` (as the wire writes it, with its code) for every listed
/// recipient, and the set holds a cut exactly at a chunk boundary (`Truncated`)
/// and trailing bytes (`AuthenticationFailed`), checked against the valid
/// vector each is made from.
#[test]
fn every_refused_ciphertext_vector_gives_its_error() {
    let file = load("ciphertexts.json");
    let refused = list(&file, "refused");
    assert_eq!(file["refused_count"].as_u64(), Some(refused.len() as u64));
    let valid: BTreeMap<&str, &Json> = list(&file, "vectors")
        .iter()
        .map(|v| (v["name"].as_str().expect("name"), v))
        .collect();
    let backend = HpkeBackend::new();
    let mut shapes = BTreeSet::new();
    for v in refused {
        let name = v["name"].as_str().expect("name");
        let ciphertext = bytes(&v["ciphertext"]);
        assert_eq!(v["ciphertext_len"].as_u64(), Some(ciphertext.len() as u64));
        let recipients = v["recipients"].as_array().expect("recipients");
        assert!(!recipients.is_empty(), "{name}");
        let mut errors = BTreeSet::new();
        for r in recipients {
            let ring = KeyRing::from([(
                KeyId(array(&r["key_id"])),
                KeyEntry {
                    identity: IdentityId(array(&r["identity_id"])),
                    secret: Secret32::new(array(&r["x25519_private_key"])),
                },
            )]);
            let err = backend
                .open(&ring, &ciphertext)
                .expect_err(&format!("{name} opened"));
            let wire = codec::decode_value(&codec::encode(&err)).expect("canonical");
            assert_eq!(render(&wire), v["error"], "{name}: error");
            assert_eq!(
                v["error_code"].as_u64(),
                Some(u64::from(spec::Coded::code(&err))),
                "{name}"
            );
            errors.insert(format!("{err:?}"));
        }
        assert_eq!(errors.len(), 1, "{name}: one error for every recipient");
        let from = valid[v["from"].as_str().expect("from")];
        let original = bytes(&from["ciphertext"]);
        let header = from["header_len"].as_u64().expect("header_len") as usize;
        let sealed_chunk = from["chunk_size"].as_u64().expect("chunk_size") as usize + 16;
        let error = v["error"].as_str();
        if ciphertext.len() < original.len()
            && original.starts_with(&ciphertext)
            && (ciphertext.len() - header).is_multiple_of(sealed_chunk)
        {
            assert_eq!(
                error,
                Some("Truncated"),
                "{name}: a cut at a chunk boundary"
            );
            shapes.insert("cut at a chunk boundary");
        }
        if ciphertext.len() > original.len() && ciphertext.starts_with(&original) {
            assert_eq!(
                error,
                Some("AuthenticationFailed"),
                "{name}: trailing bytes"
            );
            shapes.insert("trailing bytes");
        }
    }
    assert_eq!(
        shapes,
        BTreeSet::from(["cut at a chunk boundary", "trailing bytes"])
    );
}

/// Two runs of `sealwright vectors` write byte-identical files.
#[test]
fn generating_twice_gives_identical_bytes() {
    let run = |n: usize| {
        let out = std::env::temp_dir().join(format!(
            "sealwright-vectors-twice-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&out);
        let status = Command::new(env!("CARGO_BIN_EXE_sealwright"))
            .arg("vectors")
            .arg("--out")
            .arg(&out)
            .output()
            .expect("runs sealwright")
            .status;
        assert!(status.success());
        let files: Vec<Vec<u8>> = FILES
            .iter()
            .map(|f| std::fs::read(out.join(f)).expect("generated"))
            .collect();
        let _ = std::fs::remove_dir_all(&out);
        files
    };
    assert!(run(1) == run(2), "two runs differ");
}
