//! Which engines a node runs, and where the others are: an engine's address names its
//! node (`NODE/ENGINE`, as nspec's engine id is a node id and an engine name).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use spec::Address;

use super::RuntimeError;

/// The engines the runtime can place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// The Encryption pool.
    Encryption,
    /// The ReadsFor engine.
    ReadsFor,
    /// The Decryption engine (the vault).
    Vault,
    /// Identity Management.
    Identity,
}

impl Part {
    /// Every part.
    pub const ALL: [Part; 4] = [
        Part::Encryption,
        Part::ReadsFor,
        Part::Vault,
        Part::Identity,
    ];

    /// Its name in addresses and configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Part::Encryption => "encryption",
            Part::ReadsFor => "reads-for",
            Part::Vault => "vault",
            Part::Identity => "identity",
        }
    }
}

/// The engines a node runs, and the nodes that run the others it talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Engines run here.
    pub runs: BTreeSet<Part>,
    /// Engines run elsewhere, by the name of their node.
    pub elsewhere: BTreeMap<Part, String>,
}

impl Default for Placement {
    /// Everything on one node.
    fn default() -> Self {
        Placement {
            runs: Part::ALL.into_iter().collect(),
            elsewhere: BTreeMap::new(),
        }
    }
}

impl Placement {
    /// The address of `part` as seen from node `here`: its own if it runs here, else the
    /// node it is placed on (an engine placed nowhere is addressed here, and a request
    /// to it is refused as unknown).
    pub fn address(&self, here: &str, part: Part) -> Result<Address, RuntimeError> {
        let node = match self.elsewhere.get(&part) {
            Some(node) if !self.runs.contains(&part) => node.as_str(),
            _ => here,
        };
        Address::new(format!("{node}/{}", part.name()))
            .map_err(|_| RuntimeError::BadClient(node.to_string()))
    }
}
