#!/usr/bin/env bash
# Independent conformance runner: scripts/conformance/reads_for.py, a ReadsFor
# engine written in Python from the docs alone, runs every `reads-for` case of
# a generated suite. Then its copy with a deliberate bug
# (--broken ignore-revocations) must fail, or the suite cannot tell a broken
# engine from a good one.
#
#   bash scripts/conformance.sh [SUITE_DIR]    default: target/conformance
#                                              (`sealwright conformance generate --out DIR`)
#
# Uses the venv of scripts/interop.sh (target/interop-venv, reused while
# scripts/interop-requirements.txt is unchanged; INTEROP_FORCE=1 reinstalls).
set -euo pipefail
cd "$(dirname "$0")/.."

suite="${1:-target/conformance}"
source scripts/python-venv.sh

if [[ ! -d "$suite/reads-for" ]]; then
  echo "conformance: no suite at $suite (make one with: sealwright conformance generate --out $suite)" >&2
  exit 1
fi

echo "== conformance: independent ReadsFor runner on $suite"
"$venv/bin/python" scripts/conformance/reads_for.py "$suite"

echo "== conformance: the same runner with --broken ignore-revocations (must fail)"
broken_out="$(mktemp)"
trap 'rm -f "$broken_out"' EXIT
if "$venv/bin/python" scripts/conformance/reads_for.py "$suite" --broken ignore-revocations >"$broken_out" 2>&1; then
  cat "$broken_out"
  echo "conformance: the suite cannot tell a broken engine from a good one:" \
    "--broken ignore-revocations passed every reads-for case" >&2
  exit 1
fi
if ! tail -n 1 "$broken_out" | grep -q '^reads-for: [0-9]*/[0-9]* cases passed$'; then
  cat "$broken_out"
  echo "conformance: the broken runner failed without finishing its run" >&2
  exit 1
fi
echo "(expected) the broken engine fails $(grep -c '^FAIL ' "$broken_out") case(s); the last lines:"
tail -n 40 "$broken_out"
echo "== conformance: ok"
