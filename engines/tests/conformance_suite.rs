//! The conformance suite as a test oracle: every case of the suite in
//! `SEALWRIGHT_CONFORMANCE_SUITE` must pass against these engines as built.
//!
//! `scripts/mutants.sh` with `MUTANTS_ORACLE=conformance` generates a suite with
//! the unmutated engines, then runs this test (and nothing else) against each
//! mutant: the score says how many deliberate bugs the suite alone catches.
//! It is ignored by default because it needs that suite; asked for without
//! one, it fails.

use std::path::PathBuf;

use sealwright_engines::conformance::{files, replay};

#[test]
#[ignore = "the oracle of scripts/mutants.sh with MUTANTS_ORACLE=conformance; needs SEALWRIGHT_CONFORMANCE_SUITE"]
fn every_case_of_the_suite_passes() {
    let Some(root) = std::env::var_os("SEALWRIGHT_CONFORMANCE_SUITE").map(PathBuf::from) else {
        panic!("set SEALWRIGHT_CONFORMANCE_SUITE to a suite (sealwright conformance generate)");
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
}
