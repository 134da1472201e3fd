//! Writes the seed corpora: valid encodings of real messages, evidence,
//! ciphertexts, vault files and frames, taken from flows through the engines.
//!
//! Run from `fuzz/`: `cargo run --release --example seeds -- corpus-seeds`, then
//! minimise into `corpus/<target>` with `cargo fuzz cmin` (scripts/fuzz.sh seeds does both).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use engines::Backend;
use engines::backend::format;
use engines::backend::symbolic::SymbolicBackend;
use engines::decryption::{Decryption, DecryptionState};
use engines::encryption::Encryption;
use engines::identity_management::IdentityManagement;
use engines::local::NodeEngine;
use engines::reads_for::ReadsFor;
use engines::runtime::tcp::write_frame;
use engines::vault_file::{self, KdfParams};
use sealwright_fuzz::{SeededRng, fixed_identity, hpke_backend};
use spec::message::*;
use spec::*;

const ENC: &str = "node/encryption";
const RF: &str = "node/reads-for";
const VAULT: &str = "node/vault";
const IM: &str = "node/identity";

fn addr(s: &str) -> Address {
    Address::new(s).expect("valid address")
}

struct Seeds {
    root: PathBuf,
    count: BTreeMap<String, usize>,
}

impl Seeds {
    fn put(&mut self, target: &str, bytes: &[u8]) {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir).expect("creates the corpus directory");
        let n = self.count.entry(target.to_owned()).or_default();
        *n += 1;
        fs::write(dir.join(format!("seed-{n:04}")), bytes).expect("writes a seed");
    }
}

/// A node whose every envelope is recorded.
struct Recorder<B> {
    engines: BTreeMap<Address, NodeEngine>,
    backend: B,
    seen: Vec<Envelope>,
    next: u64,
}

impl<B: Backend> Recorder<B> {
    fn new(mut backend: B) -> Self {
        let enc_state = Encryption::initial_state(&mut backend);
        let mut engines = BTreeMap::new();
        engines.insert(
            addr(ENC),
            NodeEngine::Encryption(Encryption::new(addr(ENC), addr(RF)), enc_state),
        );
        engines.insert(
            addr(RF),
            NodeEngine::ReadsFor(ReadsFor::new(addr(RF)), Default::default()),
        );
        engines.insert(
            addr(VAULT),
            NodeEngine::Decryption(
                Decryption::new(addr(VAULT), Some(addr(IM)), BTreeSet::new()),
                Default::default(),
            ),
        );
        engines.insert(
            addr(IM),
            NodeEngine::IdentityManagement(
                IdentityManagement::new(addr(IM), addr(VAULT), addr(RF)),
                Default::default(),
            ),
        );
        Recorder {
            engines,
            backend,
            seen: Vec::new(),
            next: 0,
        }
    }

    fn ask(&mut self, from: &str, to: &str, message: impl Into<Message>) -> Message {
        self.next += 1;
        let mut queue = VecDeque::from([Envelope {
            sender: addr(from),
            target: addr(to),
            correlation: CorrelationId(self.next),
            message: message.into(),
        }]);
        let mut answer = None;
        while let Some(env) = queue.pop_front() {
            self.seen.push(env.clone());
            match self.engines.get_mut(&env.target) {
                Some(engine) => queue.extend(engine.step(&mut self.backend, &env).send),
                None => answer = Some(env.message),
            }
        }
        answer.expect("one reply")
    }

    fn vault(&self) -> &DecryptionState {
        match self.engines.get(&addr(VAULT)) {
            Some(NodeEngine::Decryption(_, s)) => s,
            _ => unreachable!(),
        }
    }

    /// Drives every kind of request through the engines, successes and refusals.
    fn flows(&mut self) {
        let generated = |m: Message| match m {
            Message::ReplyGenerateIdentity(ReplyGenerateIdentity { result: Ok(id) })
            | Message::ReplyDeriveZoneIdentity(ReplyDeriveZoneIdentity { result: Ok(id) })
            | Message::ReplyRotateIdentity(ReplyRotateIdentity { result: Ok(id) }) => id,
            m => panic!("{m:?}"),
        };
        let alice = generated(self.ask("alice", IM, RequestGenerateIdentity::default()));
        let bob = generated(self.ask("bob", IM, RequestGenerateIdentity::default()));
        let zone = generated(self.ask(
            "alice",
            IM,
            RequestDeriveZoneIdentity {
                capabilities: Default::default(),
                master: alice.id(),
                zone: "photos".into(),
            },
        ));
        self.ask(
            "alice",
            IM,
            RequestDeriveZoneIdentity {
                capabilities: Default::default(),
                master: alice.id(),
                zone: "photos".into(),
            },
        );
        let rotated = generated(self.ask(
            "bob",
            IM,
            RequestRotateIdentity {
                external_identity: bob.id(),
            },
        ));
        for (id, reads_for) in [(&zone, true), (&alice, false), (&bob, true)] {
            let ct = match self.ask(
                "carol",
                ENC,
                RequestEncrypt {
                    data: Plaintext(b"seed plaintext".to_vec()),
                    external_identity: id.clone(),
                    use_reads_for: reads_for,
                },
            ) {
                Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) => ct,
                m => panic!("{m:?}"),
            };
            for who in ["alice", "bob", "mallory"] {
                self.ask(who, VAULT, RequestDecryption { data: ct.clone() });
            }
        }
        self.ask(
            "carol",
            ENC,
            RequestEncrypt {
                data: Plaintext(Vec::new()),
                external_identity: ExternalIdentity {
                    verifying_key: [1; 32],
                    encryption_key: [0; 32],
                },
                use_reads_for: false,
            },
        );
        self.ask(
            "carol",
            RF,
            RequestReadsFor {
                external_identity_a: alice.id(),
                external_identity_b: zone.id(),
            },
        );
        self.ask(
            "carol",
            RF,
            RequestQueryReadsForEvidence {
                external_identity: zone.id(),
                continuation: Some(Continuation(vec![1, 2, 3])),
            },
        );
        // Offline grant and revocation, as the CLI signs them.
        let secrets = self.vault().identities[&alice.id()].secrets.clone();
        let bytes = ReadsForEvidence::statement_bytes(&bob, &alice, 9);
        let evidence = ReadsForEvidence {
            from_identity: bob.clone(),
            to_identity: alice.clone(),
            serial: 9,
            signature: self.backend.sign(&secrets, &bytes),
            relation: Default::default(),
        };
        self.ask("carol", RF, RequestSubmitReadsForEvidence { evidence });
        let bytes = ReadsForRevocation::statement_bytes(&bob.id(), &alice, 9);
        let revocation = ReadsForRevocation {
            from_identity: bob.id(),
            to_identity: alice.clone(),
            serial: 9,
            signature: self.backend.sign(&secrets, &bytes),
            relation: Default::default(),
        };
        self.ask("carol", RF, RequestSubmitReadsForRevocation { revocation });
        self.ask(
            "alice",
            IM,
            RequestConnectIdentity {
                capabilities: Default::default(),
                external_identity: alice.id(),
            },
        );
        self.ask(
            "mallory",
            IM,
            RequestConnectIdentity {
                capabilities: Default::default(),
                external_identity: alice.id(),
            },
        );
        self.ask(
            "bob",
            IM,
            RequestDeleteIdentity {
                external_identity: rotated.id(),
            },
        );
        self.ask(
            "mallory",
            VAULT,
            RequestGenerateKey {
                capabilities: Default::default(),
                owner: addr("mallory"),
                read_by: Some(alice.clone()),
            },
        );
        self.ask(
            "mallory",
            VAULT,
            RequestRotateKey {
                external_identity: alice.id(),
            },
        );
        self.ask(
            "mallory",
            VAULT,
            RequestDeleteKey {
                external_identity: alice.id(),
            },
        );
        self.ask("carol", RF, RequestGenerateIdentity::default());
    }
}

/// Where the Naming types sit in the `message` target's decoder list: after the first
/// 48 types, in this order (fuzz_targets/message.rs).
const NAMING_SELECTORS: [&str; 12] = [
    "RequestResolveName",
    "ReplyResolveName",
    "RequestSubmitNameEvidence",
    "ReplySubmitNameEvidence",
    "RequestSubmitNameRevocation",
    "ReplySubmitNameRevocation",
    "RequestQueryNameEvidence",
    "ReplyQueryNameEvidence",
    "NamingError",
    "IdentityName",
    "NameEvidence",
    "NameRevocation",
];

fn naming_selector(type_name: &str) -> u8 {
    let j = NAMING_SELECTORS
        .iter()
        .position(|n| *n == type_name)
        .expect("a Naming type");
    48 + j as u8
}

/// An envelope of every Naming message, with statements signed for real, for the
/// `envelope`, `message` and `frame` targets; names for the `ids` target.
fn naming_seeds(seeds: &mut Seeds, backend: &impl Backend) {
    let (a, b) = (fixed_identity(1), fixed_identity(2));
    let name = |text: &str| IdentityName::parse(text).expect("a valid name");
    let (alice, phone) = (name("alice"), name("alice.phone"));
    let evidence = NameEvidence {
        identity_name: phone.clone(),
        external_identity: b.external.clone(),
        serial: 3,
        signature: backend.sign(&a, &NameEvidence::statement_bytes(&phone, &b.external, 3)),
    };
    let revocation = NameRevocation {
        identity_name: alice.clone(),
        serial: 7,
        signature: backend.sign(&a, &NameRevocation::statement_bytes(&alice, 7)),
    };
    let messages: Vec<Message> = vec![
        RequestResolveName {
            identity_name: phone.clone(),
        }
        .into(),
        ReplyResolveName {
            identity_name: phone.clone(),
            result: Ok(b.external.clone()),
        }
        .into(),
        ReplyResolveName {
            identity_name: phone.clone(),
            result: Err(NamingError::NotVouched {
                parent: alice.clone(),
            }),
        }
        .into(),
        RequestSubmitNameEvidence {
            evidence: evidence.clone(),
        }
        .into(),
        ReplySubmitNameEvidence {
            result: Err(NamingError::NameTaken { holder: a.id() }),
        }
        .into(),
        RequestSubmitNameRevocation {
            revocation: revocation.clone(),
        }
        .into(),
        ReplySubmitNameRevocation { result: Ok(()) }.into(),
        RequestQueryNameEvidence {
            external_identity: b.id(),
        }
        .into(),
        ReplyQueryNameEvidence {
            external_identity: b.id(),
            result: Ok(vec![evidence.clone()]),
        }
        .into(),
    ];
    for (i, message) in messages.into_iter().enumerate() {
        let env = Envelope {
            sender: addr("alice"),
            target: addr("node/naming"),
            correlation: CorrelationId(i as u64 + 1),
            message,
        };
        seeds.put("envelope", &env.to_cbor());
        let message = codec::encode(&env.message);
        seeds.put("message", &[&[0u8][..], &message].concat());
        let body = match codec::decode_value(&message).expect("decodes") {
            ciborium::Value::Map(entries) => codec::encode(&entries[0].1),
            _ => unreachable!("a message is a one-entry map"),
        };
        let selector = naming_selector(env.message.name());
        seeds.put("message", &[&[selector][..], &body].concat());
        let mut frame = Vec::new();
        write_frame(&mut frame, &env).expect("writes");
        seeds.put("frame", &[&[1u8][..], &frame].concat());
    }
    let error = NamingError::ParentUnresolved { parent: alice };
    for (type_name, bytes) in [
        ("NamingError", codec::encode(&error)),
        ("IdentityName", codec::encode(&phone)),
        ("NameEvidence", codec::encode(&evidence)),
        ("NameRevocation", codec::encode(&revocation)),
    ] {
        seeds.put(
            "message",
            &[&[naming_selector(type_name)][..], &bytes].concat(),
        );
    }
    seeds.put("ids", phone.as_str().as_bytes());
    seeds.put("ids", vec!["z".repeat(63); 8].join(".").as_bytes());
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "corpus-seeds".into());
    let mut seeds = Seeds {
        root: PathBuf::from(&root),
        count: BTreeMap::new(),
    };

    let mut envelopes = Vec::new();
    let mut symbolic = Recorder::new(SymbolicBackend::new(1));
    symbolic.flows();
    envelopes.extend(symbolic.seen.clone());
    let mut real = Recorder::new(hpke_backend(1));
    real.flows();
    envelopes.extend(real.seen.clone());
    // Every refusal reply, too.
    let refusals: Vec<Envelope> = envelopes
        .iter()
        .filter_map(|e| e.message.refusal(Refusal::EngineFailed).map(|m| e.reply(m)))
        .collect();
    envelopes.extend(refusals);

    let mut by_name: BTreeMap<&'static str, Vec<&Envelope>> = BTreeMap::new();
    for env in &envelopes {
        by_name.entry(env.message.name()).or_default().push(env);
    }
    let names: Vec<&str> = MESSAGE_NAMES.to_vec();
    for (name, envs) in &by_name {
        let j = names.iter().position(|n| n == name).expect("known name");
        // The message target's selector: 0 is `Message`, then the bodies in
        // MESSAGE_NAMES order with `GeneratedKey` before `ReplyGenerateKey`.
        let selector = if j <= 22 { 1 + j } else { 2 + j } as u8;
        for env in envs.iter().take(3) {
            let bytes = env.to_cbor();
            seeds.put("envelope", &bytes);
            let message = codec::encode(&env.message);
            seeds.put("message", &[&[0u8][..], &message].concat());
            let body = match codec::decode_value(&message).expect("decodes") {
                ciborium::Value::Map(entries) => codec::encode(&entries[0].1),
                _ => unreachable!("a message is a one-entry map"),
            };
            seeds.put("message", &[&[selector][..], &body].concat());
            let mut frame = Vec::new();
            write_frame(&mut frame, env).expect("writes");
            seeds.put("frame", &[&[1u8][..], &frame].concat());
        }
    }
    // A stream of frames, and a frame claiming far more than it has.
    let mut stream = Vec::new();
    for env in envelopes.iter().take(4) {
        write_frame(&mut stream, env).expect("writes");
    }
    seeds.put("frame", &[&[7u8][..], &stream].concat());
    seeds.put("frame", &[7, 0, 0xff, 0xff, 0xff, 0xa0]);

    // Evidence and revocations, signed for real.
    for env in &envelopes {
        match &env.message {
            Message::RequestSubmitReadsForEvidence(r) => seeds.put(
                "evidence",
                &[&[0u8][..], &codec::encode(&r.evidence)].concat(),
            ),
            Message::RequestSubmitReadsForRevocation(r) => seeds.put(
                "evidence",
                &[&[1u8][..], &codec::encode(&r.revocation)].concat(),
            ),
            _ => {}
        }
    }
    let (a, b) = (fixed_identity(1), fixed_identity(2));
    let mut backend = hpke_backend(3);
    let bytes = ReadsForEvidence::statement_bytes(&a.external, &b.external, 4);
    let ev = ReadsForEvidence {
        from_identity: a.external.clone(),
        to_identity: b.external.clone(),
        serial: 4,
        signature: backend.sign(&b, &bytes),
        relation: Default::default(),
    };
    seeds.put("evidence", &[&[0u8][..], &codec::encode(&ev)].concat());
    seeds.put(
        "evidence",
        &[2, 0, 0, 1, 5, 0, 1, 0, 2, 1, 0, 0, 1, 4, 1, 2, 0, 1, 0],
    );

    // Naming: no flow above reaches a Naming engine, so its messages are built here.
    naming_seeds(&mut seeds, &backend);

    // Ciphertexts: real ones for the fixed keys, and symbolic ones.
    let ids: Vec<_> = (1..=3).map(fixed_identity).collect();
    for (len, recipients) in [
        (0usize, vec![0usize]),
        (14, vec![0, 2]),
        (3000, vec![1]),
        (1024, vec![2]),
    ] {
        let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let to: Vec<ExternalIdentity> = recipients
            .iter()
            .map(|&i| ids[i].external.clone())
            .collect();
        let ct = backend.seal(&to, &plaintext).expect("seals");
        seeds.put("ciphertext_open", &[&[0u8][..], &ct.0].concat());
        let header = format::PREFIX_LEN + format::ENTRY_LEN * to.len();
        seeds.put("ciphertext_header", &ct.0[..ct.0.len().min(header + 20)]);
    }
    let mut sym = SymbolicBackend::new(0);
    let held = sym.generate_identity();
    let ct = sym
        .seal(&[held.external.clone()], b"symbolic")
        .expect("seals");
    seeds.put("ciphertext_open", &[&[1u8][..], &ct.0].concat());
    seeds.put("ciphertext_open", &[2, 7, 3, 0, 0x10, 0x08, 2, 0, 5, 0, 1]);
    for env in &envelopes {
        if let Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) = &env.message {
            seeds.put("ciphertext_header", &ct.0);
        }
    }

    // Vault files: cheap ones that open, and a costly one (header only).
    let fast = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
    let state = real.vault().clone();
    let vault =
        vault_file::seal(&state, b"fuzz passphrase", fast, [5; 16], [6; 12]).expect("seals");
    seeds.put("vault_file", &[&[0u8][..], &vault].concat());
    let small = symbolic.vault().clone();
    let vault =
        vault_file::seal(&small, b"fuzz passphrase", fast, [7; 16], [8; 12]).expect("seals");
    seeds.put("vault_file", &[&[0u8][..], &vault].concat());
    let empty = DecryptionState::default();
    let costly = KdfParams {
        memory_kib: 4096,
        ..KdfParams::DEFAULT
    };
    let vault = vault_file::seal(&empty, b"other", costly, [9; 16], [1; 12]).expect("seals");
    seeds.put("vault_file", &[&[0u8][..], &vault].concat());
    seeds.put("vault_file", &[1, 2, 0, 4, 0x10, 1, 3, 0xff, 1, 0, 0]);

    // Text forms.
    for id in [&a.external, &b.external] {
        seeds.put("ids", id.id().to_string().as_bytes());
        seeds.put("ids", id.key_id().to_string().as_bytes());
        seeds.put("ids", id.to_string().as_bytes());
        seeds.put("ids", format!("  {id}\n").as_bytes());
    }
    seeds.put("ids", b"node/encryption-2");

    // Schedules for the node: arbitrary bytes from a fixed stream.
    let mut rng = SeededRng::new(42);
    for len in [64usize, 256, 1024, 4096] {
        let mut bytes = vec![0u8; len];
        hpke::rand_core::TryRng::try_fill_bytes(&mut rng, &mut bytes).expect("infallible");
        seeds.put("node", &bytes);
    }

    for (target, n) in &seeds.count {
        println!(
            "{target}: {n} seeds in {}",
            Path::new(&root).join(target).display()
        );
    }
}
