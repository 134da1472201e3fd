//! A progress bar on stderr for `encrypt` and `decrypt`, fed by counting the input's bytes.

use std::fs;
use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Progress over the input: a bar when its length is known, a spinner otherwise, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// Shown only when stderr is a terminal and the output does not go to that terminal too.
    pub fn new(input: Option<&Path>, output: Option<&Path>) -> Progress {
        let to_stdout = output.is_none_or(|p| p == Path::new("-"));
        // A bar redrawn over plaintext printed to the same screen would garble both.
        if !io::stderr().is_terminal() || (to_stdout && io::stdout().is_terminal()) {
            return Progress(None);
        }
        let len = input
            .filter(|p| *p != Path::new("-"))
            .and_then(|p| fs::metadata(p).ok())
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let bar = match len {
            Some(len) => ProgressBar::new(len).with_style(style(
                "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
            )),
            None => {
                let spinner = ProgressBar::new_spinner()
                    .with_style(style("{spinner} {bytes} {binary_bytes_per_sec}"));
                // Keeps the spinner turning while stdin is slow to deliver.
                spinner.enable_steady_tick(Duration::from_millis(120));
                spinner
            }
        };
        Progress(Some(bar))
    }

    /// Wraps `reader` so that every byte read advances the bar; the reader itself when hidden.
    pub fn wrap(&self, reader: Box<dyn Read>) -> Box<dyn Read> {
        match &self.0 {
            Some(bar) => Box::new(Counting {
                inner: reader,
                bar: bar.clone(),
            }),
            None => reader,
        }
    }

    /// Leaves the completed bar on screen, on its own line.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish();
            // indicatif leaves the cursor at the end of the bar; the shell prompt belongs below it.
            eprintln!();
        }
    }

    /// Removes the bar, so an error message that follows stands alone.
    pub fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants; should one ever be rejected, a plain bar still shows progress.
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A reader that counts what passes through it into a progress bar (no buffering of its own).
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_reader_counts_and_passes_bytes_through() {
        let bar = ProgressBar::hidden();
        let mut reader = Counting {
            inner: &b"hello, world"[..],
            bar: bar.clone(),
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out).ok();
        assert_eq!(out, b"hello, world");
        assert_eq!(bar.position(), 12);
    }
}
