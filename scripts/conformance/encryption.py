"""An independent Encryption engine that runs the `encryption` cases of a
Sealwright conformance suite.

Written from the documentation alone, never from the Rust sources:
docs/conformance/index.md (the randomness table: what the engine draws and
in which order; the rotate-cookie-key host event),
docs/encryption/{index,messages,state,behaviour}.md
(guards, continuations, the cookie ring and its encoding),
docs/reads-for/semantics.md (which readers a reads-for encryption seals to),
and docs/wire-format/ciphertext.md (the ciphertext layout). The rest of the
wire format (schemas, canonical CBOR, envelopes, ids) is in wire.py, and
reading and running the cases in suite.py, both shared with the other
runners here. CBOR by cbor2; X25519, HKDF-SHA256, SHA-256 and
ChaCha20-Poly1305 by cryptography. HPKE (RFC 9180) is assembled here by hand
from those primitives, so nothing but the docs and the RFC decides which
bytes are written.

    python encryption.py SUITE_DIR [--broken skip-readers]

With --broken skip-readers the engine finishes a reads-for request by
sealing to the target alone, ignoring every reader the evidence proves; the
suite must notice.
"""
import hashlib, sys

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

import suite
from suite import rejection
from wire import IDENT, MESSAGES, Refused, not_handled, conforms, decode_canonical, ident, identity_id, key_id

# --- Schemas of this engine's own encodings (see wire.py for the notation) ---
# The continuation's sealed content (state.md, "The continuation's bytes").
PENDING = {"requester": "addr", "correlation": "uint", "target": IDENT, "data": "b"}
# The case files' configuration and state (state.md, "Encoding").
CONFIG = {"address": "addr", "readsFor": "addr", "maxPlaintext": "uint"}
COOKIE_KEY = {"epoch": "uint", "key": "b32"}
STATE = {"cookies": {"current": COOKIE_KEY, "previous": ("opt", COOKIE_KEY)}}


# --- Hashing (cookie ratchet, ciphertext header) -----------------------------
def sha256(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


# --- HPKE, RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305
KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0003
KEM_SUITE = b"KEM" + KEM_ID.to_bytes(2, "big")
HPKE_SUITE = b"HPKE" + b"".join(x.to_bytes(2, "big") for x in (KEM_ID, KDF_ID, AEAD_ID))
MODE_BASE = b"\x00"


def hkdf_extract(salt, ikm):
    h = hmac.HMAC(salt or b"\x00" * 32, hashes.SHA256())  # RFC 5869: empty salt = zeros
    h.update(ikm)
    return h.finalize()


def hkdf_expand(prk, info, length):
    out, block, i = b"", b"", 1
    while len(out) < length:
        h = hmac.HMAC(prk, hashes.SHA256())
        h.update(block + info + bytes([i]))
        block = h.finalize()
        out += block
        i += 1
    return out[:length]


def labeled_extract(suite, salt, label, ikm):
    return hkdf_extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite, prk, label, info, length):
    return hkdf_expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info,
                       length)


def derive_key_pair(ikm):
    """RFC 9180 7.1.3 for X25519: the secret is one labeled expand, no retry.
    Returns (private key object, its 32-byte public key)."""
    prk = labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm)
    sk = X25519PrivateKey.from_private_bytes(labeled_expand(KEM_SUITE, prk, b"sk", b"", 32))
    return sk, sk.public_key().public_bytes_raw()


class BadRecipientKey(Exception):
    pass


def seal_base(pk_r, info, aad, plaintext, ikm_e):
    """SealBase (RFC 9180 6.1) with the ephemeral key DeriveKeyPair(ikm_e):
    returns (enc, ciphertext). A public key whose DH result is all zeros (a
    low-order point) is refused, as 7.1.1 of the RFC requires."""
    sk_e, enc = derive_key_pair(ikm_e)
    try:
        dh = sk_e.exchange(X25519PublicKey.from_public_bytes(pk_r))
    except ValueError as e:  # OpenSSL refuses an all-zero shared secret itself
        raise BadRecipientKey(str(e))
    if dh == bytes(32):
        raise BadRecipientKey("all-zero shared secret")
    # Encap: ExtractAndExpand(dh, enc | pkR)
    eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    shared = labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", enc + pk_r, 32)
    # KeySchedule in base mode: empty psk and psk_id
    context = (MODE_BASE + labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
               + labeled_extract(HPKE_SUITE, b"", b"info_hash", info))
    secret = labeled_extract(HPKE_SUITE, shared, b"secret", b"")
    key = labeled_expand(HPKE_SUITE, secret, b"key", context, 32)
    base_nonce = labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, 12)
    # sequence number 0: the nonce is base_nonce itself
    return enc, ChaCha20Poly1305(key).encrypt(base_nonce, plaintext, aad)


# --- Ciphertexts (ciphertext.md "Layout") -------------------------------------
CT_INFO = b"sealwright/ciphertext/v1/suite-1"
# The engine's requests carry no chunk size, so it uses the format's default
# (ciphertext.md); the suite's headers agree (byte 6 is 0x10).
CHUNK_LOG2 = 16
MAX_RECIPIENTS = 1024


def seal(recipients, plaintext, draws):
    """Seal plaintext to recipients (identities sorted by id, deduplicated).
    Draws the content key, then one ikmE per recipient in header order; a
    refused key stops the draws there. Returns the ciphertext, or None when a
    recipient's key is refused."""
    content_key = draws.take(32)
    entries = []
    for r in recipients:
        iid, kid = identity_id(r), key_id(r["encryptionKey"])
        try:
            enc, wrapped = seal_base(r["encryptionKey"], CT_INFO, iid + kid, content_key,
                                     draws.take(32))
        except BadRecipientKey:
            return None
        entries.append(iid + kid + enc + wrapped)
    header = (b"SWCT\x01\x01" + bytes([CHUNK_LOG2]) + len(entries).to_bytes(2, "big")
              + b"".join(entries))
    h = sha256(header)
    size, aead = 1 << CHUNK_LOG2, ChaCha20Poly1305(content_key)
    # Full chunks, then a last one of 0..S bytes; it is empty only for an empty
    # payload, so a payload that is a multiple of S ends with a full last chunk.
    pieces = [plaintext[i:i + size] for i in range(0, len(plaintext), size)] or [b""]
    chunks = [aead.encrypt(bytes(3) + i.to_bytes(8, "big") + bytes([i == len(pieces) - 1]),
                           piece, h)
              for i, piece in enumerate(pieces)]
    return header + b"".join(chunks)


# --- Cookie ring (state.md "Cookie keys and epochs") --------------------------
def ratchet(key):
    return sha256(b"sealwright/cookie-ratchet/v1\x00", key)


CONT_AAD = b"sealwright/continuation/v1"


class ContinuationRefused(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# --- The engine (behaviour.md) -------------------------------------------------
class Encryption:
    def __init__(self, config, state, broken=None):
        if not conforms(config, CONFIG):
            raise ValueError("config.cbor is not an encryption-config")
        if not conforms(state, STATE):
            raise ValueError("pre.cbor is not an encryption-state")
        self.address, self.reads_for = config["address"], config["readsFor"]
        self.max_plaintext, self.broken = config["maxPlaintext"], broken
        ring = state["cookies"]
        self.current = (ring["current"]["epoch"], ring["current"]["key"])
        prev = ring["previous"]
        self.previous = None if prev is None else (prev["epoch"], prev["key"])

    def state(self):
        def key(k):
            return {"epoch": k[0], "key": k[1]}
        return {"cookies": {"current": key(self.current),
                            "previous": None if self.previous is None else key(self.previous)}}

    def rotate_cookie_key(self):
        """Host event: the current key is kept as previous for one more period
        (the old previous is dropped), and the new one is its ratchet."""
        epoch, key = self.current
        self.previous, self.current = self.current, (epoch + 1, ratchet(key))

    def step(self, env, draws):
        """One envelope in: (envelopes sent, rejections recorded, guard row)."""
        (name, body), = env["message"].items()
        if env["target"] != self.address:
            return [], [rejection(env, name, "Misaddressed")], "misaddressed"
        if name == "RequestEncrypt":
            if not body["useReadsFor"]:
                result = self.seal_result([body["externalIdentity"]], body["data"], draws)
                return [self.answer(env["sender"], env["correlation"], "ReplyEncrypt",
                                    {"result": result})], [], "seal-directly"
            return [self.query(env, body, draws)], [], "query-reads-for"
        if name == "ReplyQueryReadsForEvidence":
            if env["sender"] != self.reads_for:
                return [], [rejection(env, name, "UnexpectedSender")], "unexpected-sender"
            try:
                return [self.finish(body, draws)], [], "finish"
            except ContinuationRefused as why:
                return [], [rejection(env, name, why.reason)], "finish"
        if name.startswith("Request"):
            return [self.answer(env["sender"], env["correlation"], "Reply" + name[7:],
                                not_handled(name, body))], [], "not-handled"
        return [], [rejection(env, name, "UnexpectedReply")], "unexpected-reply"

    def answer(self, to, correlation, name, body):
        return {"sender": self.address, "target": to, "correlation": correlation,
                "message": {name: body}}

    def seal_result(self, recipients, data, draws):
        """The `result` of a ReplyEncrypt: checks that cost no randomness come
        first, so a request that cannot be sealed draws nothing."""
        if len(data) > self.max_plaintext:
            return {"Err": "PlaintextTooLarge"}
        unique = {identity_id(r): ident(r) for r in recipients}
        if len(unique) > MAX_RECIPIENTS:
            return {"Err": "TooManyRecipients"}
        ciphertext = seal([unique[i] for i in sorted(unique)], data, draws)
        return {"Err": "InvalidRecipient"} if ciphertext is None else {"Ok": ciphertext}

    # -- query-reads-for
    def query(self, env, body, draws):
        if len(body["data"]) > self.max_plaintext:  # never ask about what cannot be sealed
            return self.answer(env["sender"], env["correlation"], "ReplyEncrypt",
                               {"result": {"Err": "PlaintextTooLarge"}})
        pending = {"requester": env["sender"], "correlation": env["correlation"],
                   "target": ident(body["externalIdentity"]), "data": body["data"]}
        epoch, key = self.current
        prefix = epoch.to_bytes(8, "big")
        nonce = draws.take(12)
        continuation = prefix + nonce + ChaCha20Poly1305(key).encrypt(
            nonce, cbor2.dumps(pending), CONT_AAD + prefix)
        # The query's id is the nonce's first 8 bytes (continuation bytes 8..16),
        # so it costs no draw of its own.
        return self.answer(self.reads_for, int.from_bytes(continuation[8:16], "big"),
                           "RequestQueryReadsForEvidence",
                           {"externalIdentity": identity_id(body["externalIdentity"]),
                            "continuation": continuation})

    # -- finish
    def key_for(self, epoch):
        """The cookie key of a continuation's epoch, per the epoch table."""
        now, key = self.current
        if epoch == now:
            return key
        if epoch == now + 1:  # a peer rotated first: follow it without rotating
            return ratchet(key)
        if epoch > now + 1:
            raise ContinuationRefused("ContinuationInvalid")
        if self.previous is not None and epoch == self.previous[0]:
            return self.previous[1]
        raise ContinuationRefused("ContinuationExpired")

    def open_continuation(self, cont):
        if cont is None or len(cont) < 8:
            raise ContinuationRefused("ContinuationInvalid")
        key = self.key_for(int.from_bytes(cont[:8], "big"))
        if len(cont) < 8 + 12 + 16:
            raise ContinuationRefused("ContinuationInvalid")
        try:
            plain = ChaCha20Poly1305(key).decrypt(cont[8:20], cont[20:], CONT_AAD + cont[:8])
            pending = decode_canonical(plain)
        except (InvalidTag, Refused):
            raise ContinuationRefused("ContinuationInvalid")
        if not conforms(pending, PENDING):
            raise ContinuationRefused("ContinuationInvalid")
        return pending

    def finish(self, body, draws):
        pending = self.open_continuation(body["continuation"])
        target = pending["target"]
        if body["externalIdentity"] != identity_id(target):
            raise ContinuationRefused("SubjectMismatch")
        result = body["result"]
        if "Err" in result:
            out = {"Err": {"ReadsFor": result["Err"]}}
        else:
            readers = [] if self.broken == "skip-readers" else readers_of(target, result["Ok"])
            out = self.seal_result([target] + readers, pending["data"], draws)
        return self.answer(pending["requester"], pending["correlation"], "ReplyEncrypt",
                           {"result": out})


def readers_of(target, evidence):
    """Everyone on a chain of edges into the target, recomputed from the
    evidence as given (reads-for semantics.md, chains_into): an edge that
    does not lead to the target widens nothing, and edges leaving the target
    are never followed."""
    by_subject = {}
    for e in evidence:
        by_subject.setdefault(identity_id(e["toIdentity"]), []).append(e["fromIdentity"])
    seen, frontier, readers = {identity_id(target)}, [identity_id(target)], []
    while frontier:
        for reader in by_subject.get(frontier.pop(), []):
            readers.append(reader)
            rid = identity_id(reader)
            if rid not in seen:
                seen.add(rid)
                frontier.append(rid)
    return readers


# --- Showing a difference ----------------------------------------------------
def fold_ciphertexts(v):
    """Show a ciphertext (a ReplyEncrypt's Ok bytes) as its parts, so that a
    diff says which recipient or chunk differs instead of one long hex line."""
    if isinstance(v, dict):
        if list(v) == ["Ok"] and isinstance(v["Ok"], bytes) and v["Ok"][:4] == b"SWCT":
            return {"Ok": explain_ciphertext(v["Ok"])}
        return {k: fold_ciphertexts(x) for k, x in v.items()}
    if isinstance(v, list):
        return [fold_ciphertexts(x) for x in v]
    return v


def explain_ciphertext(ct):
    if len(ct) < 9:
        return ct
    count = int.from_bytes(ct[7:9], "big")
    entries, end = [], 9 + 108 * count
    for i in range(9, min(end, len(ct)), 108):
        e = ct[i:i + 108]
        entries.append({"identity_id": e[:20], "key_id": e[20:28], "enc": e[28:60],
                        "wrapped_key": e[60:]})
    size = (1 << ct[6]) + 16
    return {"prefix": ct[:9], "recipients": entries,
            "chunks": [ct[i:i + size] for i in range(end, len(ct), size)]}


if __name__ == "__main__":
    sys.exit(suite.main("encryption", __doc__, Encryption, broken=["skip-readers"],
                        events={"rotate-cookie-key": Encryption.rotate_cookie_key},
                        view=fold_ciphertexts))
