//! Conformance cases as an oracle: every case of a suite must pass against these engines as
//! built.
//!
//! With `SEALWRIGHT_CONFORMANCE_SUITE` set, the suite is that directory:
//! `scripts/mutants.sh` with `MUTANTS_ORACLE=conformance` generates one with the
//! unmutated engines and runs this test (and nothing else) against each mutant.
//! Without it, the test records a small suite itself (an Encryption engine
//! sealing with seeded randomness), writes it, reads it back and replays it, and
//! checks that a changed random byte fails the replay.

use std::path::PathBuf;

use sealwright_engines::Engine;
use sealwright_engines::backend::Backend;
use sealwright_engines::backend::seeded::SeededBackend;
use sealwright_engines::conformance::{Case, files, replay};
use sealwright_engines::encryption::Encryption;
use spec::message::{Plaintext, RequestEncrypt};
use spec::{Address, CorrelationId, Envelope};

fn recorded_suite(root: &std::path::Path) -> Vec<Case> {
    let address = |n: &str| Address::new(n).unwrap_or_else(|_| panic!("{n}"));
    let engine = Encryption::new(address("encryption"), address("reads-for"));
    let mut backend = SeededBackend::new(1);
    let mut state = Encryption::initial_state(&mut backend);
    let mut cases = Vec::new();
    for (i, data) in [&b"one"[..], b"two", b""].into_iter().enumerate() {
        let target = backend.generate_identity().external;
        let input = Envelope {
            sender: address("client/alice"),
            target: address("encryption"),
            correlation: CorrelationId(i as u64 + 1),
            message: RequestEncrypt {
                data: Plaintext(data.to_vec()),
                external_identity: target,
                use_reads_for: false,
            }
            .into(),
        };
        let pre = state.clone();
        let from = backend.position();
        let effects = engine.step(&mut state, &mut backend, &input);
        let random = backend.drawn(from, backend.position());
        let case = Case::recorded(&engine, &pre, &input, random, &effects, &state);
        files::write(root, &case, &["recorded here"]).unwrap_or_else(|e| panic!("{e}"));
        cases.push(case);
    }
    cases
}

#[test]
fn every_case_of_the_suite_passes() {
    let (root, made) = match std::env::var_os("SEALWRIGHT_CONFORMANCE_SUITE") {
        Some(dir) => (PathBuf::from(dir), Vec::new()),
        None => {
            let dir = std::env::temp_dir().join(format!(
                "sealwright-conformance-suite-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            let made = recorded_suite(&dir);
            (dir, made)
        }
    };
    let paths = files::find(&root).unwrap_or_else(|e| panic!("{e}"));
    assert!(!paths.is_empty(), "no case under {}", root.display());
    let failed: Vec<String> = paths
        .iter()
        .filter_map(|path| {
            let outcome = files::read(path).map_err(|e| e.to_string());
            match outcome.and_then(|case| replay(&case).map_err(|d| d.to_string())) {
                Ok(()) => None,
                Err(why) => Some(format!("{}: {why}", path.display())),
            }
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed, the first: {}",
        failed.len(),
        paths.len(),
        failed.first().map_or("", String::as_str)
    );
    if !made.is_empty() {
        // What was read back is what was written, and the oracle can fail.
        assert_eq!(paths.len(), made.len());
        let mut altered = made[0].clone();
        assert!(
            !altered.steps[0].random.is_empty(),
            "a seal draws randomness"
        );
        altered.steps[0].random[0] ^= 1;
        assert!(
            replay(&altered).is_err(),
            "a changed random byte changes the ciphertext"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
