//! The command-line guide on the site is run as written: every `sh` block, in order, in one
//! scratch directory, with `sealwright` on the PATH; a block ending in `# exits N` must exit
//! with status N, every other block with 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::Dir;

/// Each `sh` block of `page`: its first line number and its text.
fn blocks(page: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in page.lines().enumerate() {
        match (&mut current, line.trim()) {
            (None, "```sh") => current = Some((i + 2, String::new())),
            (Some(_), "```") => out.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

/// The status a block must exit with.
fn expected(block: &str) -> i32 {
    block
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# exits "))
        .find_map(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn every_block_of_the_guide_runs_and_exits_as_it_says() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli/guide.md");
    let page = fs::read_to_string(page).unwrap();
    let dir = Dir::new("guide", "run");
    fs::write(dir.p("alice.pass"), "alice's long passphrase\n").unwrap();
    fs::write(dir.p("bob.pass"), "bob's long passphrase\n").unwrap();
    fs::write(dir.p("hello.txt"), "Hello from the guide.\n").unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_sealwright"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let blocks = blocks(&page);
    assert!(
        blocks.len() >= 10,
        "the guide has {} sh blocks",
        blocks.len()
    );
    let mut statuses = Vec::new();
    for (line, block) in &blocks {
        let out = Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", block])
            .current_dir(&dir.0)
            .env("PATH", &path)
            .env_remove("SEALWRIGHT_VAULT")
            .output()
            .unwrap();
        let want = expected(block);
        assert_eq!(
            out.status.code(),
            Some(want),
            "docs/cli/guide.md:{line}: the block exits {:?}, the page says {want}\n{block}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        statuses.push(want);
    }
    // Every class of failure the page promises is shown by at least one block.
    for status in [2, 3, 4, 5] {
        assert!(statuses.contains(&status), "no block exits {status}");
    }
}
