#!/usr/bin/env bash
# Mutation testing of the engine modules with cargo-mutants, using the stateright
# model's tests (package sealwright-model) as the only oracle: every mutant of
# engines/src/{encryption,relation,verification,continuation,commitment,naming,
# decryption,identity_management,cookie}.rs is
# built and judged by `cargo test -p sealwright-model` alone (the engines' own unit
# tests are not run), so a missed mutant is a behaviour the model does not pin down.
#
#   scripts/mutants.sh                          the whole set (~210 mutants, ~30 s each on 2 cores)
#   MUTANTS_SHARD=0/8 scripts/mutants.sh        one shard: K/N with K from 0 to N-1 (~16 mutants)
#   MUTANTS_MIN_SCORE=90 scripts/mutants.sh     full run that fails below a 90 % score
#   scripts/mutants.sh --list                   extra arguments go to `cargo mutants` as-is
#
# CI runs a single shard with the default floor of 0 (reports, never fails on the
# score): `MUTANTS_SHARD=0/8 bash scripts/mutants.sh`. A full run asks for a floor,
# e.g. `MUTANTS_MIN_SCORE=90 bash scripts/mutants.sh`.
#
# Environment:
#   MUTANTS_SHARD      K/N, passed as --shard (default: no sharding, the whole set)
#   MUTANTS_JOBS       mutants built/tested in parallel, --jobs (default 1)
#   MUTANTS_TIMEOUT    per-mutant test timeout in seconds, --timeout (default 300): a
#                      mutant that makes the model loop is reported as a timeout
#   MUTANTS_OUT        directory that receives mutants.out/, --output (default target/mutants)
#   MUTANTS_MIN_SCORE  exit non-zero if caught / (caught + missed + timeout) is below
#                      this percentage (default 0)
#   MUTANTS_ORACLE     model (default): the model's tests judge each mutant;
#                      conformance: a suite generated first by the unmutated engines
#                      (`sealwright conformance generate`) is the only oracle, through
#                      engines/tests/conformance_suite.rs
# Set CARGO_TARGET_DIR to keep the mutants' builds away from ./target's lock.
#
# Afterwards prints caught / missed / timeout / unviable counts, the score and the
# missed mutants (from $MUTANTS_OUT/mutants.out/*.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_MUTANTS_VERSION=27.1.0
SHARD=${MUTANTS_SHARD:-}
JOBS=${MUTANTS_JOBS:-1}
TIMEOUT=${MUTANTS_TIMEOUT:-300}
OUT=${MUTANTS_OUT:-target/mutants}
MIN_SCORE=${MUTANTS_MIN_SCORE:-0}
ENGINE_FILES=(
  engines/src/encryption.rs
  engines/src/relation.rs
  engines/src/verification.rs
  engines/src/continuation.rs
  engines/src/commitment.rs
  engines/src/naming.rs
  engines/src/decryption.rs
  engines/src/identity_management.rs
  engines/src/cookie.rs
)

if ! [[ $MIN_SCORE =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "mutants: MUTANTS_MIN_SCORE must be a number of percent, got '$MIN_SCORE'" >&2
  exit 2
fi

if [[ "$(cargo mutants --version 2>/dev/null || true)" != "cargo-mutants $CARGO_MUTANTS_VERSION" ]]; then
  echo "== installing cargo-mutants $CARGO_MUTANTS_VERSION"
  cargo install cargo-mutants --version "$CARGO_MUTANTS_VERSION" --locked
fi

ORACLE=${MUTANTS_ORACLE:-model}
case $ORACLE in
  model)
    args=(--test-package sealwright-model)
    oracle_name="sealwright-model tests"
    ;;
  conformance)
    suite="$OUT/suite"
    echo "== generating the oracle: the conformance suite of the unmutated engines, in $suite"
    rm -rf "$suite"
    cargo run --release -q -p sealwright -- conformance generate --out "$suite" > /dev/null
    SEALWRIGHT_CONFORMANCE_SUITE="$(cd "$suite" && pwd)"
    export SEALWRIGHT_CONFORMANCE_SUITE
    args=(--test-package sealwright-engines --cargo-test-arg=--test=conformance_suite)
    oracle_name="the conformance suite alone"
    ;;
  *)
    echo "mutants: MUTANTS_ORACLE must be model or conformance, got '$ORACLE'" >&2
    exit 2
    ;;
esac
args+=(--jobs "$JOBS" --timeout "$TIMEOUT" --output "$OUT")
for f in "${ENGINE_FILES[@]}"; do
  if [[ ! -f $f ]]; then
    echo "mutants: engine module $f does not exist (update ENGINE_FILES in $0)" >&2
    exit 2
  fi
  args+=(--file "$f")
done
if [[ -n $SHARD ]]; then args+=(--shard "$SHARD"); fi

# Listing modes produce no outcomes to summarise.
for a in "$@"; do
  case $a in
    --list | --list-files) exec cargo mutants "${args[@]}" "$@" ;;
  esac
done

echo "== cargo mutants ${args[*]} $*"
# Exit codes: 0 all caught, 2 some missed, 3 some timed out (summarised below);
# anything else (1 usage, 4 baseline tests failed, 70 internal error) is fatal.
rc=0
cargo mutants "${args[@]}" "$@" || rc=$?
case $rc in
  0 | 2 | 3) ;;
  *) echo "mutants: cargo mutants failed (exit $rc)" >&2; exit "$rc" ;;
esac

results=$OUT/mutants.out
count() { if [[ -f $results/$1.txt ]]; then grep -c . "$results/$1.txt" || true; else echo 0; fi; }
caught=$(count caught)
missed=$(count missed)
timeout=$(count timeout)
unviable=$(count unviable)
tested=$((caught + missed + timeout))

echo
echo "== mutation score (oracle: $oracle_name${SHARD:+; shard $SHARD})"
echo "caught:   $caught"
echo "missed:   $missed"
echo "timeout:  $timeout"
echo "unviable: $unviable"
if ((tested == 0)); then
  echo "score:    n/a (no viable mutants)"
  pass=$(awk -v m="$MIN_SCORE" 'BEGIN { print (m + 0 == 0) ? 1 : 0 }')
else
  score=$(awk -v c="$caught" -v t="$tested" 'BEGIN { printf "%.1f", 100 * c / t }')
  echo "score:    $score% = $caught / ($caught + $missed + $timeout), floor $MIN_SCORE%"
  pass=$(awk -v c="$caught" -v t="$tested" -v m="$MIN_SCORE" 'BEGIN { print (100 * c >= m * t) ? 1 : 0 }')
fi
if ((missed > 0)); then
  echo
  echo "== missed mutants ($oracle_name passes with these changes):"
  sed 's/^/  /' "$results/missed.txt"
fi
if ((timeout > 0)); then
  echo
  echo "== timed-out mutants (counted as not caught):"
  sed 's/^/  /' "$results/timeout.txt"
fi

if ((pass != 1)); then
  echo "mutants: score below the floor of $MIN_SCORE%" >&2
  exit 1
fi
