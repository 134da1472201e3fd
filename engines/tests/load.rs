//! Sustained load with engines killed and restarted mid-run: every request gets exactly one
//! reply, none is lost or duplicated, and memory stays flat.
//!
//! Bounded by a request count and a time limit; in-process (no sockets). The figures are
//! printed (`cargo test -p sealwright-engines --test load -- --nocapture`); `sealwright
//! load` runs the same driver with larger bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use sealwright_engines::runtime::load::{self, LoadConfig};

#[test]
fn every_request_gets_exactly_one_reply_while_engines_are_killed() {
    let config = LoadConfig {
        clients: 4,
        requests: 20_000,
        window: 8,
        kill_every: 100,
        time_limit: Duration::from_secs(120),
        encryption_instances: 2,
        queue_capacity: 32,
        reply_timeout: Duration::from_secs(30),
        payload: 256,
        trace: None,
    };
    let report = load::run(&config).unwrap();
    println!("{report:#?}");

    // Nothing lost, nothing wrong, nothing answered twice.
    assert_eq!(report.lost, 0, "requests without a reply");
    assert_eq!(report.wrong_total, 0, "wrong replies: {:?}", report.wrong);
    assert!(report.refused.is_empty(), "refused: {:?}", report.refused);
    assert_eq!(report.replies, report.sent);
    assert_eq!(report.shutdown.admitted, report.sent);
    assert_eq!(report.shutdown.replied, report.sent);
    assert_eq!(report.shutdown.abandoned, 0);
    assert_eq!(
        report.shutdown.rejections, 0,
        "a reply nobody waited for (a duplicate) was produced"
    );

    // The interesting case is reached: engines died, were replaced, and flows met the crashes.
    assert_eq!(report.sent, config.requests, "the whole load ran");
    assert!(report.kills >= 150, "kills: {}", report.kills);
    assert_eq!(
        report.shutdown.restarts,
        report.kills - report.kills_pending
    );
    assert!(report.shutdown.restarts >= 100, "{:?}", report.shutdown);
    assert!(report.engine_failures() > 0);
    // Both ways a lost message is answered: a lost request by its engine's refusal, a lost
    // reply (an engine died holding the answer it waited for) by failing the client request.
    assert!(report.shutdown.lost_requests > 0, "{:?}", report.shutdown);
    assert!(report.shutdown.lost_replies > 0, "{:?}", report.shutdown);
    assert_eq!(
        report.shutdown.lost_requests + report.shutdown.lost_replies,
        report.shutdown.restarts + report.shutdown.panics
    );
    assert!(
        report.results > report.sent / 2,
        "most requests still succeed"
    );
    assert!(
        report.errors.keys().any(|k| k.starts_with("302 ")),
        "the expected refusal (no key opens a stranger's ciphertext) is in the mix: {:?}",
        report.errors
    );

    // Memory stays flat: from the second sample on, resident memory grows by less than 8 MiB
    // (a leak of 1 KiB per request would be 20 MiB here).
    if cfg!(target_os = "linux") {
        assert!(
            report.rss_kib.len() >= 5,
            "memory was sampled: {:?}",
            report.rss_kib
        );
    }
    if let Some(growth) = report.rss_growth_kib() {
        assert!(
            growth < 8 * 1024,
            "resident memory grew by {growth} KiB: {:?}",
            report.rss_kib
        );
    }
}
