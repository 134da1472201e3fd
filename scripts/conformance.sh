#!/usr/bin/env bash
# Independent conformance runners: engines written in Python from the docs alone
# (scripts/conformance/ENGINE.py) run their part of a generated suite. Then each
# one's copy with a deliberate bug must fail, or the suite cannot tell a broken
# engine from a good one. Last, their shared wire reader must read every case
# of the suite, of every engine.
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

# engine (as the suite names it), runner script, the deliberate bug its --broken takes
RUNNERS=(
  "reads-for scripts/conformance/reads_for.py ignore-revocations"
  "encryption scripts/conformance/encryption.py skip-readers"
)

broken_out="$(mktemp)"
trap 'rm -f "$broken_out"' EXIT
for row in "${RUNNERS[@]}"; do
  read -r engine script bug <<<"$row"
  if [[ ! -d "$suite/$engine" ]]; then
    echo "conformance: no $engine cases at $suite (make a suite with: sealwright conformance generate --out $suite)" >&2
    exit 1
  fi
  echo "== conformance: independent $engine runner on $suite"
  "$venv/bin/python" "$script" "$suite"

  echo "== conformance: the same runner with --broken $bug (must fail)"
  if "$venv/bin/python" "$script" "$suite" --broken "$bug" >"$broken_out" 2>&1; then
    cat "$broken_out"
    echo "conformance: the suite cannot tell a broken engine from a good one:" \
      "--broken $bug passed every $engine case" >&2
    exit 1
  fi
  if ! tail -n 1 "$broken_out" | grep -q "^$engine: [0-9]*/[0-9]* cases passed$"; then
    cat "$broken_out"
    echo "conformance: the broken $engine runner failed without finishing its run" >&2
    exit 1
  fi
  echo "(expected) the broken engine fails $(grep -c '^FAIL ' "$broken_out") case(s); the last lines:"
  tail -n 30 "$broken_out"
done
# The runners decode only their engine's cases; the wire reader they share must
# read every case, or a message of another engine would fail them the day a
# made case sends it to theirs.
echo "== conformance: the shared wire reader (scripts/conformance/wire.py) reads every case of $suite"
"$venv/bin/python" scripts/conformance/wire.py "$suite"

echo "== conformance: ok"
