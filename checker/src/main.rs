//! `sealwright`: model-check the engine family, and use the engines for real.

mod check;
mod cli_reference;
mod conformance;
mod crypt;
mod decode;
mod evidence;
mod exit;
mod files;
mod itf;
mod keys;
mod load;
mod merge;
mod names;
mod node;
mod progress;
mod remote;
mod report;
mod sign;
mod signs_for;
mod tables;
mod vectors;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand};

// The model checker allocates for every state it explores: mimalloc is markedly faster at it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sealwright: an executable, model-checked specification of an identity engine family.
#[derive(Debug, Parser)]
#[command(name = "sealwright", version, about, long_about = None, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the vault is and how to unlock it.
#[derive(Debug, Args)]
struct VaultArgs {
    /// The vault file.
    #[arg(long, default_value = "sealwright.vault", env = "SEALWRIGHT_VAULT")]
    vault: PathBuf,
    /// Read the passphrase from this file (first line) instead of prompting.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Model-check every scenario of the engine family, then the docs' diagrams and tables.
    Check(CheckArgs),
    /// Run one node: its engines, served to its peers over authenticated links, until killed.
    ///
    /// Prints `ready NAME ADDRESS` on stdout once it listens; logs go to stderr.
    #[command(arg_required_else_help = true)]
    Node {
        /// The node's configuration file (TOML; the Runtime page describes it).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Keep durable state in DIR (overrides the file's `data`).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Send requests to a running node's engines over a link, as the configuration's identity.
    #[command(arg_required_else_help = true)]
    Remote {
        /// The client's configuration file (TOML: name, vault, passphrase-file, peers).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[command(subcommand)]
        command: RemoteCommand,
    },
    /// List every scenario: its network, summary, parameters and their defaults.
    Scenarios,
    /// Walk one scenario at random, at any bounds, checking the same properties.
    ///
    /// Prints walks and states per second and every counterexample as a mermaid diagram;
    /// the same seed on one thread walks the same way.
    Simulate {
        /// The scenario.
        #[arg(long, value_name = "NAME")]
        scenario: String,
        /// Set a bound, `NAME=VALUE` (see `sealwright scenarios`). Repeatable.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// How long to walk.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// The first walk's seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Worker threads (default: 1, so a seed reproduces the walks).
        #[arg(long, value_name = "N", default_value_t = 1)]
        threads: usize,
        /// Write every violation found as an ITF trace (Apalache ADR-015) into DIR.
        #[arg(long, value_name = "DIR")]
        itf: Option<PathBuf>,
    },
    /// Work with the JSON reports that `check --json` writes.
    #[command(arg_required_else_help = true)]
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// List every sequence diagram of the docs and how it is checked.
    Diagrams {
        /// Where the documented sequence diagrams are.
        #[arg(long, value_name = "DIR", default_value = "docs")]
        docs: PathBuf,
    },
    /// Open stateright's Explorer on one scenario (blocks; never in CI).
    #[command(arg_required_else_help = true)]
    Explore {
        /// The scenario.
        scenario: String,
        /// Set a bound, `NAME=VALUE`. Repeatable.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: String,
    },
    /// Create a new identity in a new vault file sealed under a passphrase.
    Keygen {
        #[command(flatten)]
        vault: VaultArgs,
        /// Argon2id memory in KiB (default 65536).
        #[arg(long, default_value_t = engines::vault_file::KdfParams::DEFAULT.memory_kib, hide = true)]
        kdf_memory_kib: u32,
    },
    /// Show the identities in a vault (no passphrase needed).
    #[command(arg_required_else_help = true)]
    Identity {
        #[command(subcommand)]
        command: IdentityCommand,
    },
    /// Sign and revoke reads-for and signs-for evidence; list reads-for evidence.
    #[command(arg_required_else_help = true)]
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// Encrypt a file (or stdin) to one or more identities.
    ///
    /// On a terminal, a progress bar on stderr follows the input.
    #[command(arg_required_else_help = true)]
    Encrypt {
        /// Recipient: a public identity (`swpub1…`) or a file holding one. Repeatable.
        #[arg(long = "to", required = true, value_name = "IDENTITY")]
        to: Vec<String>,
        /// Also seal to every identity that reads for a recipient, per the evidence given.
        #[arg(long)]
        reads_for: bool,
        /// Reads-for evidence file (from `evidence grant`). Repeatable; needs --reads-for.
        #[arg(long, value_name = "FILE", requires = "reads_for")]
        evidence: Vec<PathBuf>,
        /// Write the ciphertext here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The plaintext file; stdin if absent or `-`.
        input: Option<PathBuf>,
    },
    /// Decrypt a file (or stdin) with the vault's keys.
    ///
    /// On a terminal, a progress bar on stderr follows the input.
    Decrypt {
        #[command(flatten)]
        vault: VaultArgs,
        /// Write the plaintext here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The ciphertext file; stdin if absent or `-`.
        input: Option<PathBuf>,
    },
    /// Sign and revoke name statements; resolve a name through the Naming engine.
    Name {
        #[command(subcommand)]
        command: NameCommand,
    },
    /// Sign a file (or stdin) as the vault's identity: the vault engine commits to its bytes.
    ///
    /// The signature is the commitment's canonical CBOR (124 bytes: the verifying key and an
    /// Ed25519 signature). It covers the data itself, not a hash of it, so the data must fit one
    /// request: at most 1 MiB (1048576 bytes), what a Verification engine takes by default.
    Sign {
        #[command(flatten)]
        vault: VaultArgs,
        /// Write the signature here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The file to sign (at most 1 MiB); stdin if absent or `-`.
        input: Option<PathBuf>,
    },
    /// Check a signature from `sign` with the Verification engine: exits 0 only if it verifies.
    ///
    /// Otherwise it exits 1 and says why: the file (or signature) changed after signing, the
    /// signature was made with another key, or its signer does not sign for IDENTITY under the
    /// evidence given (none names it, no chain leads to IDENTITY, or it was revoked). A signature
    /// or evidence file that is not one exits 3.
    #[command(arg_required_else_help = true)]
    Verify {
        /// Whose signature it should be: a public identity (`swpub1…`) or a file holding one.
        #[arg(long, value_name = "IDENTITY")]
        by: String,
        /// The signature file (from `sign`).
        #[arg(long, value_name = "FILE")]
        signature: PathBuf,
        /// Also accept a signature by any identity that signs for IDENTITY, per the evidence given.
        #[arg(long)]
        signs_for: bool,
        /// Signs-for evidence or revocation file (from `evidence grant --signer` or `evidence
        /// revoke --signer`), in any order. Repeatable; needs --signs-for.
        #[arg(long, value_name = "FILE", requires = "signs_for")]
        evidence: Vec<PathBuf>,
        /// The signed file (at most 1 MiB); stdin if absent or `-`.
        input: Option<PathBuf>,
    },
    /// Show what a file is: an envelope, evidence, a revocation, a ciphertext header or a vault header.
    ///
    /// Reads at most 16 MiB into memory (the rest of a longer ciphertext is only counted).
    /// Prints no secrets: a vault is shown from its public header, without the passphrase.
    #[command(arg_required_else_help = true)]
    Decode {
        /// The file to decode; `-` for stdin.
        input: PathBuf,
    },
    /// Write deterministic test vectors for independent implementations.
    ///
    /// Envelopes of every message, reads-for evidence and revocations, and
    /// ciphertexts with their recipients' keys, as JSON; byte-identical on every run.
    Vectors {
        /// The directory to write into.
        #[arg(long, value_name = "DIR", default_value = "spec/vectors")]
        out: PathBuf,
    },
    /// Write the conformance suite, or run one against the reference engines.
    Conformance {
        #[command(subcommand)]
        command: ConformanceCommand,
    },
    /// Check a recorded trace against the reference engines (`load --trace FILE` writes one).
    ///
    /// Replays every engine instance's steps from its recorded start, with the randomness
    /// each step drew, and compares what it sent and rejected. Exits 0 only if every step
    /// is one the reference takes; otherwise prints the first that is not, what differed,
    /// and the instance's steps up to it as a mermaid diagram. A trace cut short, altered,
    /// or with records removed or moved is refused.
    #[command(arg_required_else_help = true)]
    Validate {
        /// The trace (a CBOR sequence of records; the format is on the conformance page).
        file: PathBuf,
    },
    /// Drive a node with mixed requests while killing engine threads, and report.
    ///
    /// Every request must get exactly one reply — its result, the expected refusal, or
    /// `EngineFailed` where a crash took its flow. Fails if any is lost or wrong.
    Load(load::LoadArgs),
    /// Write the command-line reference page (markdown), generated from these definitions.
    #[command(hide = true)]
    Reference {
        /// Write it here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print a shell completion script to stdout.
    ///
    /// For example: `sealwright completions bash > ~/.local/share/bash-completion/completions/sealwright`.
    #[command(arg_required_else_help = true)]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Options of `check`.
#[derive(Debug, Args)]
struct CheckArgs {
    /// Run only this scenario (repeatable); the docs' diagrams are then checked against its flows.
    #[arg(long, value_name = "NAME")]
    scenario: Vec<String>,
    /// Set a bound, `NAME=VALUE` (see `sealwright scenarios`). Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Run the deep bounds instead (see `sealwright scenarios`); the docs are not checked.
    #[arg(long, conflicts_with_all = ["scenario", "set", "shard"])]
    deep: bool,
    /// Run only part K of N of the catalog (the diagram check is one part), for a CI matrix.
    #[arg(long, value_name = "K/N")]
    shard: Option<check::Shard>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Write a JSON report here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Generated states after which a run counts as cut short (and fails).
    #[arg(long, value_name = "N", default_value_t = 50_000_000)]
    max_states: usize,
    /// Seconds after which a run counts as cut short (and fails).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    time_limit: u64,
    /// Where the docs are: their sequence diagrams and their message and error tables are checked.
    #[arg(long, value_name = "DIR", default_value = "docs")]
    docs: PathBuf,
    /// Do not check the docs' diagrams and tables.
    #[arg(long)]
    no_docs: bool,
    /// Write the verification page (markdown) here.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Write every counterexample, and the flow that realizes each alternative of each checked
    /// diagram, as an ITF trace (Apalache ADR-015) into DIR.
    #[arg(long, value_name = "DIR")]
    itf: Option<PathBuf>,
}

/// The subcommands of `conformance`.
#[derive(Debug, Subcommand)]
enum ConformanceCommand {
    /// Write the suite: every engine transition the model explores, replayed with real crypto.
    ///
    /// Each case is a directory `ENGINE/HANDLER/ID` of canonical CBOR files and a
    /// `meta.json`; `suite.json` holds the counts and the coverage, which is also printed.
    /// Fails if a guard row, error variant or rejection reason is reached by no case
    /// (and not listed with a reason). Generating twice writes identical bytes.
    #[command(arg_required_else_help = true)]
    Generate {
        /// The directory to write (new, empty, or a suite written before, which is replaced).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Fail if a scenario has more states than this.
        #[arg(long, value_name = "N", default_value_t = 1_000_000)]
        max_states: usize,
    },
    /// Run every case under DIR against the reference engines.
    ///
    /// Exits 0 only if every case passes; each failure prints what differed, the case's
    /// path and the case as a mermaid diagram.
    #[command(arg_required_else_help = true)]
    Run {
        /// The suite (or any directory under it).
        dir: PathBuf,
        /// Only this engine's cases.
        #[arg(long, value_name = "NAME")]
        engine: Option<String>,
    },
}

/// The subcommands of `report`.
#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Merge the JSON reports of several `check` runs (say, shards) into one report.
    ///
    /// Prints a line per scenario and a total; exits non-zero if any scenario or the
    /// diagrams fail, if two reports hold the same scenario, if more than one holds the
    /// diagrams, or if the shards do not belong together.
    #[command(arg_required_else_help = true)]
    Merge {
        /// The JSON reports (from `check --json`), merged in this order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Write the merged JSON report here.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Write a JUnit XML report here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Write the verification page (markdown) here.
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum IdentityCommand {
    /// Print each identity's id, key id and public text form.
    Show {
        /// The vault file.
        #[arg(long, default_value = "sealwright.vault", env = "SEALWRIGHT_VAULT")]
        vault: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum NameCommand {
    /// Sign "NAME names IDENTITY" (the vault's own identity by default) and write it to a file.
    ///
    /// The vault's identity must be NAME's authority for the Naming engine to accept it: the
    /// claimant of a free top-level name, the holder of a held one (a transfer), or the
    /// identity NAME's parent resolves to (a vouch for a dotted name).
    #[command(arg_required_else_help = true)]
    Grant {
        #[command(flatten)]
        vault: VaultArgs,
        /// The name: labels of a-z, 0-9 and inner hyphens joined by dots, parent first.
        name: String,
        /// The identity it names: a public identity (`swpub1…`) or a file holding one.
        #[arg(long = "for", value_name = "IDENTITY")]
        named: Option<String>,
        /// Write the evidence here.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Sign "NAME is no longer held" through a fresh serial and write it to a file.
    ///
    /// The Naming engine accepts it from NAME's holder, or from the identity a dotted NAME's
    /// parent resolves to.
    #[command(arg_required_else_help = true)]
    Revoke {
        #[command(flatten)]
        vault: VaultArgs,
        /// The name.
        name: String,
        /// Write the revocation here.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Submit name statement files to a Naming engine in the order given, then resolve NAME.
    ///
    /// Prints the public identity NAME resolves to and exits 0; exits 1 with the reason
    /// (nobody holds it, its parent resolves to nobody or did not vouch for it) otherwise.
    /// Each statement the engine refuses is reported on stderr with why.
    #[command(arg_required_else_help = true)]
    Resolve {
        /// The name to resolve.
        name: String,
        /// Name evidence and revocation files (from `name grant` and `name revoke`).
        #[arg(long = "evidence", value_name = "FILE")]
        statements: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum RemoteCommand {
    /// Identity Management on NODE makes a new identity this client owns; prints it.
    Generate {
        /// The node.
        #[arg(long)]
        node: String,
    },
    /// The Encryption engine on NODE seals a file (at most 1 MiB) to an identity.
    Encrypt {
        /// The node.
        #[arg(long)]
        node: String,
        /// The recipient: a public identity (`swpub1…`) or a file holding one.
        #[arg(long, value_name = "IDENTITY")]
        to: String,
        /// Also seal to every identity that reads for the recipient.
        #[arg(long)]
        reads_for: bool,
        /// Where the ciphertext goes.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// The plaintext file.
        input: PathBuf,
    },
    /// The vault on NODE opens a ciphertext for this client.
    Decrypt {
        /// The node.
        #[arg(long)]
        node: String,
        /// Where the plaintext goes.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// The ciphertext file.
        input: PathBuf,
    },
    /// The ReadsFor engine on NODE takes reads-for evidence or a revocation (from `evidence`).
    Submit {
        /// The node.
        #[arg(long)]
        node: String,
        /// The evidence or revocation file.
        file: PathBuf,
    },
    /// Asks the ReadsFor engine on NODE whether READER reads for OWNER: exits 0 if so, 1 if not.
    ReadsFor {
        /// The node.
        #[arg(long)]
        node: String,
        /// The reader: a public identity or a file holding one.
        #[arg(long)]
        reader: String,
        /// The owner: a public identity or a file holding one.
        #[arg(long)]
        owner: String,
    },
    /// Sends many encryptions through one link; fails if any is answered twice or never.
    Load {
        /// The node.
        #[arg(long)]
        node: String,
        /// The recipient.
        #[arg(long, value_name = "IDENTITY")]
        to: String,
        /// Seal with reads-for.
        #[arg(long)]
        reads_for: bool,
        /// How many requests.
        #[arg(long, default_value_t = 1000)]
        requests: u64,
        /// How many may be outstanding at once.
        #[arg(long, default_value_t = 16)]
        window: u64,
    },
}

/// Runs a `remote` subcommand.
fn remote_command(config: &std::path::Path, command: RemoteCommand) -> anyhow::Result<()> {
    match command {
        RemoteCommand::Generate { node } => remote::generate(config, &node),
        RemoteCommand::Encrypt {
            node,
            to,
            reads_for,
            output,
            input,
        } => remote::encrypt(config, &node, &to, reads_for, &input, &output),
        RemoteCommand::Decrypt {
            node,
            output,
            input,
        } => remote::decrypt(config, &node, &input, &output),
        RemoteCommand::Submit { node, file } => remote::submit(config, &node, &file),
        RemoteCommand::ReadsFor {
            node,
            reader,
            owner,
        } => match remote::reads_for(config, &node, &reader, &owner)? {
            true => Ok(()),
            false => anyhow::bail!("the reader does not read for the owner"),
        },
        RemoteCommand::Load {
            node,
            to,
            reads_for,
            requests,
            window,
        } => remote::load(config, &node, &to, reads_for, requests, window),
    }
}

#[derive(Debug, Subcommand)]
enum EvidenceCommand {
    /// Sign "READER reads for my identity" (or "SIGNER signs for my identity") and write the evidence to a file.
    #[command(arg_required_else_help = true)]
    #[command(group(ArgGroup::new("member").required(true).args(["reader", "signer"])))]
    Grant {
        #[command(flatten)]
        vault: VaultArgs,
        /// The reader, for reads-for evidence: a public identity (`swpub1…`) or a file holding one.
        /// This or --signer is required.
        #[arg(long, value_name = "IDENTITY")]
        reader: Option<String>,
        /// The signer, for signs-for evidence: a public identity (`swpub1…`) or a file holding one.
        #[arg(long, value_name = "IDENTITY")]
        signer: Option<String>,
        /// Write the evidence here.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Sign "READER no longer reads for my identity" (or "SIGNER no longer signs for my identity") and write the revocation to a file.
    ///
    /// The revocation covers every evidence this vault signed for READER (or SIGNER) before it.
    #[command(arg_required_else_help = true)]
    #[command(group(ArgGroup::new("member").required(true).args(["reader", "signer"])))]
    Revoke {
        #[command(flatten)]
        vault: VaultArgs,
        /// The reader, for a reads-for revocation: an identity id (`sw1…`), a public identity
        /// (`swpub1…`) or a file holding one. This or --signer is required.
        #[arg(long, value_name = "IDENTITY")]
        reader: Option<String>,
        /// The signer, for a signs-for revocation: an identity id (`sw1…`), a public identity or a file holding one.
        #[arg(long, value_name = "IDENTITY")]
        signer: Option<String>,
        /// Write the revocation here.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Print one line per evidence or revocation file: kind, reader, subject, serial, signature.
    ///
    /// Exits non-zero if any file is neither evidence nor a revocation.
    #[command(arg_required_else_help = true)]
    List {
        /// Evidence and revocation files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

fn run_check(a: &CheckArgs) -> anyhow::Result<()> {
    check::run(&check::CheckOptions {
        scenarios: &a.scenario,
        set: &a.set,
        deep: a.deep,
        shard: a.shard,
        threads: a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        json: a.json.as_deref(),
        junit: a.junit.as_deref(),
        max_states: a.max_states,
        time_limit: std::time::Duration::from_secs(a.time_limit),
        docs: (!a.no_docs).then_some(a.docs.as_path()),
        markdown: a.markdown.as_deref(),
        itf: a.itf.as_deref(),
    })
}

/// Runs a `report` subcommand.
fn report_command(command: ReportCommand) -> anyhow::Result<()> {
    match command {
        ReportCommand::Merge {
            files,
            json,
            junit,
            markdown,
        } => merge::run(&merge::MergeOptions {
            files: &files,
            json: json.as_deref(),
            junit: junit.as_deref(),
            markdown: markdown.as_deref(),
        }),
    }
}

/// Whom a grant or revocation is about, and so which relation.
enum Member {
    /// `--reader`: reads-for.
    Reader(String),
    /// `--signer`: signs-for.
    Signer(String),
}

impl Member {
    /// The one of `--reader` and `--signer` given (clap requires exactly one).
    fn of(reader: Option<String>, signer: Option<String>) -> anyhow::Result<Member> {
        match (reader, signer) {
            (Some(reader), None) => Ok(Member::Reader(reader)),
            (None, Some(signer)) => Ok(Member::Signer(signer)),
            _ => Err(exit::usage("give exactly one of --reader and --signer")),
        }
    }
}

/// Runs a `name` subcommand.
fn name_command(command: NameCommand) -> anyhow::Result<()> {
    match command {
        NameCommand::Grant {
            vault,
            name,
            named,
            output,
        } => names::grant(&vault, &name, named.as_deref(), &output),
        NameCommand::Revoke {
            vault,
            name,
            output,
        } => names::revoke(&vault, &name, &output),
        NameCommand::Resolve { name, statements } => names::resolve(&name, &statements),
    }
}

/// Runs an `evidence` subcommand: `--reader` for reads-for, `--signer` for signs-for.
fn evidence_command(command: EvidenceCommand) -> anyhow::Result<()> {
    match command {
        EvidenceCommand::Grant {
            vault,
            reader,
            signer,
            output,
        } => match Member::of(reader, signer)? {
            Member::Reader(reader) => keys::grant(&vault, &reader, &output),
            Member::Signer(signer) => signs_for::grant(&vault, &signer, &output),
        },
        EvidenceCommand::Revoke {
            vault,
            reader,
            signer,
            output,
        } => match Member::of(reader, signer)? {
            Member::Reader(reader) => keys::revoke(&vault, &reader, &output),
            Member::Signer(signer) => signs_for::revoke(&vault, &signer, &output),
        },
        EvidenceCommand::List { files } => evidence::list(&files),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => run_check(&args),
        Command::Node { config, data } => node::run(&config, data.as_deref()),
        Command::Remote { config, command } => remote_command(&config, command),
        Command::Scenarios => check::list_scenarios(),
        Command::Simulate {
            scenario,
            set,
            seconds,
            seed,
            threads,
            itf,
        } => check::simulate(&scenario, &set, seconds, seed, threads, itf.as_deref()),
        Command::Report { command } => report_command(command),
        Command::Diagrams { docs } => check::list_diagrams(&docs),
        Command::Explore {
            scenario,
            set,
            addr,
        } => check::explore(&scenario, &set, &addr),
        Command::Keygen {
            vault,
            kdf_memory_kib,
        } => keys::keygen(&vault, kdf_memory_kib),
        Command::Identity {
            command: IdentityCommand::Show { vault },
        } => keys::show(&vault),
        Command::Evidence { command } => evidence_command(command),
        Command::Name { command } => name_command(command),
        Command::Sign {
            vault,
            output,
            input,
        } => sign::sign(&vault, input.as_deref(), output.as_deref()),
        Command::Verify {
            by,
            signature,
            signs_for,
            evidence,
            input,
        } => sign::verify(&sign::VerifyArgs {
            by: &by,
            signature: &signature,
            signs_for,
            evidence: &evidence,
            input: input.as_deref(),
        }),
        Command::Decode { input } => decode::decode(&input),
        Command::Vectors { out } => vectors::run(&out),
        Command::Load(args) => load::run(&args),
        Command::Validate { file } => conformance::validate(&file),
        Command::Conformance {
            command: ConformanceCommand::Generate { out, max_states },
        } => conformance::generate(&out, max_states),
        Command::Conformance {
            command: ConformanceCommand::Run { dir, engine },
        } => conformance::run(&dir, engine.as_deref()),
        Command::Reference { out } => {
            let page = cli_reference::render(&mut Cli::command());
            match out {
                Some(path) => std::fs::write(&path, page)
                    .with_context(|| format!("cannot write {}", path.display())),
                None => files::print(&page),
            }
        }
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics if its writer fails (say, a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "sealwright", &mut script);
            files::print(&String::from_utf8_lossy(&script))
        }
        Command::Encrypt {
            to,
            reads_for,
            evidence,
            output,
            input,
        } => crypt::encrypt(
            &to,
            reads_for,
            &evidence,
            input.as_deref(),
            output.as_deref(),
        ),
        Command::Decrypt {
            vault,
            output,
            input,
        } => crypt::decrypt(&vault, input.as_deref(), output.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::classify(&e).code())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_command_line_reference_on_the_site_is_current() {
        let page = cli_reference::render(&mut Cli::command());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(cli_reference::PAGE);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == page,
            "{} is stale: run `cargo run -p sealwright -- reference --out {}`",
            cli_reference::PAGE,
            cli_reference::PAGE
        );
    }
}
