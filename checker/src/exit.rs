//! Exit statuses by class of failure, so that a script can tell a wrong passphrase from a
//! missing file. The class is read from the error chain: the typed errors of the engines and
//! the spec, I/O errors, and the two markers below for failures that have no type of their own.

use std::fmt;

use engines::conformance::files::CaseFileError;
use engines::vault_file::VaultFileError;
use spec::DecryptionError;

/// A class of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A verdict: something checked is not as expected (also any unclassified failure).
    Failed,
    /// The command line is wrong.
    Usage,
    /// An input is not what it should be.
    BadInput,
    /// The input is well formed, and the answer is no.
    Refused,
    /// A file cannot be read or written.
    Io,
}

/// Every exit status: code, name, when. The reference page prints this table.
pub const STATUSES: &[(u8, &str, &str)] = &[
    (
        0,
        "success",
        "The command did what it was asked. For `check`: every property, diagram and table is as expected.",
    ),
    (
        1,
        "failed",
        "A verdict: a property, a diagram or a table is not as expected, a run was cut short, a merged report fails, or a load run lost or garbled a reply. Also any failure outside the classes below.",
    ),
    (
        2,
        "usage",
        "The command line is wrong: an unknown command or option, a missing or malformed value, or a `--set` that names no parameter of the selected scenarios or is out of range.",
    ),
    (
        3,
        "bad input",
        "An input is not what it should be: a ciphertext that is malformed or cut short, a file that is not the envelope, evidence, revocation or vault it should be, a text form that does not parse, evidence whose signature does not verify.",
    ),
    (
        4,
        "refused",
        "The input is well formed and the answer is no: a wrong passphrase (or an altered vault), no key in the vault that opens the ciphertext, a wrapped key or chunk that fails authentication.",
    ),
    (
        5,
        "I/O",
        "A file cannot be read or written: it is missing, unreadable or not writable, or the output pipe closed.",
    ),
];

impl Class {
    /// The status the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Class::Failed => 1,
            Class::Usage => 2,
            Class::BadInput => 3,
            Class::Refused => 4,
            Class::Io => 5,
        }
    }
}

/// A failure of the command line that clap cannot see (say, a `--set` out of range).
#[derive(Debug)]
pub struct Usage(pub String);

/// An input that is not what it should be, where no typed error says so.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}
impl std::error::Error for BadInput {}

/// A usage error with `message`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Usage(message.into()).into()
}

/// A bad-input error with `message`.
pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
    BadInput(message.into()).into()
}

fn decryption(e: &DecryptionError) -> Class {
    match e {
        DecryptionError::NoMatchingKey
        | DecryptionError::AuthenticationFailed
        | DecryptionError::NotAuthorised => Class::Refused,
        _ => Class::BadInput,
    }
}

/// The class of one error in the chain, if it has one.
fn class_of(cause: &(dyn std::error::Error + 'static)) -> Option<Class> {
    if cause.is::<Usage>() || cause.is::<model::scenarios::BoundError>() {
        return Some(Class::Usage);
    }
    if cause.is::<BadInput>()
        || cause.is::<spec::codec::DecodeError>()
        || cause.is::<spec::identity::ParseIdError>()
        || cause.is::<spec::RelationError>()
    {
        return Some(Class::BadInput);
    }
    if cause.is::<std::io::Error>() {
        return Some(Class::Io);
    }
    if let Some(e) = cause.downcast_ref::<CaseFileError>() {
        return Some(match e {
            CaseFileError::Io { .. } => Class::Io,
            CaseFileError::Meta { .. } => Class::BadInput,
        });
    }
    if let Some(e) = cause.downcast_ref::<DecryptionError>() {
        return Some(decryption(e));
    }
    match cause.downcast_ref::<VaultFileError>()? {
        VaultFileError::WrongPassphraseOrCorrupt => Some(Class::Refused),
        _ => Some(Class::BadInput),
    }
}

/// The class of `e`: that of the outermost error in its chain that has one.
pub fn classify(e: &anyhow::Error) -> Class {
    e.chain().find_map(class_of).unwrap_or(Class::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outermost_typed_error_decides_and_contexts_are_looked_through() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(io).context("cannot read x");
        assert_eq!(classify(&e), Class::Io);
        let e = anyhow::Error::new(DecryptionError::NoMatchingKey).context("decryption failed");
        assert_eq!(classify(&e), Class::Refused);
        let e = anyhow::Error::new(DecryptionError::Truncated).context("decryption failed");
        assert_eq!(classify(&e), Class::BadInput);
        assert_eq!(classify(&usage("--set x=1")), Class::Usage);
        assert_eq!(
            classify(&anyhow::anyhow!("3 scenario(s) failed")),
            Class::Failed
        );
        let codes: Vec<u8> = STATUSES.iter().map(|s| s.0).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5]);
        for class in [
            Class::Failed,
            Class::Usage,
            Class::BadInput,
            Class::Refused,
            Class::Io,
        ] {
            assert!(codes.contains(&class.code()));
        }
    }
}
