"""Running the cases of a Sealwright conformance suite, for the independent
engines of this directory.

Written from docs/conformance/index.md alone ("Layout", "Running a case",
"Host events", "Randomness", `expected-effects` and `rejection`), with wire.py
for the canonical decoding its case files need. CBOR by cbor2.

A runner supplies its engine; this module reads each case of that engine
from the suite, feeds the engine its configuration, state, recorded
randomness, host events and inputs, compares what comes out with the case's
files, and prints a FAIL block with line diffs in CBOR diagnostic notation
for each case that differs, then one line `ENGINE: N/M cases passed`.
"""
import argparse, difflib, json
from pathlib import Path

import cbor2

from wire import Refused, decode_canonical, decode_envelope


# --- Randomness (conformance/index.md "Randomness") ---------------------------
class OutOfRandomness(Exception):
    pass


class Draws:
    """The recorded bytes as the engine's only source of randomness. It keeps
    count, so that a runner can tell an engine that drew more, or less, than
    the reference did: either means a different computation."""

    def __init__(self, recorded):
        self.recorded, self.used = recorded, 0

    def take(self, n):
        if self.used + n > len(self.recorded):
            raise OutOfRandomness(f"the engine wants {n} more random bytes after "
                                  f"{self.used}, but only {len(self.recorded)} were recorded")
        out = self.recorded[self.used:self.used + n]
        self.used += n
        return out


# --- Effects (conformance/index.md "expected-effects") -----------------------
def rejection(env, name, reason):
    """A rejection as the effects record it: the rejected envelope's own sender
    and correlation, the message's name and why."""
    return {"sender": env["sender"], "correlation": env["correlation"], "message": name,
            "reason": reason}


# --- Showing a difference -----------------------------------------------------
def diag(v, indent=""):
    """CBOR diagnostic notation, one map entry or array element per line, so
    that a line diff points at the field that differs. A tuple is an array:
    cbor2 decodes an array used as a map key to one, and engines keep such
    keys as tuples too."""
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


def compare(what, expected_bytes, actual, view=None):
    """No problems if actual encodes to expected_bytes; else a unified diff of
    the two. view, if given, reshapes both values before they are shown (say,
    to split a long byte string into its parts); it never decides equality."""
    if cbor2.dumps(actual) == expected_bytes:
        return []
    # The case's own file must be canonical too: a file that is not fails the
    # case (Refused) rather than being compared loosely.
    expected = decode_canonical(expected_bytes)
    if view:
        expected, actual = view(expected), view(actual)
    diff = difflib.unified_diff(diag(expected).splitlines(), diag(actual).splitlines(),
                                f"expected {what}", f"actual {what}", lineterm="", n=4)
    return [f"{what} differs:"] + list(diff)


# --- Running a case (conformance/index.md "Running a case") -------------------
def run_case(case, start, events, view):
    """The problems of one case directory; none means it passed.

    start(config, state) sets the engine up. Its step(env, draws) handles one
    envelope and returns (envelopes sent, rejections recorded, the guard row
    it took, or None if the engine does not name its rows); its state() is
    the state to compare with post.cbor. events maps a host event's name to a
    function that applies it to the engine."""
    meta = json.loads((case / "meta.json").read_text())
    engine = start(decode_canonical((case / "config.cbor").read_bytes()),
                   decode_canonical((case / "pre.cbor").read_bytes()))
    problems = []
    for n, step in enumerate(meta["steps"]):
        if "event" in step:  # host events draw nothing and send nothing
            if step["event"] not in events:
                return problems + [f"step {n}: unknown host event {step['event']!r}"]
            events[step["event"]](engine)
            continue
        data = (case / f"input_{n}.cbor").read_bytes()
        try:
            env = decode_envelope(data)
        except Refused as why:
            if meta["refused"]:
                continue
            return problems + [f"input_{n}.cbor refused: {why}"]
        if meta["refused"]:
            return problems + [f"input_{n}.cbor must be refused but decodes as an envelope"]
        draws = Draws(bytes.fromhex(step["random"]))
        try:
            sent, rejected, row = engine.step(env, draws)
        except OutOfRandomness as why:
            return problems + [f"step {n}: {why}"]
        # Drawing other bytes than the reference's means computing something
        # else, even when the output happens to agree.
        if draws.used != len(draws.recorded):
            problems.append(f"step {n}: the engine drew {draws.used} random bytes, "
                            f"the reference {len(draws.recorded)}")
        # The page lets a runner check rows only if its engine reports them.
        if row is not None and row != step["handler"]:
            problems.append(f"step {n}: handled by row {row}, the reference by {step['handler']}")
        problems += compare(f"effects_{n}", (case / f"effects_{n}.cbor").read_bytes(),
                            {"send": sent, "rejected": rejected}, view)
    if not meta["refused"]:
        problems += compare("post", (case / "post.cbor").read_bytes(), engine.state(), view)
    return problems


def main(engine, doc, start, broken=(), events=None, view=None):
    """Run every case of engine (its directory name in the suite) and print
    the result; returns the exit code, 0 only if there were cases and all
    passed. start(config, state, broken) sets the engine up, broken being
    None or one of the deliberate bugs the runner offers with --broken."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("suite", type=Path)
    parser.add_argument("--broken", choices=list(broken))
    args = parser.parse_args()
    cases = sorted(m.parent for m in (args.suite / engine).rglob("meta.json"))
    passed = 0
    for case in cases:
        try:
            problems = run_case(case, lambda c, s: start(c, s, args.broken), events or {}, view)
        except Exception as e:  # a case file that does not decode fails the case
            problems = [f"error: {type(e).__name__}: {e}"]
        if problems:
            print(f"FAIL {case}")
            print("\n".join("    " + p for p in problems))
        passed += not problems
    print(f"{engine}: {passed}/{len(cases)} cases passed")
    return 0 if cases and passed == len(cases) else 1
