//! The real link crypto: Noise XX over X25519, ChaCha20-Poly1305 and SHA-256 (`snow`),
//! with the static key's DH and the identity's signature served by the key's holder.
//!
//! Why XX: both static keys travel encrypted, so a passive observer learns neither
//! identity; the responder needs no prior knowledge of who connects, and decides after the
//! third message, once the initiator has proved itself; the first message is an ephemeral
//! key alone, so replaying it can start no more than a handshake that cannot finish. IK
//! would save half a round trip but sends the initiator's identity under the responder's
//! static key alone, and its first message can be replayed with its payload.
//! ChaCha20-Poly1305 is constant-time in software on every target; SHA-256 is already this
//! project's hash.
//!
//! The static key never enters `snow`: the resolver hands `snow` a DH object whose
//! "private key" is only the public key that names it, and whose DH is asked of a
//! [`LinkKey`] (in a node, the vault).

use std::sync::Arc;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use snow::params::{CipherChoice, DHChoice, HashChoice, NoiseParams};
use snow::resolvers::{CryptoResolver, DefaultResolver};
use snow::types::{Cipher, Dh, Hash, Random};
use spec::ExternalIdentity;
use x25519_dalek::{PublicKey, StaticSecret};

use super::crypto::{CryptoFailure, LinkCrypto};
use crate::identity::InternalIdentity;
use crate::secret::Secret32;

/// The Noise protocol name.
pub const PROTOCOL: &str = "Noise_XX_25519_ChaChaPoly_SHA256";

/// Whoever holds an identity's secret keys, serving the two operations a link needs.
pub trait LinkKey: Send + Sync {
    /// The identity.
    fn identity(&self) -> ExternalIdentity;
    /// X25519 of the identity's encryption secret with `peer`; refuses a result of all zeros.
    fn dh(&self, peer: &[u8; 32]) -> Result<Secret32, CryptoFailure>;
    /// An Ed25519 signature by the identity over `message`.
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], CryptoFailure>;
}

/// X25519, refusing a non-contributory result (a low-order peer key).
fn x25519(secret: &[u8; 32], peer: &[u8; 32]) -> Result<Secret32, CryptoFailure> {
    let shared = StaticSecret::from(*secret).diffie_hellman(&PublicKey::from(*peer));
    if !shared.was_contributory() {
        return Err(CryptoFailure::Verify);
    }
    Ok(Secret32::new(*shared.as_bytes()))
}

/// A client that holds its own identity (a key file) serves its own link.
impl LinkKey for InternalIdentity {
    fn identity(&self) -> ExternalIdentity {
        self.external.clone()
    }

    fn dh(&self, peer: &[u8; 32]) -> Result<Secret32, CryptoFailure> {
        x25519(self.encryption_secret.expose(), peer)
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], CryptoFailure> {
        let key = SigningKey::from_bytes(self.signing_seed.expose());
        Ok(key.sign(message).to_bytes())
    }
}

/// The DH object `snow` holds: an ephemeral key it generated, or a handle on the static key.
struct HeldDh {
    key: Arc<dyn LinkKey>,
    public: [u8; 32],
    /// `None` for the static key: its secret stays with the [`LinkKey`].
    ephemeral: Option<StaticSecret>,
}

impl Dh for HeldDh {
    fn name(&self) -> &'static str {
        "25519"
    }

    fn pub_len(&self) -> usize {
        32
    }

    fn priv_len(&self) -> usize {
        32
    }

    /// The "private key" given for the static key is the public key that names it.
    fn set(&mut self, handle: &[u8]) {
        self.public = handle.try_into().unwrap_or([0; 32]);
        self.ephemeral = None;
    }

    fn generate(&mut self, rng: &mut dyn Random) -> Result<(), snow::Error> {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        rng.try_fill_bytes(bytes.as_mut())?;
        let secret = StaticSecret::from(*bytes);
        self.public = PublicKey::from(&secret).to_bytes();
        self.ephemeral = Some(secret);
        Ok(())
    }

    fn pubkey(&self) -> &[u8] {
        &self.public
    }

    fn privkey(&self) -> &[u8] {
        // Only `snow`'s key-pair generator reads this; no secret is ever handed out.
        &[]
    }

    fn dh(&self, pubkey: &[u8], out: &mut [u8]) -> Result<(), snow::Error> {
        // `snow` passes its whole key buffer (longer than an X25519 key): the key leads it.
        let peer: [u8; 32] = pubkey
            .get(..32)
            .and_then(|k| k.try_into().ok())
            .ok_or(snow::Error::Dh)?;
        let shared = match &self.ephemeral {
            Some(secret) => x25519(&secret.to_bytes(), &peer),
            None if self.public == self.key.identity().encryption_key => self.key.dh(&peer),
            None => Err(CryptoFailure::Key),
        }
        .map_err(|_| snow::Error::Dh)?;
        out.get_mut(..32)
            .ok_or(snow::Error::Dh)?
            .copy_from_slice(shared.expose());
        Ok(())
    }
}

/// Resolves the DH to [`HeldDh`] and everything else to `snow`'s own primitives.
struct KeyResolver(Arc<dyn LinkKey>);

impl CryptoResolver for KeyResolver {
    fn resolve_rng(&self) -> Option<Box<dyn Random>> {
        DefaultResolver.resolve_rng()
    }

    fn resolve_dh(&self, choice: &DHChoice) -> Option<Box<dyn Dh>> {
        matches!(choice, DHChoice::Curve25519).then(|| {
            Box::new(HeldDh {
                key: self.0.clone(),
                public: [0; 32],
                ephemeral: None,
            }) as Box<dyn Dh>
        })
    }

    fn resolve_hash(&self, choice: &HashChoice) -> Option<Box<dyn Hash>> {
        DefaultResolver.resolve_hash(choice)
    }

    fn resolve_cipher(&self, choice: &CipherChoice) -> Option<Box<dyn Cipher>> {
        DefaultResolver.resolve_cipher(choice)
    }
}

/// Link crypto for one identity whose keys a [`LinkKey`] holds.
#[derive(Clone)]
pub struct NoiseCrypto {
    key: Arc<dyn LinkKey>,
}

impl std::fmt::Debug for NoiseCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NoiseCrypto({})", self.key.identity().id())
    }
}

impl NoiseCrypto {
    /// Link crypto whose static key and signatures `key` serves.
    pub fn new(key: Arc<dyn LinkKey>) -> Self {
        NoiseCrypto { key }
    }

    fn builder(&self) -> Result<snow::Builder<'static>, CryptoFailure> {
        let params: NoiseParams = PROTOCOL.parse().map_err(|_| CryptoFailure::Key)?;
        Ok(snow::Builder::with_resolver(
            params,
            Box::new(KeyResolver(self.key.clone())),
        ))
    }

    fn build(&self, initiator: bool) -> Result<snow::HandshakeState, CryptoFailure> {
        let handle = self.key.identity().encryption_key;
        let builder = self.builder()?;
        let builder = builder
            .local_private_key(&handle)
            .map_err(|_| CryptoFailure::Key)?;
        if initiator {
            builder.build_initiator()
        } else {
            builder.build_responder()
        }
        .map_err(|_| CryptoFailure::Key)
    }
}

impl LinkCrypto for NoiseCrypto {
    type Handshake = snow::HandshakeState;
    type Session = snow::TransportState;

    fn identity(&self) -> ExternalIdentity {
        self.key.identity()
    }

    fn initiator(&mut self) -> Result<Self::Handshake, CryptoFailure> {
        self.build(true)
    }

    fn responder(&mut self) -> Result<Self::Handshake, CryptoFailure> {
        self.build(false)
    }

    fn write(
        &mut self,
        hs: &mut Self::Handshake,
        payload: &[u8],
    ) -> Result<Vec<u8>, CryptoFailure> {
        let mut out = vec![0u8; super::connection::MAX_MESSAGE];
        let n = hs
            .write_message(payload, &mut out)
            .map_err(|_| CryptoFailure::TooLarge)?;
        out.truncate(n);
        Ok(out)
    }

    fn read(&mut self, hs: &mut Self::Handshake, message: &[u8]) -> Result<Vec<u8>, CryptoFailure> {
        let mut out = vec![0u8; message.len()];
        let n = hs
            .read_message(message, &mut out)
            .map_err(|_| CryptoFailure::Verify)?;
        out.truncate(n);
        Ok(out)
    }

    fn hash(&self, hs: &Self::Handshake) -> [u8; 32] {
        hs.get_handshake_hash().try_into().unwrap_or([0; 32])
    }

    fn remote_static(&self, hs: &Self::Handshake) -> Option<[u8; 32]> {
        hs.get_remote_static().and_then(|k| k.try_into().ok())
    }

    fn split(&mut self, hs: Self::Handshake) -> Result<Self::Session, CryptoFailure> {
        hs.into_transport_mode()
            .map_err(|_| CryptoFailure::OutOfTurn)
    }

    fn seal(
        &mut self,
        session: &mut Self::Session,
        plain: &[u8],
    ) -> Result<Vec<u8>, CryptoFailure> {
        let mut out = vec![0u8; plain.len() + 16];
        let n = session
            .write_message(plain, &mut out)
            .map_err(|_| CryptoFailure::TooLarge)?;
        out.truncate(n);
        Ok(out)
    }

    fn open(
        &mut self,
        session: &mut Self::Session,
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoFailure> {
        let mut out = vec![0u8; message.len()];
        let n = session
            .read_message(message, &mut out)
            .map_err(|_| CryptoFailure::Verify)?;
        out.truncate(n);
        Ok(out)
    }

    fn sign(&mut self, message: &[u8]) -> Result<[u8; 64], CryptoFailure> {
        self.key.sign(message)
    }

    fn verify(&self, verifying_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
        VerifyingKey::from_bytes(verifying_key).is_ok_and(|k| {
            k.verify_strict(message, &Signature::from_bytes(signature))
                .is_ok()
        })
    }
}
