//! Who a diagram's participants are: our role names, and the conventions of the Anoma
//! specification's pages (`participant EE as Encryption Engine`, `participant ReadsForEngine`,
//! participants used without a declaration), each mapped to a role.
//!
//! A participant that names no role is reported once, where it is declared (or first
//! used); the arrows that involve it are then left out without further errors, so one
//! bad declaration does not bury the real drift under follow-on reports.

use std::collections::BTreeSet;

use crate::arrow::Party;
use crate::nearest::closest;

/// Engines of the Anoma specification outside the identity family, which the model does not
/// run: a diagram that draws one is told so, not offered the closest role.
const NOT_MODELLED: &[&str] = &[
    "Ticker",
    "WallClock",
    "Logging",
    "LocalKeyValueStorage",
    "Transport",
    "Router",
    "NetworkRegistry",
];

/// The roles, as an error message lists them.
const ROLES: &str = "Client, Adversary, Encryption, ReadsFor, Decryption (also Vault, Commitment), IdentityManagement, SignsFor, Verification, Naming";

/// A name reduced to what tells roles apart: letters and digits, lower case, without a
/// trailing "engine" (`Encryption Engine`, `ReadsForEngine`).
fn normal(word: &str) -> String {
    let norm: String = word
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    match norm.strip_suffix("engine") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => norm,
    }
}

/// The role a participant's id or display name stands for.
pub fn role(word: &str) -> Option<Party> {
    let norm = normal(word);
    // The vault is both the Decryption and the Commitment engine: it holds every secret key.
    if norm == "vault" || norm == "commitment" {
        return Some(Party::Decryption);
    }
    Party::ALL
        .iter()
        .find(|(_, n)| n.to_lowercase() == norm)
        .map(|(p, _)| *p)
}

/// The identity-family engine `word` names that the model does not run, if any.
fn not_modelled(word: &str) -> Option<&'static str> {
    let norm = normal(word);
    NOT_MODELLED
        .iter()
        .copied()
        .find(|n| n.to_lowercase() == norm)
}

/// A diagram's participants: the ones declared (or used) with their roles, and the ones
/// already reported as naming no role.
#[derive(Debug, Default)]
pub struct Participants {
    known: Vec<(String, Party)>,
    refused: BTreeSet<String>,
}

impl Participants {
    /// Reads `ID [as DISPLAY NAME]`; the error says why it names no role.
    pub fn declare(&mut self, rest: &str) -> Result<(), String> {
        let (id, alias) = match rest.split_once(" as ") {
            Some((id, alias)) => (id.trim(), Some(alias.trim())),
            None => (rest.trim(), None),
        };
        if let Some(role) = role(id).or_else(|| alias.and_then(role)) {
            self.known.push((id.to_string(), role));
            return Ok(());
        }
        self.refused.insert(id.to_string());
        let named = alias.map_or(id.to_string(), |a| format!("{id} as {a}"));
        Err(self.why_not(&named, id, alias))
    }

    /// The role of the participant `id` on an arrow: `Ok(None)` for one already reported
    /// (leave the arrow out silently); an undeclared id that names a role is accepted, as
    /// mermaid accepts it.
    pub fn find(&mut self, id: &str) -> Result<Option<Party>, String> {
        let id = id.trim().trim_start_matches(['+', '-']).trim();
        if let Some((_, role)) = self.known.iter().find(|(k, _)| k == id) {
            return Ok(Some(*role));
        }
        if self.refused.contains(id) {
            return Ok(None);
        }
        if let Some(role) = role(id) {
            self.known.push((id.to_string(), role));
            return Ok(Some(role));
        }
        self.refused.insert(id.to_string());
        Err(format!(
            "`{id}` is not a declared participant: {}",
            self.why_not(id, id, None)
        ))
    }

    fn why_not(&self, named: &str, id: &str, alias: Option<&str>) -> String {
        if let Some(engine) = not_modelled(id).or_else(|| alias.and_then(not_modelled)) {
            return format!(
                "participant `{named}` is the {engine} engine, outside the identity family the model \
                 runs; arrows to and from it are not checked (the model runs: {ROLES})"
            );
        }
        let probe = alias.unwrap_or(id);
        let hint = closest(&normal(probe), Party::ALL.iter().map(|(_, n)| *n)).unwrap_or_default();
        format!(
            "participant `{named}` is no engine role; the closest role is `{hint}` (roles: {ROLES})"
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_in_both_conventions() {
        let rows: &[(&str, Option<Party>)] = &[
            ("Encryption", Some(Party::Encryption)),
            ("Encryption Engine", Some(Party::Encryption)),
            ("EncryptionEngine", Some(Party::Encryption)),
            ("ReadsForEngine", Some(Party::ReadsFor)),
            ("Reads For Engine", Some(Party::ReadsFor)),
            (
                "Identity Management Engine",
                Some(Party::IdentityManagement),
            ),
            ("Decryption", Some(Party::Decryption)),
            ("vault", Some(Party::Decryption)),
            ("Engine", None),
            ("EE", None),
            ("SignsForEngine", Some(Party::SignsFor)),
            ("Verification Engine", Some(Party::Verification)),
            ("Commitment Engine", Some(Party::Decryption)),
            ("NamingEngine", Some(Party::Naming)),
            ("Naming Engine", Some(Party::Naming)),
            ("Wall Clock Engine", None),
        ];
        for (word, want) in rows {
            assert_eq!(role(word), *want, "{word}");
        }
    }

    #[test]
    fn a_participant_is_reported_once_and_then_left_out() {
        let mut p = Participants::default();
        assert_eq!(p.declare("EE as Encryption Engine"), Ok(()));
        assert_eq!(p.declare("NE as Naming Engine"), Ok(()));
        let e = p.declare("TE as Ticker Engine").unwrap_err();
        assert!(
            e.contains("the Ticker engine, outside the identity family the model runs"),
            "{e}"
        );
        assert_eq!(p.find("EE"), Ok(Some(Party::Encryption)));
        assert_eq!(p.find("NE"), Ok(Some(Party::Naming)));
        assert_eq!(p.find("TE"), Ok(None));
        assert_eq!(p.find("+ReadsForEngine"), Ok(Some(Party::ReadsFor)));
        let e = p.find("Bob").unwrap_err();
        assert!(e.contains("`Bob` is not a declared participant"), "{e}");
        assert_eq!(p.find("Bob"), Ok(None), "reported once");
        let e = p.declare("RF as ReadFor").unwrap_err();
        assert!(e.contains("closest role is `ReadsFor`"), "{e}");
    }
}
