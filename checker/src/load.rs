//! `load`: drives a node with mixed requests while killing engine threads, and reports.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use engines::runtime::load::{self, LoadConfig, LoadReport};
use engines::runtime::trace::Trace;

/// The bounds `sealwright load` runs with.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Requests to send in all.
    #[arg(long, default_value_t = 100_000)]
    requests: u64,
    /// Client threads, each with its own identity (at least 2).
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Requests each client keeps in flight.
    #[arg(long, default_value_t = 8)]
    window: usize,
    /// Kill one engine thread after every this many replies (0: never).
    #[arg(long, default_value_t = 100)]
    kill_every: u64,
    /// Stop sending new requests after this many seconds.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// Encryption instances in the pool.
    #[arg(long, default_value_t = 2)]
    instances: usize,
    /// Plaintext bytes per encryption request.
    #[arg(long, default_value_t = 256)]
    payload: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Record every engine step to FILE (a CBOR sequence `sealwright validate` checks).
    ///
    /// The trace holds the vault's keys and the randomness behind every key: for test runs.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
}

/// Runs the load and prints the report; fails if any request was lost or answered wrongly.
pub fn run(args: &LoadArgs) -> Result<()> {
    let config = LoadConfig {
        clients: args.clients,
        requests: args.requests,
        window: args.window,
        kill_every: args.kill_every,
        time_limit: Duration::from_secs(args.seconds),
        encryption_instances: args.instances,
        queue_capacity: (args.clients * args.window).max(1),
        reply_timeout: Duration::from_secs(30),
        payload: args.payload,
        trace: match &args.trace {
            Some(path) => Some(
                Trace::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            ),
            None => None,
        },
    };
    let report = load::run(&config)?;
    if let (Some(trace), Some(path)) = (&config.trace, &args.trace) {
        trace
            .finish()
            .with_context(|| format!("cannot write the trace {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json(&report))?);
    } else {
        print!("{}", text(&report));
    }
    let s = &report.shutdown;
    if report.lost > 0 || report.wrong_total > 0 || s.rejections > 0 || s.abandoned > 0 {
        bail!(
            "{} lost, {} wrong, {} unexpected replies, {} abandoned",
            report.lost,
            report.wrong_total,
            s.rejections,
            s.abandoned
        );
    }
    Ok(())
}

fn text(r: &LoadReport) -> String {
    let s = &r.shutdown;
    let secs = r.elapsed.as_secs_f64();
    let mut out = format!(
        "sent {}  replies {}  lost {}  wrong {}  in {:.2} s ({:.0} req/s)\n\
         results {}  errors {}\n",
        r.sent,
        r.replies,
        r.lost,
        r.wrong_total,
        secs,
        r.replies as f64 / secs.max(1e-9),
        r.results,
        r.errors.values().sum::<u64>(),
    );
    for (kind, n) in &r.errors {
        out += &format!("  {n:>8}  {kind}\n");
    }
    out += &format!(
        "kills {} (pending {})  restarts {}  panics {}\n\
         lost messages answered: {} requests (refused by their engine), {} replies (origin failed)\n\
         node: admitted {}  replied {}  abandoned {}  unexpected replies {}\n",
        r.kills,
        r.kills_pending,
        s.restarts,
        s.panics,
        s.lost_requests,
        s.lost_replies,
        s.admitted,
        s.replied,
        s.abandoned,
        s.rejections,
    );
    if let (Some(first), Some(last)) = (r.rss_kib.first(), r.rss_kib.last()) {
        out += &format!(
            "resident memory: {first} KiB after the first tenth, {last} KiB at the end \
             (growth after warm-up {} KiB)\n",
            r.rss_growth_kib().unwrap_or(0)
        );
    }
    for w in &r.wrong {
        out += &format!("wrong: {w}\n");
    }
    out
}

fn json(r: &LoadReport) -> serde_json::Value {
    let s = &r.shutdown;
    serde_json::json!({
        "sent": r.sent,
        "replies": r.replies,
        "results": r.results,
        "errors": r.errors,
        "lost": r.lost,
        "wrong": r.wrong_total,
        "wrongExamples": r.wrong,
        "refused": r.refused,
        "kills": r.kills,
        "killsPending": r.kills_pending,
        "rssKib": r.rss_kib,
        "elapsedSeconds": r.elapsed.as_secs_f64(),
        "node": {
            "admitted": s.admitted,
            "replied": s.replied,
            "abandoned": s.abandoned,
            "panics": s.panics,
            "rejections": s.rejections,
            "restarts": s.restarts,
            "lostRequests": s.lost_requests,
            "lostReplies": s.lost_replies,
        },
    })
}
