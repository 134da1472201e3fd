//! Helpers shared by the benchmark binaries: a modest criterion configuration,
//! fixtures, and ratios computed from criterion's own estimates.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;
use sealwright_engines::Backend;
use sealwright_engines::backend::KeyEntry;
use sealwright_engines::backend::KeyRing;
use sealwright_engines::identity::InternalIdentity;
use spec::ReadsForEvidence;

/// Plaintext size of the per-request benchmarks.
pub const KIB: usize = 1024;

/// A criterion configuration sized for a shared two-core machine.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .noise_threshold(0.03)
}

/// The key ring holding `identity`'s current key.
pub fn keyring(identity: &InternalIdentity) -> KeyRing {
    KeyRing::from([(
        identity.key_id(),
        KeyEntry {
            identity: identity.id(),
            secret: identity.encryption_secret.clone(),
        },
    )])
}

/// Signed evidence that `reader` reads for `subject` (serial 1).
pub fn evidence<B: Backend>(
    backend: &B,
    reader: &InternalIdentity,
    subject: &InternalIdentity,
) -> ReadsForEvidence {
    let statement = ReadsForEvidence::statement_bytes(&reader.external, &subject.external, 1);
    ReadsForEvidence {
        from_identity: reader.external.clone(),
        to_identity: subject.external.clone(),
        serial: 1,
        signature: backend.sign(subject, &statement),
        relation: Default::default(),
    }
}

/// Where criterion writes its reports, resolved the way criterion resolves it.
fn criterion_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    let cargo = std::env::var_os("CARGO")?;
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .ok()?;
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    Some(PathBuf::from(meta["target_directory"].as_str()?).join("criterion"))
}

/// When a group started: estimates older than this are from an earlier run.
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// When this benchmark binary started (the first call fixes it).
pub fn run_start() -> SystemTime {
    static START: OnceLock<SystemTime> = OnceLock::new();
    *START.get_or_init(SystemTime::now)
}

/// Criterion's median estimate for `group/bench`, in nanoseconds per
/// iteration, if it was measured in this run (after `since`).
///
/// The median, not the mean: on a shared machine a few preempted samples
/// drag the mean up without saying anything about the code.
pub fn median_ns(group: &str, bench: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_home()?
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// Formats nanoseconds as microseconds.
pub fn us(ns: f64) -> String {
    format!("{:.2} µs", ns / 1000.0)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Per-call times of one side of an interleaved measurement, in ns.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Per-call time in each round, in round order.
    pub rounds: Vec<f64>,
}

impl Timing {
    /// The fastest round: load from other processes only ever adds time.
    pub fn best(&self) -> f64 {
        self.rounds.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The median round.
    pub fn median(&self) -> f64 {
        median(self.rounds.clone())
    }
}

/// The median over rounds of `a`'s time over `b`'s in the same round.
///
/// Both sides of a round ran back to back under the same load, so each
/// round's ratio is a fair comparison even when the load changes between
/// rounds; the median discards rounds where a burst hit only one side.
pub fn paired_ratio(a: &Timing, b: &Timing) -> f64 {
    median(a.rounds.iter().zip(&b.rounds).map(|(x, y)| x / y).collect())
}

/// Times each of `fs` in rounds of about 40 ms each, rotating which goes
/// first every round, and returns each one's per-call time per round.
pub fn interleaved_many(rounds: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<Timing> {
    const ROUND: Duration = Duration::from_millis(40);
    let counts: Vec<u32> = fs
        .iter_mut()
        .map(|f| {
            let begin = Instant::now();
            f();
            let once = begin.elapsed().max(Duration::from_nanos(50));
            (ROUND.as_nanos() / once.as_nanos()).clamp(1, 1_000_000) as u32
        })
        .collect();
    let mut times = vec![Vec::with_capacity(rounds); fs.len()];
    for round in 0..rounds {
        for k in 0..fs.len() {
            let i = (round + k) % fs.len();
            let begin = Instant::now();
            for _ in 0..counts[i] {
                fs[i]();
            }
            times[i].push(begin.elapsed().as_nanos() as f64 / f64::from(counts[i]));
        }
    }
    times.into_iter().map(|rounds| Timing { rounds }).collect()
}

/// [`interleaved_many`] for two.
pub fn interleaved(rounds: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (Timing, Timing) {
    let mut t = interleaved_many(rounds, &mut [&mut a, &mut b]).into_iter();
    match (t.next(), t.next()) {
        (Some(a), Some(b)) => (a, b),
        _ => unreachable!("two timings for two closures"),
    }
}

/// Prints `RATIO name: x.xx (target …)`: the paired ratio `a / b` (see
/// [`paired_ratio`]), with the best and median rounds and criterion's
/// medians (if measured in this run) beside it.
pub fn print_ratio(
    name: &str,
    (a, b): &(Timing, Timing),
    criterion: (Option<f64>, Option<f64>),
    target: &str,
) {
    let from_criterion = match criterion {
        (Some(n), Some(d)) if d > 0.0 => format!("{:.2} ({} / {})", n / d, us(n), us(d)),
        _ => "n/a".to_string(),
    };
    println!(
        "RATIO {name}: {:.2} (target {target}) [paired rounds; best rounds {:.2} ({} / {}); median rounds {} / {}; criterion medians {from_criterion}]",
        paired_ratio(a, b),
        a.best() / b.best(),
        us(a.best()),
        us(b.best()),
        us(a.median()),
        us(b.median()),
    );
}

/// CPU time so far, in clock ticks: this process's and the whole machine's busy time.
#[derive(Debug, Clone, Copy)]
pub struct CpuSnapshot {
    process: u64,
    busy: u64,
    steal: u64,
    at: Instant,
}

/// Reads /proc (Linux); `None` elsewhere.
pub fn cpu_snapshot() -> Option<CpuSnapshot> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let process = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let machine = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> = machine
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = cpu.iter().take(8).sum();
    let idle = cpu.get(3)? + cpu.get(4)?;
    Some(CpuSnapshot {
        process,
        busy: total - idle,
        steal: *cpu.get(7)?,
        at: Instant::now(),
    })
}

/// Cores used between two snapshots: this process, other processes, and
/// the hypervisor's steal (time this VM's vCPUs were runnable but not run).
pub fn cores_used(before: CpuSnapshot, after: CpuSnapshot) -> (f64, f64, f64) {
    const TICKS_PER_SECOND: f64 = 100.0;
    let wall = after.at.duration_since(before.at).as_secs_f64().max(1e-9);
    let per_second = |ticks: u64| ticks as f64 / TICKS_PER_SECOND / wall;
    let ours = per_second(after.process - before.process);
    let steal = per_second(after.steal - before.steal);
    let busy = per_second(after.busy - before.busy);
    (ours, (busy - ours - steal).max(0.0), steal)
}

/// Prints how busy the machine was while `f` ran, and returns `f`'s result.
pub fn with_load_report<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let before = cpu_snapshot();
    let out = f();
    if let (Some(before), Some(after)) = (before, cpu_snapshot()) {
        let (ours, others, steal) = cores_used(before, after);
        println!(
            "LOAD {label}: this benchmark used {ours:.2} cores, other processes {others:.2}, hypervisor steal {steal:.2} (of {} cores)",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
    out
}

/// CPU ticks so far of each live thread of this process, by thread name.
pub fn thread_ticks() -> Vec<(String, u64)> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| {
            let dir = task.ok()?.path();
            let name = std::fs::read_to_string(dir.join("comm")).ok()?;
            let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
            Some((
                format!("{}#{}", name.trim(), dir.file_name()?.to_str()?),
                ticks,
            ))
        })
        .collect()
}

/// Prints the cores each named thread used while `f` ran (threads alive
/// before and after; unnamed threads are summed as "other").
pub fn with_thread_report<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let before = thread_ticks();
    let begin = Instant::now();
    let out = f();
    let wall = begin.elapsed().as_secs_f64().max(1e-9);
    let after = thread_ticks();
    let mut by_name: Vec<(String, f64)> = Vec::new();
    for (key, ticks) in &after {
        let Some((_, old)) = before.iter().find(|(k, _)| k == key) else {
            continue;
        };
        let name = key.split('#').next().unwrap_or_default();
        let cores = (ticks - old) as f64 / 100.0 / wall;
        match by_name.iter_mut().find(|(n, _)| n == name) {
            Some((_, c)) => *c += cores,
            None => by_name.push((name.to_string(), cores)),
        }
    }
    by_name.retain(|(_, c)| *c >= 0.01);
    by_name.sort_by(|a, b| a.0.cmp(&b.0));
    let parts: Vec<String> = by_name.iter().map(|(n, c)| format!("{n} {c:.2}")).collect();
    println!(
        "THREADS {label}: cores per long-lived thread: {}",
        parts.join(", ")
    );
    out
}
