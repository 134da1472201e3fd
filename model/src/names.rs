//! A ghost of the names in force, built from the Naming engine's acknowledgements, and the
//! rule a resolution must satisfy: the naming property's definition, stated over signed
//! statements rather than the engine's state.
//!
//! A name resolves to X only if the latest acknowledged evidence for it names X, no
//! acknowledged revocation covers it, and its signature checks under the key of the name's
//! authority: for a dotted name, the identity its parent resolves to by this same rule; for
//! a top-level name, X itself or an identity that held the name before.

use std::collections::{BTreeMap, BTreeSet};

use engines::Backend;
use engines::backend::seeded::SeededBackend;
use engines::backend::symbolic::SymbolicBackend;
use spec::{ExternalIdentity, IdentityName, NameEvidence, NameRevocation};

/// The names in force, per the Naming engine's acknowledgements.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NameGhost {
    /// The latest acknowledged evidence per name.
    pub evidence: BTreeMap<IdentityName, NameEvidence>,
    /// Acknowledged revocations: the serial each covers up to.
    pub revoked: BTreeMap<IdentityName, u64>,
    /// Every identity acknowledged as holding each top-level name, ever.
    pub holders: BTreeMap<IdentityName, BTreeSet<ExternalIdentity>>,
}

/// Whether `sig` over `bytes` checks under `key`, in whichever crypto the run uses.
fn signed(key: &ExternalIdentity, bytes: &[u8], sig: &[u8; 64]) -> bool {
    let key = &key.verifying_key;
    SymbolicBackend::default().verify(key, bytes, sig).is_ok()
        || SeededBackend::new(0).verify(key, bytes, sig).is_ok()
}

impl NameGhost {
    /// The ghost of names the engine starts with.
    pub fn new(initial: &[NameEvidence]) -> Self {
        let mut ghost = NameGhost::default();
        for ev in initial {
            ghost.store(ev);
        }
        ghost
    }

    /// Records acknowledged evidence, unless newer evidence for its name is in force.
    pub fn store(&mut self, ev: &NameEvidence) {
        let name = &ev.identity_name;
        if self
            .evidence
            .get(name)
            .is_some_and(|cur| cur.serial > ev.serial)
        {
            return;
        }
        if name.parent().is_none() {
            let holders = self.holders.entry(name.clone()).or_default();
            holders.insert(ev.external_identity.clone());
        }
        self.evidence.insert(name.clone(), ev.clone());
    }

    /// Records an acknowledged revocation and drops the evidence it covers.
    pub fn revoke(&mut self, rv: &NameRevocation) {
        let name = &rv.identity_name;
        let through = self.revoked.entry(name.clone()).or_insert(0);
        *through = (*through).max(rv.serial);
        let through = *through;
        if self
            .evidence
            .get(name)
            .is_some_and(|ev| ev.serial <= through)
        {
            self.evidence.remove(name);
        }
    }

    /// Why the Naming engine must not acknowledge `ev` now, if it must not: a revocation
    /// covers it, it is older than (or conflicts with) the evidence in force, or it is not
    /// signed by the name's authority.
    pub fn inadmissible(&self, ev: &NameEvidence) -> Option<String> {
        let name = &ev.identity_name;
        if let Some(through) = self.revoked.get(name).filter(|t| ev.serial <= **t) {
            return Some(format!(
                "`{name}` serial {} is covered by a revocation through {through}",
                ev.serial
            ));
        }
        let current = self.evidence.get(name);
        if let Some(cur) =
            current.filter(|c| c.serial > ev.serial || (c.serial == ev.serial && *c != ev))
        {
            return Some(format!(
                "`{name}` serial {} is not newer than the evidence in force (serial {})",
                ev.serial, cur.serial
            ));
        }
        let authority = match (name.parent(), current) {
            (Some(parent), _) => match self.resolve(&parent) {
                Ok(holder) => holder,
                Err(why) => return Some(why),
            },
            (None, Some(cur)) => &cur.external_identity,
            (None, None) => &ev.external_identity,
        };
        (!signed(authority, &ev.signed_bytes(), &ev.signature))
            .then(|| format!("the evidence for `{name}` is not signed by the name's authority"))
    }

    /// The identity `name` resolves to by the rule, or why it resolves to none.
    pub fn resolve(&self, name: &IdentityName) -> Result<&ExternalIdentity, String> {
        let ev = self
            .evidence
            .get(name)
            .ok_or_else(|| format!("no acknowledged evidence names `{name}`"))?;
        if self.revoked.get(name).is_some_and(|t| ev.serial <= *t) {
            return Err(format!("a revocation covers the evidence for `{name}`"));
        }
        let named = &ev.external_identity;
        let authorities: Vec<&ExternalIdentity> = match name.parent() {
            Some(parent) => vec![self.resolve(&parent)?],
            None => {
                let former = self.holders.get(name).into_iter().flatten();
                std::iter::once(named).chain(former).collect()
            }
        };
        let bytes = ev.signed_bytes();
        if !authorities.iter().any(|a| signed(a, &bytes, &ev.signature)) {
            return Err(format!(
                "the evidence for `{name}` is not signed by the name's authority"
            ));
        }
        Ok(named)
    }
}
