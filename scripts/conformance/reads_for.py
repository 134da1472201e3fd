"""An independent ReadsFor engine that runs the `reads-for` cases of a
Sealwright conformance suite.

Written from the documentation alone, never from the Rust sources:
docs/conformance/index.md (case layout, how to run a case), docs/reads-for/
{index,messages,state,behaviour,semantics}.md (the engine and its state
encoding), docs/wire-format/envelope.md and spec/wire.cddl (canonical CBOR,
envelopes, statements), and the "Ids" section of docs/wire-format/ciphertext.md.
CBOR by cbor2, Ed25519 by cryptography.

    python reads_for.py SUITE_DIR [--broken ignore-revocations]

With --broken ignore-revocations the engine replies Ok to a valid revocation
but applies nothing; a suite worth its name must catch that.
"""
import argparse, difflib, hashlib, json, re, sys
from pathlib import Path

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# --- Wire schema (envelope.md "Messages" and "Value types"; wire.cddl) -------
IDENT = {"verifyingKey": "b32", "encryptionKey": "b32"}
EVIDENCE = {"fromIdentity": IDENT, "toIdentity": IDENT, "serial": "uint", "signature": "b64"}
REVOCATION = {"fromIdentity": "b20", "toIdentity": IDENT, "serial": "uint", "signature": "b64"}
GENKEY = {"identity": IDENT, "evidence": ("opt", EVIDENCE)}

def enum(units, **data):
    return ("enum", {**{u: None for u in units.split()}, **data})

RF_ERR = enum("SignatureInvalid Unavailable EngineFailed NotHandled",
              Malformed=enum("SelfReference BadVerifyingKey"),
              Revoked={"revokedThrough": "uint"}, Superseded={"current": "uint"})
DEC_ERR = enum("NotAuthorised NoMatchingKey AuthenticationFailed Truncated UnknownIdentity "
               "EngineFailed NotHandled", Malformed=enum(
                   "BadMagic UnsupportedVersion UnsupportedSuite RecipientCount ChunkSize "
                   "HeaderTruncated RecipientOrder"))
ENC_ERR = enum("TooManyRecipients InvalidRecipient PlaintextTooLarge EngineFailed NotHandled",
               ReadsFor=RF_ERR)
ID_ERR = enum("NotOwner UnknownIdentity InvalidZone EngineFailed NotHandled",
              Vault=DEC_ERR, ReadsFor=RF_ERR)

def reply(ok, err, **fields):
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
    "RequestGenerateIdentity": {},
    "ReplyGenerateIdentity": reply(IDENT, ID_ERR),
    "RequestConnectIdentity": {"externalIdentity": "b20"},
    "ReplyConnectIdentity": reply("addr", ID_ERR),
    "RequestDeleteIdentity": {"externalIdentity": "b20"},
    "ReplyDeleteIdentity": reply("null", ID_ERR),
    "RequestDeriveZoneIdentity": {"master": "b20", "zone": "text"},
    "ReplyDeriveZoneIdentity": reply(IDENT, ID_ERR),
    "RequestRotateIdentity": {"externalIdentity": "b20"},
    "ReplyRotateIdentity": reply(IDENT, ID_ERR),
    "RequestGenerateKey": {"owner": "addr", "readBy": ("opt", IDENT)},
    "ReplyGenerateKey": reply(GENKEY, DEC_ERR),
    "RequestRotateKey": {"externalIdentity": "b20"},
    "ReplyRotateKey": reply(GENKEY, DEC_ERR),
    "RequestDeleteKey": {"externalIdentity": "b20"},
    "ReplyDeleteKey": reply("null", DEC_ERR),
}
ADDRESS = re.compile(rb"[A-Za-z0-9._/-]{1,128}")

def conforms(v, t):
    """Whether decoded value v has schema type t (named fields in declared order)."""
    if isinstance(t, dict):
        return type(v) is dict and list(v) == list(t) and all(conforms(v[k], t[k]) for k in t)
    if isinstance(t, tuple):
        kind, arg = t[0], t[1]
        if kind == "opt":
            return v is None or conforms(v, arg)
        if kind == "list":
            return type(v) is list and all(conforms(x, arg) for x in v)
        if kind == "result":
            return one_entry(v) and (("Ok" in v and conforms(v["Ok"], arg))
                                     or ("Err" in v and conforms(v["Err"], t[2])))
        if type(v) is str:  # enum: a unit variant is its name
            return v in arg and arg[v] is None
        return one_entry(v) and all(arg.get(k) is not None and conforms(x, arg[k])
                                    for k, x in v.items())
    if re.fullmatch(r"b\d*", t):  # "b": any byte string, "bN": exactly N bytes
        return type(v) is bytes and (t == "b" or len(v) == int(t[1:]))
    return {"uint": lambda: type(v) is int and 0 <= v < 2**64, "bool": lambda: type(v) is bool,
            "null": lambda: v is None, "text": lambda: type(v) is str,
            "addr": lambda: type(v) is str and 1 <= len(v.encode()) <= 128}[t]()

def one_entry(v):
    return type(v) is dict and len(v) == 1

# --- Canonical decoding (envelope.md "Canonical form") ------------------------
class Refused(Exception):
    pass

def walk(data, pos=0, depth=1):
    """Walk one item's heads: shortest heads, lengths bounded by what remains,
    nesting at most 32, no tags, no floats, no indefinite lengths. Returns its end."""
    if depth > 32 or pos >= len(data):
        raise Refused("nested too deep" if depth > 32 else "truncated")
    major, ai = data[pos] >> 5, data[pos] & 31
    pos += 1
    if ai < 24:
        arg = ai
    elif ai < 28:
        size = 1 << (ai - 24)
        if pos + size > len(data):
            raise Refused("truncated head")
        arg, pos = int.from_bytes(data[pos:pos + size], "big"), pos + size
        if major != 7 and arg < (24 if size == 1 else 1 << (4 * size)):
            raise Refused("non-shortest head")
    else:
        raise Refused("indefinite length or reserved head")
    remaining = len(data) - pos
    if major == 6 or (major == 7 and ai not in (20, 21, 22)):
        raise Refused("tag, float or simple value other than false/true/null")
    if major in (2, 3):
        if arg > remaining:
            raise Refused("length beyond the input")
        return pos + arg
    if major in (4, 5):
        items = arg * (2 if major == 5 else 1)
        if items > remaining:
            raise Refused("length beyond the input")
        for _ in range(items):
            pos = walk(data, pos, depth + 1)
    return pos

def decode_canonical(data):
    if walk(data) != len(data):
        raise Refused("bytes after the item")
    try:
        value = cbor2.loads(data)
    except Exception as e:
        raise Refused(f"not CBOR: {e}")
    if cbor2.dumps(value) != data:
        raise Refused("not in canonical form")
    return value

def decode_envelope(data):
    env = decode_canonical(data)
    if type(env) is not dict or list(env) != ["sender", "target", "correlation", "message"]:
        raise Refused("not an envelope")
    if not all(type(env[k]) is str and ADDRESS.fullmatch(env[k].encode()) for k in ("sender", "target")):
        raise Refused("bad address")
    msg = env["message"]
    if not (conforms(env["correlation"], "uint") and one_entry(msg)
            and all(n in MESSAGES and conforms(b, MESSAGES[n]) for n, b in msg.items())):
        raise Refused("not a documented message")
    return env

# --- Ids and signatures (ciphertext.md "Ids", envelope.md "Reads-for evidence")
def ident(i):
    return {"verifyingKey": i["verifyingKey"], "encryptionKey": i["encryptionKey"]}

def evidence(e):
    return {"fromIdentity": ident(e["fromIdentity"]), "toIdentity": ident(e["toIdentity"]),
            "serial": e["serial"], "signature": e["signature"]}

def identity_id(i):
    return hashlib.sha256(b"sealwright/identity-id/v1\x00" + cbor2.dumps(ident(i))).digest()[:20]

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P

def decompress(key):
    """RFC 8032 5.1.3 point decoding; None if key is not a curve point."""
    y, sign = int.from_bytes(key, "little") & (2**255 - 1), key[31] >> 7
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    if (x * x - x2) % P or (x == 0 and sign):
        return None
    return (P - x if x & 1 != sign else x), y

def small_order(pt):
    for _ in range(3):  # [8]pt by three doublings (the addition law is complete)
        (x, y), t = pt, D * pt[0] * pt[0] * pt[1] * pt[1]
        pt = (2 * x * y * pow(1 + t, P - 2, P) % P, (y * y + x * x) * pow(1 - t, P - 2, P) % P)
    return pt == (0, 1)

def check_signature(statement, subject, signature):
    """None if the subject's strict Ed25519 signature over statement holds, else the error."""
    point = decompress(subject["verifyingKey"])
    if point is None:
        return {"Malformed": "BadVerifyingKey"}
    if small_order(point) or int.from_bytes(signature[32:], "little") >= L:
        return "SignatureInvalid"
    try:
        Ed25519PublicKey.from_public_bytes(subject["verifyingKey"]).verify(
            signature, cbor2.dumps(statement))
    except InvalidSignature:
        return "SignatureInvalid"
    return None

# --- The engine (behaviour.md, semantics.md) ----------------------------------
class ReadsFor:
    def __init__(self, config, state, broken=None):
        self.address, self.broken = config["address"], broken
        self.evidence = {tuple(k): evidence(e) for k, e in state["evidence"].items()}
        self.revoked = {tuple(k): r for k, r in state["revoked"].items()}

    def state(self):
        return {"evidence": sorted_map(self.evidence), "revoked": sorted_map(self.revoked)}

    def step(self, env):
        """Handle one envelope; returns (envelopes sent, rejections recorded)."""
        (name, body), = env["message"].items()
        if env["target"] != self.address:
            return [], [rejection(env, name, "Misaddressed")]
        handler = {"RequestSubmitReadsForEvidence": self.submit_evidence,
                   "RequestSubmitReadsForRevocation": self.submit_revocation,
                   "RequestReadsFor": self.decide, "RequestQueryReadsForEvidence": self.collect,
                   }.get(name)
        if handler:
            return [self.reply(env, "Reply" + name[7:], handler(body))], []
        if name.startswith("Request"):
            return [self.reply(env, "Reply" + name[7:], {"result": {"Err": "NotHandled"}})], []
        return [], [rejection(env, name, "UnexpectedReply")]

    def reply(self, env, name, body):
        return {"sender": self.address, "target": env["sender"],
                "correlation": env["correlation"], "message": {name: body}}

    def submit_evidence(self, body):
        e = evidence(body["evidence"])
        pair = (identity_id(e["fromIdentity"]), identity_id(e["toIdentity"]))
        if pair[0] == pair[1]:
            return err({"Malformed": "SelfReference"})
        bad = check_signature(["sealwright/reads-for/v1", e["fromIdentity"], e["toIdentity"],
                               e["serial"]], e["toIdentity"], e["signature"])
        if bad:
            return err(bad)
        if pair in self.revoked and e["serial"] <= self.revoked[pair]:
            return err({"Revoked": {"revokedThrough": self.revoked[pair]}})
        if pair in self.evidence and self.evidence[pair]["serial"] > e["serial"]:
            return err({"Superseded": {"current": self.evidence[pair]["serial"]}})
        self.evidence[pair] = e
        return {"result": {"Ok": None}}

    def submit_revocation(self, body):
        r = body["revocation"]
        pair = (r["fromIdentity"], identity_id(r["toIdentity"]))
        if pair[0] == pair[1]:
            return err({"Malformed": "SelfReference"})
        bad = check_signature(["sealwright/reads-for-revocation/v1", r["fromIdentity"],
                               ident(r["toIdentity"]), r["serial"]], r["toIdentity"],
                              r["signature"])
        if bad:
            return err(bad)
        if self.broken != "ignore-revocations":
            through = self.revoked[pair] = max(self.revoked.get(pair, 0), r["serial"])
            if pair in self.evidence and self.evidence[pair]["serial"] <= through:
                del self.evidence[pair]
        return {"result": {"Ok": None}}

    def chains_into(self, subject):
        seen, frontier, edges = {subject}, [subject], []
        while frontier:
            node = frontier.pop()
            for (reader, to), e in self.evidence.items():
                if to == node:
                    edges.append(e)
                    if reader not in seen:
                        seen.add(reader)
                        frontier.append(reader)
        return sorted(edges, key=lambda e: (*e["fromIdentity"].values(),
                                            *e["toIdentity"].values(), e["serial"], e["signature"]))

    def decide(self, body):
        a, b = body["externalIdentityA"], body["externalIdentityB"]
        readers = {identity_id(e["fromIdentity"]) for e in self.chains_into(b)}
        return {"externalIdentityA": a, "externalIdentityB": b,
                "result": {"Ok": a == b or a in readers}}

    def collect(self, body):
        return {"externalIdentity": body["externalIdentity"],
                "continuation": body["continuation"],
                "result": {"Ok": self.chains_into(body["externalIdentity"])}}

def err(e):
    return {"result": {"Err": e}}

def rejection(env, name, reason):
    return {"sender": env["sender"], "correlation": env["correlation"], "message": name,
            "reason": reason}

def sorted_map(m):
    """A map whose keys are not field names: ascending by the keys' encoded bytes."""
    return dict(sorted(m.items(), key=lambda kv: cbor2.dumps(kv[0])))

# --- Running cases (conformance/index.md "Running a case") --------------------
def diag(v, indent=""):
    """CBOR diagnostic notation, one map entry or array element per line."""
    inner = indent + "  "
    if isinstance(v, dict) and v:
        items = [f"{inner}{diag(k, inner)}: {diag(x, inner)}" for k, x in v.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(v, (list, tuple)) and v:
        return "[\n" + ",\n".join(inner + diag(x, inner) for x in v) + f"\n{indent}]"
    if isinstance(v, bytes):
        return f"h'{v.hex()}'"
    if isinstance(v, (dict, list, tuple)):
        return "{}" if isinstance(v, dict) else "[]"
    return "null" if v is None else json.dumps(v)  # json writes true, false, ints, strings

def compare(what, expected_bytes, actual):
    actual_bytes = cbor2.dumps(actual)
    if actual_bytes == expected_bytes:
        return []
    exp = diag(cbor2.loads(expected_bytes)).splitlines()
    diff = difflib.unified_diff(exp, diag(actual).splitlines(), f"expected {what}",
                                f"actual {what}", lineterm="", n=4)
    return [f"{what} differs:"] + list(diff)

def run_case(case, broken):
    meta = json.loads((case / "meta.json").read_text())
    engine = ReadsFor(decode_canonical((case / "config.cbor").read_bytes()),
                      decode_canonical((case / "pre.cbor").read_bytes()), broken)
    problems = []
    for n, step in enumerate(meta["steps"]):
        data = (case / f"input_{n}.cbor").read_bytes()
        try:
            env = decode_envelope(data)
        except Refused as why:
            if not meta["refused"]:
                return problems + [f"input_{n}.cbor refused: {why}"]
            continue
        if meta["refused"]:
            return problems + [f"input_{n}.cbor must be refused but decodes as an envelope"]
        if step["random"]:
            problems.append(f"step {n}: this engine draws nothing, the case recorded "
                            f"{len(step['random']) // 2} random bytes")
        sent, rejected = engine.step(env)
        problems += compare(f"effects_{n}", (case / f"effects_{n}.cbor").read_bytes(),
                            {"send": sent, "rejected": rejected})
    if not meta["refused"]:
        problems += compare("post", (case / "post.cbor").read_bytes(), engine.state())
    return problems

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path)
    parser.add_argument("--broken", choices=["ignore-revocations"])
    args = parser.parse_args()
    cases = sorted(m.parent for m in (args.suite / "reads-for").rglob("meta.json"))
    passed = 0
    for case in cases:
        try:
            problems = run_case(case, args.broken)
        except Exception as e:  # a case file that does not decode fails the case
            problems = [f"error: {type(e).__name__}: {e}"]
        if problems:
            print(f"FAIL {case}")
            print("\n".join("    " + p for p in problems))
        passed += not problems
    print(f"reads-for: {passed}/{len(cases)} cases passed")
    return 0 if cases and passed == len(cases) else 1

if __name__ == "__main__":
    sys.exit(main())
