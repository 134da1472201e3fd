"""An independent ReadsFor engine that runs the `reads-for` cases of a
Sealwright conformance suite.

Written from the documentation alone, never from the Rust sources:
docs/reads-for/{index,messages,state,behaviour,semantics}.md (the engine,
its guard rows and its state encoding) and the "Reads-for evidence" section
of docs/wire-format/envelope.md (the signed statements). The rest of the wire
format (schemas, canonical CBOR, envelopes, ids) is in wire.py, and reading
and running the cases (docs/conformance/index.md) in suite.py, both shared
with the other runners here. CBOR by cbor2, Ed25519 by cryptography.

    python reads_for.py SUITE_DIR [--broken ignore-revocations]

With --broken ignore-revocations the engine replies Ok to a valid revocation
but applies nothing; a suite worth its name must catch that.
"""
import sys

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import suite
from suite import rejection
from wire import ident, identity_id, not_handled

# --- Signatures (envelope.md "Reads-for evidence") -----------------------------
def evidence(e):
    return {"fromIdentity": ident(e["fromIdentity"]), "toIdentity": ident(e["toIdentity"]),
            "serial": e["serial"], "signature": e["signature"]}

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

    def step(self, env, draws):
        """Handle one envelope: (envelopes sent, rejections recorded, guard row).
        This engine draws nothing, so draws goes unused; the runner checks that
        the case recorded nothing for it either."""
        (name, body), = env["message"].items()
        if env["target"] != self.address:
            return [], [rejection(env, name, "Misaddressed")], "misaddressed"
        row, handler = {
            "RequestSubmitReadsForEvidence": ("submit-evidence", self.submit_evidence),
            "RequestSubmitReadsForRevocation": ("submit-revocation", self.submit_revocation),
            "RequestReadsFor": ("decide-reads-for", self.decide),
            "RequestQueryReadsForEvidence": ("collect-evidence", self.collect),
        }.get(name, (None, None))
        if handler:
            return [self.reply(env, "Reply" + name[7:], handler(body))], [], row
        if name.startswith("Request"):
            return ([self.reply(env, "Reply" + name[7:], not_handled(name, body))], [],
                    "not-handled")
        return [], [rejection(env, name, "UnexpectedReply")], "unexpected-reply"

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

def sorted_map(m):
    """A map whose keys are not field names: ascending by the keys' encoded bytes."""
    return dict(sorted(m.items(), key=lambda kv: cbor2.dumps(kv[0])))

if __name__ == "__main__":
    sys.exit(suite.main("reads-for", __doc__, ReadsFor, broken=["ignore-revocations"]))
