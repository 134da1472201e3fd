#!/usr/bin/env python3
"""Checks Sealwright's test vectors with independent libraries.

Written from the wire-format pages of the docs only (docs/wire-format/*.md),
never from the Rust code: cbor2 decodes and re-encodes every CBOR vector,
`cryptography` verifies every Ed25519 signature and opens every payload chunk,
pyhpke unwraps every content key. The message table and the value types are
read from docs/wire-format/envelope.md itself, so the docs and the bytes
cannot drift apart unnoticed.

    python3 scripts/interop.py [--vectors spec/vectors] [--docs docs/wire-format]

Prints a summary and exits non-zero on any mismatch. Negative checks (an
altered chunk, an altered header, a dropped final chunk, an altered signature)
must be refused, so the run cannot pass vacuously; the `refused` ciphertext
vectors must be refused with exactly the error the page prescribes. Every
statement (reads-for and signs-for evidence and revocations, commitments, name
evidence and revocations) is rebuilt from its decoded fields and its domain
label, never taken from the vector, and must not verify under any other label.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path

import cbor2
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyhpke import AEADId, CipherSuite, KDFId, KEMId

# --- docs/wire-format/ciphertext.md -----------------------------------------
MAGIC = b"SWCT"
VERSION = 1
SUITE = 1
CHUNK_LOG2_RANGE = range(10, 21)
MAX_RECIPIENTS = 1024
PREFIX_LEN = 9
ENTRY_LEN = 20 + 8 + 32 + 48
TAG_LEN = 16
HPKE_INFO = b"sealwright/ciphertext/v1/suite-1"
IDENTITY_ID_DOMAIN = b"sealwright/identity-id/v1"
KEY_ID_DOMAIN = b"sealwright/key-id/v1"
SUITE_1 = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.CHACHA20_POLY1305)

# --- docs/wire-format/envelope.md ---------------------------------------------
EVIDENCE_DOMAIN = "sealwright/reads-for/v1"
REVOCATION_DOMAIN = "sealwright/reads-for-revocation/v1"
SIGNS_FOR_DOMAIN = "sealwright/signs-for/v1"
SIGNS_FOR_REVOCATION_DOMAIN = "sealwright/signs-for-revocation/v1"
COMMITMENT_DOMAIN = "sealwright/commitment/v1"
NAME_DOMAIN = "sealwright/name/v1"
NAME_REVOCATION_DOMAIN = "sealwright/name-revocation/v1"
DOMAINS = (
    EVIDENCE_DOMAIN,
    REVOCATION_DOMAIN,
    SIGNS_FOR_DOMAIN,
    SIGNS_FOR_REVOCATION_DOMAIN,
    COMMITMENT_DOMAIN,
    NAME_DOMAIN,
    NAME_REVOCATION_DOMAIN,
)
ADDRESS = re.compile(r"[A-Za-z0-9._/-]{1,128}\Z")
# "Names": labels of a-z, 0-9 and inner hyphens, 1..63 bytes, 1..8 of them joined by dots.
NAME_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
IDENTITY_NAME = re.compile(rf"{NAME_LABEL}([.]{NAME_LABEL}){{0,7}}\Z")


class Refused(Exception):
    """The input is not a valid Sealwright ciphertext, or does not open.

    `error` is the DecryptionError the page says to report, as the wire writes
    it (decoded to JSON): "Truncated", {"Malformed": "RecipientOrder"}, ...
    """

    def __init__(self, error, why: str) -> None:
        super().__init__(f"{error}: {why}")
        self.error = error


def malformed(fault: str, why: str) -> Refused:
    return Refused({"Malformed": fault}, why)


class Report:
    """Counts passed checks by kind and collects failures."""

    def __init__(self) -> None:
        self.passed: Counter[str] = Counter()
        self.failures: list[str] = []

    def check(self, kind: str, ok: bool, what: str) -> bool:
        if ok:
            self.passed[kind] += 1
        else:
            self.failures.append(f"{kind}: {what}")
        return ok


# ---------------------------------------------------------------------------
# The documented types, parsed from envelope.md


def split_top(text: str, sep: str) -> list[str]:
    """Splits on `sep` outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "{[(<":
            depth += 1
        elif c in "}])>":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse_fields(body: str) -> list[tuple[str, str]]:
    """`a: T, b: U` -> [("a", "T"), ("b", "U")]."""
    if not body.strip():
        return []
    fields = []
    for part in split_top(body, ","):
        name, _, ty = part.partition(":")
        fields.append((name.strip(), ty.strip()))
    return fields


class Docs:
    """The message table and the value types of envelope.md."""

    def __init__(self, envelope_md: str) -> None:
        self.text = envelope_md
        self.messages: dict[str, list[tuple[str, str]]] = {}
        for name, body in re.findall(r"`((?:Request|Reply)\w+) \{([^`]*)\}`", envelope_md):
            self.messages[name] = parse_fields(body)
        section = envelope_md.partition("\n## Value types")[2].partition("\n## ")[0]
        block = re.search(r"```text\n(.*?)```", section, re.S)
        if not block:
            raise SystemExit("envelope.md has no ```text block under `## Value types`")
        self.types: dict[str, str] = {}
        for line in block.group(1).splitlines():
            line = line.split(";")[0].strip()
            if "=" in line:
                name, _, definition = line.partition("=")
                self.types[name.strip()] = definition.strip()
        self.errors: dict[str, dict[str, str | None]] = {}
        for name, definition in self.types.items():
            if name[0].isupper():
                variants: dict[str, str | None] = {}
                for v in split_top(definition, "|"):
                    m = re.fullmatch(r"(\w+)(?:\((\w+)\)|(\{.*\}))?", v)
                    if not m:
                        raise SystemExit(f"envelope.md: cannot read error variant `{v}`")
                    variants[m.group(1)] = m.group(2) or m.group(3)
                self.errors[name] = variants

    def check(self, value, ty: str, path: str) -> list[str]:
        """Problems with `value` as a documented `ty` (empty when it conforms)."""
        ty = ty.strip()
        if " / " in ty:
            options = split_top(ty, " / ")
            if len(options) > 1:
                if "null" in options and value is None:
                    return []
                problems = [p for o in options if o != "null" for p in self.check(value, o, path)]
                return problems
        if ty.startswith('"'):
            # `"A" | "B"`: one of these text strings.
            literals = [o.strip('"') for o in split_top(ty, "|")]
            return [] if value in literals else [f"{path}: {value!r} is not one of {literals}"]
        if ty == "null":
            return [] if value is None else [f"{path}: {value!r} is not null"]
        if ty == "bool":
            return [] if isinstance(value, bool) else [f"{path}: not a bool"]
        if ty == "uint":
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64
            return [] if ok else [f"{path}: {value!r} is not a uint"]
        if ty == "text":
            return [] if isinstance(value, str) else [f"{path}: not text"]
        if ty == "address":
            ok = isinstance(value, str) and ADDRESS.match(value)
            return [] if ok else [f"{path}: {value!r} is not an address"]
        if ty == "identity-name":
            ok = isinstance(value, str) and IDENTITY_NAME.match(value)
            return [] if ok else [f"{path}: {value!r} is not a name"]
        m = re.fullmatch(r"bytes(\d*)", ty)
        if m:
            if not isinstance(value, bytes):
                return [f"{path}: not a byte string"]
            if m.group(1) and len(value) != int(m.group(1)):
                return [f"{path}: {len(value)} bytes, not {m.group(1)}"]
            return []
        if ty.startswith("[") and ty.endswith("]"):
            if not isinstance(value, list):
                return [f"{path}: not an array"]
            return [p for i, item in enumerate(value) for p in self.check(item, ty[1:-1], f"{path}[{i}]")]
        if ty.startswith("{") and ty.endswith("}"):
            return self.check_map(value, parse_fields(ty[1:-1]), path)
        m = re.fullmatch(r"Result<(.*)>", ty)
        if m:
            ok_ty, err_ty = split_top(m.group(1), ",")
            if not (isinstance(value, dict) and len(value) == 1):
                return [f"{path}: a result is a one-entry map"]
            (key, inner), = value.items()
            if key == "Ok":
                return self.check(inner, ok_ty, f"{path}.Ok")
            if key == "Err":
                return self.check_error(inner, err_ty, f"{path}.Err")
            return [f"{path}: result key {key!r}"]
        if ty == "message":
            if not (isinstance(value, dict) and len(value) == 1):
                return [f"{path}: a message is a one-entry map"]
            (name, body), = value.items()
            if name not in self.messages:
                return [f"{path}: {name!r} is not in the docs' message table"]
            return self.check_map(body, self.messages[name], f"{path}.{name}")
        if ty in self.errors:
            return self.check_error(value, ty, path)
        if ty in self.types:
            return self.check(value, self.types[ty], path)
        return [f"{path}: the docs do not define type {ty!r}"]

    def check_map(self, value, fields: list[tuple[str, str]], path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: not a map"]
        # `f: T?` may be left out (it then has its default, which T excludes).
        fields = [(k, ty.removesuffix("?")) for k, ty in fields if k in value or not ty.endswith("?")]
        keys = [k for k, _ in fields]
        if list(value.keys()) != keys:
            return [f"{path}: keys {list(value.keys())} are not the documented {keys}, in that order"]
        return [p for k, ty in fields for p in self.check(value[k], ty, f"{path}.{k}")]

    def check_error(self, value, ty: str, path: str) -> list[str]:
        variants = self.errors.get(ty)
        if variants is None:
            return [f"{path}: the docs do not define error type {ty!r}"]
        if isinstance(value, str):
            if variants.get(value, "missing") is None:
                return []
            return [f"{path}: {value!r} is not a data-less {ty}"]
        if isinstance(value, dict) and len(value) == 1:
            (name, inner), = value.items()
            if name not in variants or variants[name] is None:
                return [f"{path}: {name!r} is not a {ty} variant with data"]
            return self.check(inner, variants[name], f"{path}.{name}")
        return [f"{path}: {value!r} is not a {ty}"]


# ---------------------------------------------------------------------------
# Helpers


def from_json(v):
    """The vectors' `decoded` rendering -> the Python value cbor2 gives."""
    if isinstance(v, dict):
        if list(v.keys()) == ["$bytes"]:
            return bytes.fromhex(v["$bytes"])
        return {k: from_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_json(x) for x in v]
    return v


def same(a, b) -> bool:
    """Equal, with map keys in the same order and no bool/int confusion."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def strict_loads(data: bytes):
    """cbor2.loads, refusing tags and floats (the docs allow neither)."""
    value = cbor2.loads(data)

    def walk(v):
        if isinstance(v, (cbor2.CBORTag, float)) or v is cbor2.undefined:
            raise ValueError(f"{type(v).__name__} in a Sealwright value")
        for x in v.values() if isinstance(v, dict) else v if isinstance(v, list) else []:
            walk(x)

    walk(value)
    return value


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower().rstrip("=")


def identity_map(verifying_key: bytes, encryption_key: bytes) -> dict:
    return {"verifyingKey": verifying_key, "encryptionKey": encryption_key}


def identity_id(identity: dict) -> bytes:
    return hashlib.sha256(IDENTITY_ID_DOMAIN + b"\x00" + cbor2.dumps(identity)).digest()[:20]


def key_id(encryption_key: bytes) -> bytes:
    return hashlib.sha256(KEY_ID_DOMAIN + b"\x00" + encryption_key).digest()[:8]


def raw_public(key) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# ---------------------------------------------------------------------------
# Ciphertexts, step by step as in ciphertext.md "Decrypting, step by step"


def parse_header(data: bytes) -> tuple[int, list[dict], bytes]:
    if len(data) < PREFIX_LEN:
        if MAGIC.startswith(data[:4]):
            raise malformed("HeaderTruncated", "input ends within the first 9 bytes")
        raise malformed("BadMagic", "not a ciphertext")
    if data[:4] != MAGIC:
        raise malformed("BadMagic", "not a ciphertext")
    if data[4] != VERSION:
        raise malformed("UnsupportedVersion", f"version {data[4]}")
    if data[5] != SUITE:
        raise malformed("UnsupportedSuite", f"suite {data[5]}")
    chunk_log2 = data[6]
    if chunk_log2 not in CHUNK_LOG2_RANGE:
        raise malformed("ChunkSize", f"chunk_log2 {chunk_log2}")
    count = int.from_bytes(data[7:9], "big")
    if not 1 <= count <= MAX_RECIPIENTS:
        raise malformed("RecipientCount", f"{count} recipients")
    end = PREFIX_LEN + count * ENTRY_LEN
    if len(data) < end:
        raise malformed("HeaderTruncated", "input ends within the entries")
    entries = []
    for i in range(count):
        e = data[PREFIX_LEN + i * ENTRY_LEN : PREFIX_LEN + (i + 1) * ENTRY_LEN]
        entries.append({"identity_id": e[:20], "key_id": e[20:28], "enc": e[28:60], "wrapped": e[60:108]})
    # Strictly ascending identity ids, compared as bytes (Python compares bytes unsigned, first byte first).
    ids = [e["identity_id"] for e in entries]
    if any(a >= b for a, b in zip(ids, ids[1:])):
        raise malformed("RecipientOrder", "identity ids not strictly ascending")
    return chunk_log2, entries, data[:end]


def open_ciphertext(data: bytes, x25519_private: bytes, own_identity_id: bytes) -> bytes:
    chunk_log2, entries, header = parse_header(data)
    h = hashlib.sha256(header).digest()
    own_key_id = key_id(raw_public(X25519PrivateKey.from_private_bytes(x25519_private)))
    entry = next((e for e in entries if e["key_id"] == own_key_id and e["identity_id"] == own_identity_id), None)
    if entry is None:
        raise Refused("NoMatchingKey", "no entry names this key")
    skr = SUITE_1.kem.deserialize_private_key(x25519_private)
    try:
        ctx = SUITE_1.create_recipient_context(entry["enc"], skr, info=HPKE_INFO)
        content_key = ctx.open(entry["wrapped"], aad=entry["identity_id"] + entry["key_id"])
    except Exception as e:  # pyhpke raises OpenError; a bad enc raises others
        raise Refused("AuthenticationFailed", f"wrapped key does not open: {e}") from e
    if len(content_key) != 32:
        raise Refused("AuthenticationFailed", "content key is not 32 bytes")
    return open_payload(ChaCha20Poly1305(content_key), h, (1 << chunk_log2) + TAG_LEN, data[len(header) :])


def open_payload(aead: ChaCha20Poly1305, h: bytes, sealed: int, rest: bytes) -> bytes:
    """Steps 4 and 5: pieces of S + 16 bytes; the last is short or followed by nothing."""

    def nonce(index: int, last: bool) -> bytes:
        return b"\x00\x00\x00" + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")

    out, index, at = [], 0, 0
    while True:
        piece = rest[at : at + sealed]
        at += len(piece)
        last = len(piece) < sealed or at == len(rest)
        if len(piece) < TAG_LEN:
            raise Refused("Truncated", f"{len(piece)} bytes where chunk {index} should be")
        try:
            out.append(aead.decrypt(nonce(index, last), piece, h))
        except InvalidTag as e:
            try:
                aead.decrypt(nonce(index, False), piece, h)
                cut = last and len(piece) == sealed
            except InvalidTag:
                cut = False
            if cut:
                raise Refused("Truncated", f"cut at the chunk boundary after chunk {index}") from e
            raise Refused("AuthenticationFailed", f"chunk {index} does not verify") from e
        if last:
            return b"".join(out)
        index += 1


# ---------------------------------------------------------------------------
# The checks


def check_envelopes(vectors: Path, docs: Docs, by_id: dict[bytes, dict], r: Report) -> None:
    file = json.loads((vectors / "envelopes.json").read_text())
    seen: Counter[str] = Counter()
    for v in file["vectors"]:
        name, data = v["name"], bytes.fromhex(v["cbor"])
        try:
            value = strict_loads(data)
        except Exception as e:
            r.check("envelope decodes", False, f"{name}: {e}")
            continue
        r.check("envelope decodes", True, name)
        r.check("envelope re-encodes to the same bytes", cbor2.dumps(value) == data, name)
        r.check("envelope equals its JSON description", same(value, from_json(v["decoded"])), name)
        problems = docs.check(value, "envelope", name)
        r.check("envelope matches the documented types", not problems, "; ".join(problems))
        message = next(iter(value.get("message", {})), None) if isinstance(value, dict) else None
        r.check("envelope names its message", message == v["message"], name)
        seen[message] += 1
    # The type check is not vacuous: a reordered body and an unknown error are refused.
    first = strict_loads(bytes.fromhex(file["vectors"][0]["cbor"]))
    (mname, body), = first["message"].items()
    reordered = dict(first, message={mname: dict(reversed(list(body.items())))})
    r.check("negative: a reordered message body is refused", bool(docs.check(reordered, "envelope", "")), mname)
    exploded = dict(first, message={"ReplyDeleteKey": {"result": {"Err": "Exploded"}}})
    r.check("negative: an undocumented error is refused", bool(docs.check(exploded, "envelope", "")), "Exploded")
    missing = sorted(set(docs.messages) - set(seen))
    r.check("every documented message has a vector", not missing, f"no vector for {missing}")
    r.check("the docs list 48 messages", len(docs.messages) == 48, f"found {sorted(docs.messages)}")
    # Names are checked, not just typed as text.
    resolve = next(strict_loads(bytes.fromhex(v["cbor"])) for v in file["vectors"] if v["message"] == "RequestResolveName")
    for bad in ("Alice", "", "a..b", "alice.", "-a", "a-", "a_b", "caf\u00e9", "a" * 64, ".".join("abcdefghi")):
        renamed = dict(resolve, message={"RequestResolveName": {"identityName": bad}})
        r.check("negative: a bad name is refused", bool(docs.check(renamed, "envelope", "")), repr(bad[:20]))
    for good in ("a", "0-9", "a--b", ".".join(["z" * 63] * 8)):
        renamed = dict(resolve, message={"RequestResolveName": {"identityName": good}})
        r.check("a name at the limits is accepted", not docs.check(renamed, "envelope", ""), repr(good[:20]))
    check_envelope_commitments(file["vectors"], by_id, r)
    check_envelope_names(file["vectors"], by_id, r)


def check_envelope_commitments(vectors: list[dict], by_id: dict[bytes, dict], r: Report) -> None:
    """Every commitment an envelope carries verifies over the data it is a commitment to.

    In `RequestVerification` that is the message's own `data`; in an `Ok` of
    `ReplyCommitment`, the `data` of the `RequestCommitment` it answers (same
    correlation, addresses swapped), by the key of the identity that request names.
    """
    values = [(v["name"], strict_loads(bytes.fromhex(v["cbor"]))) for v in vectors]
    requests = {}
    for name, env in values:
        (mname, body), = env["message"].items()
        if mname == "RequestCommitment":
            requests[(env["sender"], env["target"], env["correlation"])] = body
    checked = 0
    for name, env in values:
        (mname, body), = env["message"].items()
        if mname == "RequestVerification":
            data, c, key = body["data"], body["commitment"], None
            if not body["useSignsFor"]:
                key = body["externalIdentity"]["verifyingKey"]
        elif mname == "ReplyCommitment" and "Ok" in body["result"]:
            request = requests.get((env["target"], env["sender"], env["correlation"]))
            if not r.check("envelope commitment: answers a RequestCommitment", request is not None, name):
                continue
            data, c = request["data"], body["result"]["Ok"]
            signer = by_id.get(request["externalIdentity"])
            if not r.check("envelope commitment: names a test identity", signer is not None, name):
                continue
            key = signer["verifyingKey"]
        else:
            continue
        statement = cbor2.dumps([COMMITMENT_DOMAIN, data])
        if key is not None:
            r.check("envelope commitment: made with the named identity's key", c["verifyingKey"] == key, name)
        r.check("envelope commitment: Ed25519 signature verifies", verify(c["verifyingKey"], c["signature"], statement), name)
        checked += 1
    r.check("envelope commitment: some envelopes carry one", checked >= 3, f"{checked} checked")


def name_statement(value: dict) -> bytes:
    """The statement a name evidence or revocation map's signature covers, rebuilt from its fields."""
    if "externalIdentity" in value:
        return cbor2.dumps([NAME_DOMAIN, value["identityName"], value["externalIdentity"], value["serial"]])
    return cbor2.dumps([NAME_REVOCATION_DOMAIN, value["identityName"], value["serial"]])


def check_envelope_names(vectors: list[dict], by_id: dict[bytes, dict], r: Report) -> None:
    """Every name statement an envelope carries is signed by one of the test identities.

    The map does not name its signer (the Naming engine's rules do), so each is
    checked against every test identity's signing key: exactly one must verify.
    """
    # Distinct keys: a rotated identity keeps its signing key.
    keys = sorted({ident["verifyingKey"] for ident in by_id.values()})
    checked = 0
    for v in vectors:
        env = strict_loads(bytes.fromhex(v["cbor"]))
        (mname, body), = env["message"].items()
        if mname == "RequestSubmitNameEvidence":
            statements = [body["evidence"]]
        elif mname == "RequestSubmitNameRevocation":
            statements = [body["revocation"]]
        elif mname == "ReplyQueryNameEvidence" and "Ok" in body["result"]:
            statements = body["result"]["Ok"]
        else:
            continue
        for value in statements:
            signers = [k for k in keys if verify(k, value["signature"], name_statement(value))]
            r.check("envelope name statement: signed by exactly one test identity", len(signers) == 1, v["name"])
            checked += 1
    r.check("envelope name statement: some envelopes carry one", checked >= 4, f"{checked} checked")


def check_identities(vectors: Path, r: Report) -> dict[bytes, dict]:
    file = json.loads((vectors / "evidence.json").read_text())
    by_id = {}
    for i in file["identities"]:
        name = i["name"]
        vk, ek = bytes.fromhex(i["ed25519_public_key"]), bytes.fromhex(i["x25519_public_key"])
        seed, sk = bytes.fromhex(i["ed25519_seed"]), bytes.fromhex(i["x25519_private_key"])
        ident = identity_map(vk, ek)
        iid = identity_id(ident)
        r.check("identity: Ed25519 seed gives its public key", raw_public(Ed25519PrivateKey.from_private_bytes(seed)) == vk, name)
        r.check("identity: X25519 private key gives its public key", raw_public(X25519PrivateKey.from_private_bytes(sk)) == ek, name)
        r.check("identity: canonical CBOR", cbor2.dumps(ident) == bytes.fromhex(i["identity_cbor"]), name)
        r.check("identity: identity id", iid.hex() == i["identity_id"], name)
        r.check("identity: key id", key_id(ek).hex() == i["key_id"], name)
        r.check("identity: text forms",
                i["identity_id_text"] == "sw1" + b32(iid)
                and i["key_id_text"] == "swk1" + b32(key_id(ek))
                and i["public_text"] == "swpub1" + b32(vk + ek), name)
        by_id[iid] = ident
    return by_id


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except InvalidSignature:
        return False


# (file key, documented type, domain label, key naming the member): the statements of both relations.
STATEMENTS = (
    ("evidence", "evidence", EVIDENCE_DOMAIN, "reader"),
    ("revocations", "revocation", REVOCATION_DOMAIN, "reader"),
    ("signs_for_evidence", "evidence", SIGNS_FOR_DOMAIN, "member"),
    ("signs_for_revocations", "revocation", SIGNS_FOR_REVOCATION_DOMAIN, "member"),
)


def check_domains(docs: Docs, r: Report) -> None:
    """Every label this script signs under is written, as a CBOR text string, on the envelope page."""
    for domain in DOMAINS:
        r.check("domain label is on the envelope page", f'["{domain}",' in docs.text, domain)


def check_statements(vectors: Path, docs: Docs, r: Report) -> None:
    file = json.loads((vectors / "evidence.json").read_text())
    by_name = {
        i["name"]: identity_map(bytes.fromhex(i["ed25519_public_key"]), bytes.fromhex(i["x25519_public_key"]))
        for i in file["identities"]
    }
    for kind, ty, domain, member in STATEMENTS:
        label = f"{domain.split('/')[1].removesuffix('-revocation')} {ty}"  # "reads-for evidence", ...
        r.check(f"{label}: vectors present", bool(file.get(kind)), kind)
        for v in file.get(kind, []):
            name, data = v["name"], bytes.fromhex(v["cbor"])
            try:
                value = strict_loads(data)
            except Exception as e:
                r.check(f"{label} decodes", False, f"{name}: {e}")
                continue
            r.check(f"{label} decodes", True, name)
            r.check(f"{label} re-encodes to the same bytes", cbor2.dumps(value) == data, name)
            r.check(f"{label} equals its JSON description", same(value, from_json(v["decoded"])), name)
            problems = docs.check(value, ty, name)
            if not r.check(f"{label} matches the documented types", not problems, "; ".join(problems)):
                continue
            # Rebuilt from the decoded fields, as the docs say; never taken from the vector.
            parts = [value["fromIdentity"], value["toIdentity"], value["serial"]]
            statement = cbor2.dumps([domain, *parts])
            r.check(f"{label}: rebuilt statement is the signed statement", statement.hex() == v["signed_statement"], name)
            key = value["toIdentity"]["verifyingKey"]
            r.check(f"{label}: subject key is the listed key", key.hex() == v["ed25519_public_key"], name)
            r.check(f"{label}: subject as listed", same(value["toIdentity"], by_name.get(v["subject"])), name)
            if ty == "revocation":
                r.check(f"{label}: member id as listed", value["fromIdentity"].hex() == v[f"{member}_identity_id"], name)
            else:
                r.check(f"{label}: member as listed", same(value["fromIdentity"], by_name.get(v[member])), name)
            r.check(f"{label}: Ed25519 signature verifies", verify(key, value["signature"], statement), name)
            forged = bytearray(value["signature"])
            forged[0] ^= 0x01
            r.check("negative: an altered signature is refused", not verify(key, bytes(forged), statement), name)
            for other in DOMAINS:
                if other != domain:
                    relabelled = cbor2.dumps([other, *parts])
                    r.check("negative: a signature under another domain label is refused",
                            not verify(key, value["signature"], relabelled), f"{name} as {other}")


# (file key, documented type, domain label): the name statements.
NAME_STATEMENTS = (
    ("name_evidence", "name-evidence", NAME_DOMAIN),
    ("name_revocations", "name-revocation", NAME_REVOCATION_DOMAIN),
)


def check_name_statements(vectors: Path, docs: Docs, r: Report) -> None:
    """Name evidence and revocations: rebuilt from their fields, verified under the listed signer's key."""
    file = json.loads((vectors / "evidence.json").read_text())
    identities = {
        i["name"]: identity_map(bytes.fromhex(i["ed25519_public_key"]), bytes.fromhex(i["x25519_public_key"]))
        for i in file["identities"]
    }
    for kind, ty, domain in NAME_STATEMENTS:
        label = ty.replace("-", " ")  # "name evidence", "name revocation"
        r.check(f"{label}: vectors present", bool(file.get(kind)), kind)
        for v in file.get(kind, []):
            name, data = v["name"], bytes.fromhex(v["cbor"])
            try:
                value = strict_loads(data)
            except Exception as e:
                r.check(f"{label} decodes", False, f"{name}: {e}")
                continue
            r.check(f"{label} decodes", True, name)
            r.check(f"{label} re-encodes to the same bytes", cbor2.dumps(value) == data, name)
            r.check(f"{label} equals its JSON description", same(value, from_json(v["decoded"])), name)
            problems = docs.check(value, ty, name)
            if not r.check(f"{label} matches the documented types", not problems, "; ".join(problems)):
                continue
            r.check(f"{label}: name as listed", value["identityName"] == v["identity_name"], name)
            if ty == "name-evidence":
                r.check(f"{label}: named identity as listed", same(value["externalIdentity"], identities.get(v["named"])), name)
                parts = [value["identityName"], value["externalIdentity"], value["serial"]]
            else:
                parts = [value["identityName"], value["serial"]]
            # Rebuilt from the decoded fields and the page's label; never taken from the vector.
            statement = cbor2.dumps([domain, *parts])
            r.check(f"{label}: rebuilt statement is the signed statement", statement.hex() == v["signed_statement"], name)
            signer = identities.get(v["signer"])
            key = signer["verifyingKey"] if signer else b""
            r.check(f"{label}: signer's key is the listed key", key.hex() == v["ed25519_public_key"], name)
            if not r.check(f"{label}: Ed25519 signature verifies", verify(key, value["signature"], statement), name):
                continue
            forged = bytearray(value["signature"])
            forged[31] ^= 0x80
            r.check("negative: an altered signature is refused", not verify(key, bytes(forged), statement), name)
            for other in DOMAINS:
                if other != domain:
                    relabelled = cbor2.dumps([other, *parts])
                    r.check("negative: a signature under another domain label is refused",
                            not verify(key, value["signature"], relabelled), f"{name} as {other}")
            for who, ident in identities.items():
                if ident["verifyingKey"] != key:
                    r.check("negative: a name statement does not verify under another identity's key",
                            not verify(ident["verifyingKey"], value["signature"], statement), f"{name} by {who}")
            renamed = cbor2.dumps([domain, value["identityName"] + "x", *parts[1:]])
            r.check("negative: a name statement does not verify for another name",
                    not verify(key, value["signature"], renamed), name)


def check_commitments(vectors: Path, docs: Docs, r: Report) -> None:
    file = json.loads((vectors / "evidence.json").read_text())
    keys = {i["name"]: bytes.fromhex(i["ed25519_public_key"]) for i in file["identities"]}
    r.check("commitment: vectors present", bool(file.get("commitments")), "commitments")
    for v in file.get("commitments", []):
        name, data, cbor = v["name"], bytes.fromhex(v["data"]), bytes.fromhex(v["cbor"])
        try:
            value = strict_loads(cbor)
        except Exception as e:
            r.check("commitment decodes", False, f"{name}: {e}")
            continue
        r.check("commitment decodes", True, name)
        r.check("commitment re-encodes to the same bytes", cbor2.dumps(value) == cbor, name)
        r.check("commitment equals its JSON description", same(value, from_json(v["decoded"])), name)
        problems = docs.check(value, "commitment", name)
        if not r.check("commitment matches the documented types", not problems, "; ".join(problems)):
            continue
        r.check("commitment: data length as listed", len(data) == v["data_len"], name)
        # The statement is rebuilt from the data, as the docs say: never the data itself.
        statement = cbor2.dumps([COMMITMENT_DOMAIN, data])
        r.check("commitment: rebuilt statement is the signed statement", statement.hex() == v["signed_statement"], name)
        key = value["verifyingKey"]
        r.check("commitment: made with the signer's key", key == keys.get(v["signer"]) and key.hex() == v["ed25519_public_key"], name)
        r.check("commitment: Ed25519 signature verifies", verify(key, value["signature"], statement), name)
        forged = bytearray(value["signature"])
        forged[-1] ^= 0x01
        r.check("negative: an altered signature is refused", not verify(key, bytes(forged), statement), name)
        r.check("negative: a commitment does not verify over the bare data", not verify(key, value["signature"], data), name)
        longer = cbor2.dumps([COMMITMENT_DOMAIN, data + b"\x00"])
        r.check("negative: a commitment does not verify over other data", not verify(key, value["signature"], longer), name)


def check_ciphertexts(vectors: Path, r: Report) -> None:
    file = json.loads((vectors / "ciphertexts.json").read_text())
    for v in file["vectors"]:
        name, data = v["name"], bytes.fromhex(v["ciphertext"])
        plaintext = bytes.fromhex(v["plaintext"])
        try:
            chunk_log2, entries, header = parse_header(data)
        except Refused as e:
            r.check("ciphertext header parses", False, f"{name}: {e}")
            continue
        r.check("ciphertext header parses", True, name)
        chunk = 1 << chunk_log2
        payload = len(data) - len(header)
        chunks = max(1, -(-len(plaintext) // chunk))
        r.check("ciphertext: sizes as documented",
                chunk_log2 == v["chunk_log2"] and len(header) == v["header_len"] and chunks == v["chunk_count"]
                and payload == len(plaintext) + chunks * TAG_LEN, name)
        ids = [e["identity_id"] for e in entries]
        r.check("ciphertext: recipients in ascending identity id, each once", ids == sorted(set(ids)), name)
        listed = [(bytes.fromhex(x["identity_id"]), bytes.fromhex(x["key_id"])) for x in v["recipients"]]
        r.check("ciphertext: header entries are the listed recipients",
                listed == [(e["identity_id"], e["key_id"]) for e in entries], name)
        for x in v["recipients"]:
            who = f"{name} for {x['name']}"
            sk = bytes.fromhex(x["x25519_private_key"])
            pk = raw_public(X25519PrivateKey.from_private_bytes(sk))
            iid = identity_id(identity_map(bytes.fromhex(x["ed25519_public_key"]), pk))
            r.check("ciphertext: recipient ids from its keys", iid.hex() == x["identity_id"] and key_id(pk).hex() == x["key_id"], who)
            try:
                got = open_ciphertext(data, sk, iid)
                r.check("ciphertext opens to the expected plaintext", got == plaintext, who)
            except Refused as e:
                r.check("ciphertext opens to the expected plaintext", False, f"{who}: {e}")
        # Negative checks with the first recipient's key.
        first = v["recipients"][0]
        sk = bytes.fromhex(first["x25519_private_key"])
        iid = bytes.fromhex(first["identity_id"])

        def refused(altered: bytes) -> bool:
            try:
                open_ciphertext(altered, sk, iid)
                return False
            except Refused:
                return True

        flipped = bytearray(data)
        flipped[len(header)] ^= 0x01  # the first byte of the first chunk
        r.check("negative: one flipped byte in a chunk is refused", refused(bytes(flipped)), name)
        flipped = bytearray(data)
        flipped[len(header) - 1] ^= 0x01  # the last header byte: the last entry's wrapped key
        r.check("negative: one flipped header byte is refused", refused(bytes(flipped)), name)
        if chunks > 1:
            last_len = len(plaintext) - (chunks - 1) * chunk + TAG_LEN
            r.check("negative: a dropped final chunk is refused", refused(data[:-last_len]), name)


def check_refused(vectors: Path, r: Report) -> None:
    """Every `refused` ciphertext is refused, for each listed recipient, with exactly its `error`."""
    file = json.loads((vectors / "ciphertexts.json").read_text())
    refused = file.get("refused", [])
    r.check("refused ciphertexts: listed and counted", len(refused) == file.get("refused_count") and refused, "refused")
    for v in refused:
        data = bytes.fromhex(v["ciphertext"])
        for x in v["recipients"]:
            who = f"{v['name']} for {x['name']}"
            sk = bytes.fromhex(x["x25519_private_key"])
            iid = bytes.fromhex(x["identity_id"])
            try:
                open_ciphertext(data, sk, iid)
                r.check("refused ciphertext: refused with its documented error", False, f"{who}: it opened")
            except Refused as e:
                r.check("refused ciphertext: refused with its documented error",
                        e.error == v["error"], f"{who}: {e.error}, expected {v['error']}")


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=Path, default=root / "spec" / "vectors")
    ap.add_argument("--docs", type=Path, default=root / "docs" / "wire-format")
    args = ap.parse_args()
    docs = Docs((args.docs / "envelope.md").read_text())
    r = Report()
    by_id = check_identities(args.vectors, r)
    check_envelopes(args.vectors, docs, by_id, r)
    check_domains(docs, r)
    check_statements(args.vectors, docs, r)
    check_commitments(args.vectors, docs, r)
    check_name_statements(args.vectors, docs, r)
    check_ciphertexts(args.vectors, r)
    check_refused(args.vectors, r)
    width = max(map(len, r.passed), default=0)
    for kind in r.passed:
        print(f"  {kind:<{width}}  {r.passed[kind]:>4}")
    if r.failures:
        print(f"\ninterop: {len(r.failures)} FAILED checks ({sum(r.passed.values())} passed):", file=sys.stderr)
        for f in r.failures[:50]:
            print(f"  {f}", file=sys.stderr)
        return 1
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("cbor2", "cryptography", "pyhpke"))
    print(f"interop: all {sum(r.passed.values())} checks passed ({versions})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
