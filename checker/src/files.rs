//! Inputs, outputs and passphrases: stdin/stdout or files, outputs written atomically.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use zeroize::Zeroizing;

const BUFFER: usize = 1 << 16;

/// Opens `path` for reading, or stdin for `None` or `-`.
pub fn input(path: Option<&Path>) -> Result<Box<dyn Read>> {
    match path {
        None => Ok(Box::new(BufReader::with_capacity(
            BUFFER,
            io::stdin().lock(),
        ))),
        Some(p) if p == Path::new("-") => Ok(Box::new(BufReader::with_capacity(
            BUFFER,
            io::stdin().lock(),
        ))),
        Some(p) => {
            let f = File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            Ok(Box::new(BufReader::with_capacity(BUFFER, f)))
        }
    }
}

/// Where output goes: stdout, or a temporary file renamed into place on success.
pub enum Output {
    /// Standard output; what was written cannot be taken back.
    Stdout(BufWriter<io::StdoutLock<'static>>),
    /// A temporary file beside the destination.
    File {
        /// The open temporary file.
        writer: BufWriter<File>,
        /// Its path.
        temp: PathBuf,
        /// The final path.
        dest: PathBuf,
    },
}

impl Output {
    /// Output to `path` (atomically), or stdout for `None` or `-`.
    pub fn open(path: Option<&Path>) -> Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::with_capacity(
                BUFFER,
                io::stdout().lock(),
            ))),
            Some(p) if p == Path::new("-") => Ok(Output::Stdout(BufWriter::with_capacity(
                BUFFER,
                io::stdout().lock(),
            ))),
            Some(p) => {
                let temp = temp_path(p);
                let f = create_private(&temp)?;
                Ok(Output::File {
                    writer: BufWriter::with_capacity(BUFFER, f),
                    temp,
                    dest: p.to_path_buf(),
                })
            }
        }
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(w) => w,
            Output::File { writer, .. } => writer,
        }
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().context("cannot write to stdout"),
            Output::File { writer, temp, dest } => {
                let f = writer
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(|| format!("cannot write {}", temp.display()))?;
                f.sync_all()
                    .with_context(|| format!("cannot sync {}", temp.display()))?;
                fs::rename(&temp, &dest)
                    .with_context(|| format!("cannot move output into place at {}", dest.display()))
            }
        }
    }

    /// Discards a partial output file (stdout cannot be taken back).
    pub fn abandon(self) {
        if let Output::File { temp, .. } = self {
            let _ = fs::remove_file(temp);
        }
    }
}

fn temp_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    dest.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Creates a new file readable only by its owner (on Unix).
fn create_private(path: &Path) -> Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        // Temporary names hold this process's id, and no other live process has it:
        // the file was left by one that died mid-write and whose id was reused.
        // Replace it, or no save could ever succeed under this id again.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(path).and_then(|()| options.open(path))
        }
        other => other,
    }
    .with_context(|| format!("cannot create {}", path.display()))
}

/// Writes `bytes` to `dest` atomically: a private temporary file, synced, then renamed.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut out = Output::open(Some(dest))?;
    if let Err(e) = out.writer().write_all(bytes) {
        out.abandon();
        return Err(e).with_context(|| format!("cannot write {}", dest.display()));
    }
    out.commit()
}

/// Writes `text` to stdout; a closed pipe (`| head`) is an error, not a panic as with `print!`.
pub fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// Reads a whole small file, refusing anything over `limit` bytes.
pub fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{} is larger than {limit} bytes: not a file this command reads",
            path.display()
        );
    }
    Ok(bytes)
}

/// The passphrase: the first line of `file`, or typed at the terminal.
pub fn passphrase(file: Option<&Path>, confirm: bool) -> Result<Zeroizing<String>> {
    let text = match file {
        Some(path) => {
            let bytes = Zeroizing::new(read_small(path, 4096)?);
            let text = std::str::from_utf8(&bytes)
                .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
            Zeroizing::new(text.lines().next().unwrap_or("").to_owned())
        }
        None => {
            let first = Zeroizing::new(
                rpassword::prompt_password("Passphrase: ")
                    .context("no terminal to ask for a passphrase: use --passphrase-file FILE")?,
            );
            if confirm {
                let again = Zeroizing::new(
                    rpassword::prompt_password("Passphrase (again): ")
                        .context("cannot read the passphrase")?,
                );
                if *again != *first {
                    bail!("the passphrases differ; nothing was written");
                }
            }
            first
        }
    };
    if text.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(text)
}
