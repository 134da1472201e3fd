"""The Sealwright wire format, as the independent conformance runners need it.

Written from the documentation alone, never from the Rust sources:
docs/wire-format/envelope.md ("Canonical form", "Messages", "Value types")
with spec/wire.cddl, and the "Ids" section of docs/wire-format/ciphertext.md.
CBOR by cbor2.

It gives the message schemas and a checker for them, and a decoder that
accepts only the canonical encoding of a documented envelope; anything else
raises Refused. The engines' own logic stays in their runners.
"""
import hashlib, re

import cbor2

# --- Wire schema (envelope.md "Messages" and "Value types"; wire.cddl) -------
# A schema is a dict (a map with exactly these keys, in this order; a key whose
# schema is ("omit", t) may be left out, and is then its default), a string
# naming a scalar type, or a tagged tuple for optional values, lists, results
# and error enums. The refused cases need the decoder to be as strict as the
# reference's, and a well-formed-but-wrong message must not reach an engine.
IDENT = {"verifyingKey": "b32", "encryptionKey": "b32"}
EVIDENCE = {"fromIdentity": IDENT, "toIdentity": IDENT, "serial": "uint", "signature": "b64"}
REVOCATION = {"fromIdentity": "b20", "toIdentity": IDENT, "serial": "uint", "signature": "b64"}
GENKEY = {"identity": IDENT, "evidence": ("opt", EVIDENCE)}


def enum(units, **data):
    """An error type: unit variants by name, data variants with their schema."""
    return ("enum", {**{u: None for u in units.split()}, **data})


RF_ERR = enum("SignatureInvalid Unavailable EngineFailed NotHandled",
              Malformed=enum("SelfReference BadVerifyingKey"),
              Revoked={"revokedThrough": "uint"}, Superseded={"current": "uint"})
DEC_ERR = enum("NotAuthorised NoMatchingKey AuthenticationFailed Truncated UnknownIdentity "
               "EngineFailed NotHandled",
               Malformed=enum("BadMagic UnsupportedVersion UnsupportedSuite RecipientCount "
                              "ChunkSize HeaderTruncated RecipientOrder"))
ENC_ERR = enum("TooManyRecipients InvalidRecipient PlaintextTooLarge EngineFailed NotHandled",
               ReadsFor=RF_ERR)
# What an identity's keys may be used for (envelope.md "capabilities"). A
# request leaves the field out when it is both, so only the other two are
# written there; an error names any of the three.
CAPABILITIES = enum("Commit Decrypt CommitAndDecrypt")
ASKED = ("omit", enum("Commit Decrypt"))
ID_ERR = enum("NotOwner UnknownIdentity InvalidZone EngineFailed NotHandled",
              Vault=DEC_ERR, ReadsFor=RF_ERR,
              MissingCapability={"requested": CAPABILITIES, "granted": CAPABILITIES})
COM_ERR = enum("NotAuthorised UnknownIdentity NoCommitCapability EngineFailed NotHandled")
VER_ERR = enum("DataTooLarge EngineFailed NotHandled", SignsFor=RF_ERR)
# The Naming engine (naming/messages.md): a name is a text string, checked on
# decoding like an address ("name" below).
NAME_EVIDENCE = {"identityName": "name", "externalIdentity": IDENT, "serial": "uint",
                 "signature": "b64"}
NAME_REVOCATION = {"identityName": "name", "serial": "uint", "signature": "b64"}
NAME_ERR = enum("SignatureInvalid Unresolved EngineFailed NotHandled",
                Malformed=enum("SelfReference BadVerifyingKey"),
                NameTaken={"holder": "b20"}, NotVouched={"parent": "name"},
                ParentUnresolved={"parent": "name"}, Revoked={"revokedThrough": "uint"},
                Superseded={"current": "uint"})
COMMITMENT = {"verifyingKey": "b32", "signature": "b64"}


def reply(ok, err, **fields):
    """A reply's body: its own fields first, then `result`, as the table lists them."""
    return {**fields, "result": ("result", ok, err)}


MESSAGES = {
    "RequestEncrypt": {"data": "b", "externalIdentity": IDENT, "useReadsFor": "bool"},
    "ReplyEncrypt": reply("b", ENC_ERR),
    "RequestReadsFor": {"externalIdentityA": "b20", "externalIdentityB": "b20"},
    "ReplyReadsFor": reply("bool", RF_ERR, externalIdentityA="b20", externalIdentityB="b20"),
    "RequestSubmitReadsForEvidence": {"evidence": EVIDENCE},
    "ReplySubmitReadsForEvidence": reply("null", RF_ERR),
    "RequestSubmitReadsForRevocation": {"revocation": REVOCATION},
    "ReplySubmitReadsForRevocation": reply("null", RF_ERR),
    "RequestQueryReadsForEvidence": {"externalIdentity": "b20", "continuation": ("opt", "b")},
    "ReplyQueryReadsForEvidence": reply(("list", EVIDENCE), RF_ERR, externalIdentity="b20",
                                        continuation=("opt", "b")),
    "RequestDecryption": {"data": "b"},
    "ReplyDecryption": reply("b", DEC_ERR),
    "RequestGenerateIdentity": {"capabilities": ASKED},
    "ReplyGenerateIdentity": reply(IDENT, ID_ERR),
    "RequestConnectIdentity": {"externalIdentity": "b20", "capabilities": ASKED},
    "ReplyConnectIdentity": reply("addr", ID_ERR),
    "RequestDeleteIdentity": {"externalIdentity": "b20"},
    "ReplyDeleteIdentity": reply("null", ID_ERR),
    "RequestDeriveZoneIdentity": {"master": "b20", "zone": "text", "capabilities": ASKED},
    "ReplyDeriveZoneIdentity": reply(IDENT, ID_ERR),
    "RequestRotateIdentity": {"externalIdentity": "b20"},
    "ReplyRotateIdentity": reply(IDENT, ID_ERR),
    "RequestGenerateKey": {"owner": "addr", "readBy": ("opt", IDENT), "capabilities": ASKED},
    "ReplyGenerateKey": reply(GENKEY, DEC_ERR),
    "RequestRotateKey": {"externalIdentity": "b20"},
    "ReplyRotateKey": reply(GENKEY, DEC_ERR),
    "RequestDeleteKey": {"externalIdentity": "b20"},
    "ReplyDeleteKey": reply("null", DEC_ERR),
    "RequestVerification": {"data": "b", "commitment": COMMITMENT, "externalIdentity": IDENT,
                            "useSignsFor": "bool"},
    "ReplyVerification": reply("bool", VER_ERR),
    "RequestCommitment": {"data": "b", "externalIdentity": "b20"},
    "ReplyCommitment": reply(COMMITMENT, COM_ERR),
    "RequestResolveName": {"identityName": "name"},
    "ReplyResolveName": reply(IDENT, NAME_ERR, identityName="name"),
    "RequestSubmitNameEvidence": {"evidence": NAME_EVIDENCE},
    "ReplySubmitNameEvidence": reply("null", NAME_ERR),
    "RequestSubmitNameRevocation": {"revocation": NAME_REVOCATION},
    "ReplySubmitNameRevocation": reply("null", NAME_ERR),
    "RequestQueryNameEvidence": {"externalIdentity": "b20"},
    "ReplyQueryNameEvidence": reply(("list", NAME_EVIDENCE), NAME_ERR, externalIdentity="b20"),
}
# The SignsFor engine's messages are ReadsFor's, renamed (wire.cddl "SignsFor engine").
MESSAGES.update({name.replace("ReadsFor", "SignsFor"): schema
                 for name, schema in list(MESSAGES.items()) if "ReadsFor" in name})
# envelope.md limits an address's characters as well as its length (wire.cddl
# gives only the length), so an address in a message body is held to both,
# like the envelope's own sender and target. The ranges are ASCII, so a
# character is a byte and {1,128} bounds the encoded length too.
ADDRESS = re.compile(r"[A-Za-z0-9._/-]{1,128}")
# naming/index.md: a name is 1 to 8 labels joined by dots; a label is 1 to 63
# of a-z, 0-9 and "-", not beginning or ending with "-". A name spelt any
# other way does not decode. (ASCII again, so characters are bytes.)
LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
MAX_LABELS = 8


def is_name(v):
    labels = v.split(".")
    return len(labels) <= MAX_LABELS and all(LABEL.fullmatch(l) for l in labels)


def conforms(v, t):
    """Whether the decoded value v has schema type t."""
    if isinstance(t, dict):
        present = [k for k in t if k in v or not omissible(t[k])]
        return (type(v) is dict and list(v) == present
                and all(conforms(v[k], unomit(t[k])) for k in present))
    if isinstance(t, tuple):
        kind, arg = t[0], t[1]
        if kind == "opt":
            return v is None or conforms(v, arg)
        if kind == "list":
            return type(v) is list and all(conforms(x, arg) for x in v)
        if kind == "result":
            return single(v) and (("Ok" in v and conforms(v["Ok"], arg))
                                  or ("Err" in v and conforms(v["Err"], t[2])))
        if type(v) is str:  # an enum's unit variant is written as its bare name
            return v in arg and arg[v] is None
        return single(v) and all(arg.get(k) is not None and conforms(x, arg[k])
                                 for k, x in v.items())
    if re.fullmatch(r"b\d*", t):  # "b": any byte string; "bN": exactly N bytes
        return type(v) is bytes and (t == "b" or len(v) == int(t[1:]))
    if t == "uint":
        return type(v) is int and 0 <= v < 2**64
    if t == "bool":
        return type(v) is bool
    if t == "null":
        return v is None
    if t == "text":
        return type(v) is str
    if t == "addr":
        return type(v) is str and ADDRESS.fullmatch(v) is not None
    if t == "name":
        return type(v) is str and is_name(v)
    raise ValueError(f"unknown schema type {t!r}")  # a typo in a table, not bad input


def omissible(t):
    """Whether a map key with schema t may be left out (it is then its default)."""
    return isinstance(t, tuple) and t[0] == "omit"


def unomit(t):
    """The schema of a key's value when it is written."""
    return t[1] if omissible(t) else t


def single(v):
    """A one-entry map: how a result, a message and a data-carrying variant are written."""
    return type(v) is dict and len(v) == 1


# --- Canonical decoding (envelope.md "Canonical form") ------------------------
class Refused(Exception):
    """Bytes that are not the one canonical encoding of a documented value."""


MAX_DEPTH = 32


def walk(data, pos=0, depth=0):
    """Check one item's heads before handing the bytes to a generic decoder:
    every length must fit in what is left (a hostile length allocates
    nothing), arrays and maps nest at most 32 deep, and tags, floats,
    indefinite lengths and over-long heads are refused. depth is how many
    arrays and maps enclose the item. Returns the offset just past the item."""
    if pos >= len(data):
        raise Refused("input ends inside an item")
    major, ai = data[pos] >> 5, data[pos] & 31
    pos += 1
    if ai < 24:
        arg = ai
    elif ai < 28:
        size = 1 << (ai - 24)
        if pos + size > len(data):
            raise Refused("input ends inside a head")
        arg = int.from_bytes(data[pos:pos + size], "big")
        pos += size
        # The least value that needs this head size: 24 for one byte, then
        # 2^8, 2^16, 2^32 for two, four and eight.
        shortest_floor = 24 if size == 1 else 1 << (4 * size)
        if major != 7 and arg < shortest_floor:
            raise Refused("a head longer than it needs to be")
    else:
        raise Refused("an indefinite length or a reserved head")
    if major == 6:
        raise Refused("a tag")
    if major == 7 and ai not in (20, 21, 22):
        raise Refused("a float or a simple value other than false/true/null")
    left = len(data) - pos
    if major in (2, 3):
        if arg > left:
            raise Refused("a string longer than the input")
        return pos + arg
    if major in (4, 5):
        # Only containers count towards the depth (envelope.md: 32 nested
        # arrays around a 0 decode, 33 do not), so the limit is checked here
        # and not for the scalars inside the innermost one.
        if depth + 1 > MAX_DEPTH:
            raise Refused(f"arrays or maps nested more than {MAX_DEPTH} deep")
        count = arg * 2 if major == 5 else arg
        if count > left:  # each element needs at least a byte
            raise Refused("a container longer than the input")
        for _ in range(count):
            pos = walk(data, pos, depth + 1)
    return pos


def decode_canonical(data):
    """The value data encodes, if data is its canonical encoding; else Refused."""
    if walk(data) != len(data):
        raise Refused("bytes after the item")
    try:
        value = cbor2.loads(data)
    except Exception as e:
        raise Refused(f"not CBOR: {e}")
    # cbor2 keeps map insertion order and writes shortest heads, so encoding
    # what it decoded gives the canonical bytes; any difference (duplicate
    # keys, a text string that is not UTF-8, ...) means these were not them.
    if cbor2.dumps(value) != data:
        raise Refused("not in canonical form")
    return value


def decode_envelope(data):
    """A canonical envelope carrying a documented message; else Refused."""
    env = decode_canonical(data)
    if type(env) is not dict or list(env) != ["sender", "target", "correlation", "message"]:
        raise Refused("not an envelope map")
    if not all(conforms(env[k], "addr") for k in ("sender", "target")):
        raise Refused("sender or target is not an address")
    if not conforms(env["correlation"], "uint"):
        raise Refused("correlation is not a u64")
    msg = env["message"]
    if not single(msg) or not all(n in MESSAGES and conforms(b, MESSAGES[n])
                                  for n, b in msg.items()):
        raise Refused("not a documented message")
    return env


# --- Ids (ciphertext.md "Ids") -------------------------------------------------
def ident(i):
    """A public identity with its two fields in wire order."""
    return {"verifyingKey": i["verifyingKey"], "encryptionKey": i["encryptionKey"]}


def identity_id(i):
    return hashlib.sha256(b"sealwright/identity-id/v1\x00" + cbor2.dumps(ident(i))).digest()[:20]


def key_id(encryption_key):
    return hashlib.sha256(b"sealwright/key-id/v1\x00" + encryption_key).digest()[:8]


def not_handled(request, body):
    """The reply a request gets when this engine has no guard for it. Every
    error family spells its NotHandled the same way on the wire, so the
    request's name alone picks the reply type. Fields
    of the reply other than `result` echo the request's fields of the same
    name (docs/wire-format/envelope.md, after the error grammar)."""
    reply_schema = MESSAGES["Reply" + request[7:]]
    fields = {k: body[k] for k in reply_schema if k != "result"}
    return {**fields, "result": {"Err": "NotHandled"}}


# --- Every case of a suite, read (python wire.py SUITE) -----------------------
def read_suite(root):
    """Problems reading every case of the suite under root, whatever its
    engine: each input must decode as a documented envelope, or be refused
    when the case says it must be (conformance/index.md "Running a case"), and
    every envelope a case says is sent must decode too. So this reader knows
    every message and value a suite holds, including those of engines no
    runner here implements."""
    import json
    from pathlib import Path
    problems, cases = [], 0
    for meta_path in sorted(Path(root).rglob("meta.json")):
        case, meta = meta_path.parent, json.loads(meta_path.read_text())
        cases += 1
        for n, step in enumerate(meta["steps"]):
            if "event" in step:
                continue
            try:
                decode_envelope((case / f"input_{n}.cbor").read_bytes())
                if meta["refused"]:
                    problems.append(f"{case}: input_{n}.cbor must be refused but decodes")
            except Refused as why:
                if not meta["refused"]:
                    problems.append(f"{case}: input_{n}.cbor refused: {why}")
            if meta["refused"]:
                continue
            effects = decode_canonical((case / f"effects_{n}.cbor").read_bytes())
            for i, env in enumerate(effects["send"]):
                try:
                    decode_envelope(cbor2.dumps(env))
                except Refused as why:
                    problems.append(f"{case}: effects_{n}.cbor, envelope {i}: {why}")
    return cases, problems


if __name__ == "__main__":
    import sys
    cases, problems = read_suite(sys.argv[1])
    print("".join(f"FAIL {p}\n" for p in problems), end="")
    print(f"wire: {cases} cases, {len(problems)} problems")
    sys.exit(1 if problems or not cases else 0)
