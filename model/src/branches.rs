//! What an `alt`/`else`/`opt` label says the model can observe, so that a branch label is a
//! checked statement rather than prose: the label ends with its condition in brackets —
//! `[row NAME]`, the row of the guard table under which the branch's first message was sent,
//! and/or `[Ok]`, `[Err(Variant)]`, the result of the branch's last arrow that carries one
//! (how the request ends on that branch).

use engines::{
    decryption, encryption, identity_management, naming, reads_for, signs_for, verification,
};

use crate::arrow::{Arrow, Party};

/// A branch's condition, read from the bracketed end of its label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    /// `row NAME`: the row of the first arrow's sender's guard table.
    pub row: Option<String>,
    /// `Ok`, `Ok(…)`, `Err` or `Err(Variant)`: the result of the branch's last arrow that has one.
    pub result: Option<String>,
}

/// How a branch label must end.
const SYNTAX: &str = "a branch label ends with what the model observes, in brackets: `[row NAME]` (the guard-table row under which the branch's first message is sent) and/or `[Ok]`, `[Err(Variant)]` (the result of the branch's last arrow that carries one: how the request ends there), for example `else a revocation covers it [Err(Revoked)]`";

/// The guard table of the engine behind `party` (empty for clients).
pub fn guards_of(party: Party) -> &'static [&'static str] {
    match party {
        Party::Encryption => encryption::GUARDS,
        Party::ReadsFor => reads_for::GUARDS,
        Party::Decryption => decryption::GUARDS,
        Party::IdentityManagement => identity_management::GUARDS,
        Party::SignsFor => signs_for::GUARDS,
        Party::Verification => verification::GUARDS,
        Party::Naming => naming::GUARDS,
        Party::Client | Party::Adversary => &[],
    }
}

/// Reads the condition at the end of `label` (the text after `alt`, `else` or `opt`);
/// `None` for a label of words alone (the Anoma pages' style), which claims nothing.
pub fn condition(label: &str) -> Result<Option<Condition>, String> {
    let label = label.trim();
    let Some(inner) = label
        .strip_suffix(']')
        .and_then(|l| l.rsplit_once('['))
        .map(|(_, inner)| inner)
    else {
        return match label.contains(['[', ']']) {
            true => Err(SYNTAX.to_string()),
            false => Ok(None),
        };
    };
    let mut c = Condition::default();
    for item in inner.split(',').map(str::trim) {
        if let Some(row) = item.strip_prefix("row ") {
            c.row = Some(row.trim().to_string());
        } else if item.starts_with("Ok") || item.starts_with("Err") {
            c.result = Some(item.to_string());
        } else {
            return Err(format!("`{item}` is no condition: {SYNTAX}"));
        }
    }
    Ok(Some(c))
}

/// The row called `row` in the guard table of `party`, or why there is none.
pub fn row_of(party: Party, row: &str) -> Result<&'static str, String> {
    let rows = guards_of(party);
    rows.iter().copied().find(|r| *r == row).ok_or_else(|| {
        format!(
            "the branch's first message is sent by {party:?}, whose guard table has no row `{row}` (its rows: {})",
            if rows.is_empty() { "none: it is no engine".to_string() } else { rows.join(", ") }
        )
    })
}

/// Whether the last of `arrows` that carries a `result` carries `want` (`Err` stands for
/// any error); the reason if not.
pub fn result_holds<'a>(
    want: &str,
    arrows: impl IntoIterator<Item = &'a Arrow<Party>>,
) -> Result<(), String> {
    let last = arrows
        .into_iter()
        .filter_map(|a| {
            a.fields
                .iter()
                .find(|(k, _)| k == "result")
                .map(|(_, v)| (a, v))
        })
        .last();
    match last {
        Some((_, got)) if got == want || (want == "Err" && got.starts_with("Err(")) => Ok(()),
        Some((a, got)) => Err(format!(
            "the label says the result is `{want}`, but the branch's last result, in `{}`, is `{got}`",
            a.name
        )),
        None => Err(format!(
            "the label says the result is `{want}`, but no arrow of the branch carries a result"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_ends_with_its_condition() {
        let c = condition("the evidence is stored [row submit-evidence, Ok]");
        assert_eq!(
            c,
            Ok(Some(Condition {
                row: Some("submit-evidence".into()),
                result: Some("Ok".into())
            }))
        );
        assert_eq!(
            condition("the evidence is stored"),
            Ok(None),
            "words alone claim nothing"
        );
        assert!(condition("stored [maybe]").is_err());
        assert!(
            condition("stored [row x").is_err(),
            "an unclosed bracket is an error"
        );
        assert_eq!(
            row_of(Party::ReadsFor, "submit-evidence"),
            Ok("submit-evidence")
        );
        assert!(row_of(Party::ReadsFor, "seal-directly").is_err());
    }
}
