//! The command-line reference page, rendered from the clap definitions themselves, so that
//! the site cannot drift from the binary (a test compares the committed page with this).

use std::fmt::Write as _;

use clap::{Arg, ArgAction, Command};

/// Where the page lives, relative to the repository root.
pub const PAGE: &str = "docs/cli/reference.md";

/// The reference page for `cli` and every subcommand below it.
pub fn render(cli: &mut Command) -> String {
    cli.build();
    let mut out = String::from("# Command-line reference\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the clap definitions by `sealwright reference --out {PAGE}`; do not edit. A test fails when it is stale. -->\n"
    );
    let _ = writeln!(
        out,
        "{}\n\nEvery command exits with a [status](#exit-statuses) that says which class of failure happened; the [guide](guide.md) walks through the common tasks.\n",
        cli.get_about().map(ToString::to_string).unwrap_or_default()
    );
    for sub in visible(cli) {
        command(&mut out, sub, &["sealwright"], 2);
    }
    statuses(&mut out);
    out
}

fn statuses(out: &mut String) {
    out.push_str("## Exit statuses\n\nA failure prints `error:` and its causes on stderr. The status says which class of failure it was, so a script can tell a wrong passphrase from a missing file:\n\n| status | class | when |\n| ---: | --- | --- |\n");
    for (code, name, when) in crate::exit::STATUSES {
        let _ = writeln!(out, "| {code} | {name} | {when} |");
    }
}

/// One command's section, then its subcommands' sections one level deeper.
fn command(out: &mut String, cmd: &Command, parents: &[&str], level: usize) {
    let mut path = parents.to_vec();
    path.push(cmd.get_name());
    let _ = writeln!(out, "{} `{}`\n", "#".repeat(level), path.join(" "));
    let about = cmd
        .get_long_about()
        .or(cmd.get_about())
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut about = about.trim().to_string();
    if !about.is_empty() && !about.ends_with(['.', ')', '`']) {
        about.push('.');
    }
    let _ = writeln!(out, "{about}\n");
    let _ = writeln!(out, "```text\n{}\n```\n", usage(cmd, &path));
    arguments(out, cmd);
    for sub in visible(cmd) {
        command(out, sub, &path, level + 1);
    }
}

/// The subcommands a user sees: not hidden ones, nor clap's own `help`.
fn visible(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

fn usage(cmd: &Command, path: &[&str]) -> String {
    let mut words: Vec<String> = path.iter().map(ToString::to_string).collect();
    if cmd.has_subcommands() {
        words.push("<COMMAND>".to_string());
    }
    for arg in shown(cmd).filter(|a| a.is_positional()) {
        let mut name = value_name(arg);
        if matches!(arg.get_action(), ArgAction::Append) {
            name.push_str("...");
        }
        words.push(if arg.is_required_set() {
            format!("<{name}>")
        } else {
            format!("[{name}]")
        });
    }
    if shown(cmd).any(|a| !a.is_positional()) {
        words.push("[OPTIONS]".to_string());
    }
    words.join(" ")
}

/// The arguments a user sees (not `--help`, `--version` or hidden ones).
fn shown(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments().filter(|a| {
        !a.is_hide_set()
            && !matches!(
                a.get_action(),
                ArgAction::Help | ArgAction::HelpLong | ArgAction::Version
            )
    })
}

fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .and_then(|v| v.first())
        .map(ToString::to_string)
        .unwrap_or_else(|| arg.get_id().to_string().to_uppercase())
}

fn arguments(out: &mut String, cmd: &Command) {
    let args: Vec<&Arg> = shown(cmd).collect();
    if args.is_empty() {
        return;
    }
    out.push_str("| argument | default | meaning |\n| --- | --- | --- |\n");
    for arg in args {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            spelling(arg),
            default(arg),
            help(arg)
        );
    }
    out.push('\n');
}

fn spelling(arg: &Arg) -> String {
    if arg.is_positional() {
        return format!("`{}`", value_name(arg));
    }
    let takes_value = matches!(arg.get_action(), ArgAction::Set | ArgAction::Append);
    let value = if takes_value {
        format!(" {}", value_name(arg))
    } else {
        String::new()
    };
    let long = arg.get_long().map(|l| format!("`--{l}{value}`"));
    let short = arg.get_short().map(|s| format!("`-{s}`"));
    let repeat = if matches!(arg.get_action(), ArgAction::Append) {
        " (repeatable)"
    } else {
        ""
    };
    let names: Vec<String> = short.into_iter().chain(long).collect();
    format!("{}{repeat}", names.join(", "))
}

fn default(arg: &Arg) -> String {
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    let env = arg
        .get_env()
        .map(|e| format!(" (env `{}`)", e.to_string_lossy()))
        .unwrap_or_default();
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        return String::new();
    }
    if defaults.is_empty() && env.is_empty() {
        if arg.is_required_set() {
            "required"
        } else {
            ""
        }
        .to_string()
    } else {
        format!("{}{env}", defaults.join(", "))
    }
}

fn help(arg: &Arg) -> String {
    let text = arg
        .get_long_help()
        .or(arg.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut text = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|");
    // clap drops the full stop of a one-line doc comment; a table cell is a sentence.
    if !text.is_empty() && !text.ends_with(['.', ')', '`']) {
        text.push('.');
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    if !values.is_empty() && values.len() <= 12 {
        let _ = write!(text, " One of {}.", values.join(", "));
    }
    text
}
