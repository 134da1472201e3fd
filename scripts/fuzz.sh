#!/usr/bin/env bash
# Coverage-guided fuzzing with cargo fuzz (libFuzzer) on stable Rust.
#
#   scripts/fuzz.sh            build every target in fuzz/, replay fuzz/regressions/<target>/,
#                              then fuzz each target for FUZZ_SECONDS (default 30) from a scratch
#                              copy of fuzz/corpus/<target>/; prints executions, exec/s, new
#                              coverage and crashes per target, and exits non-zero on any crash.
#   scripts/fuzz.sh seeds      regenerates the seed corpora (fuzz/examples/seeds.rs) and
#                              minimises them into fuzz/corpus/<target>/ with `cargo fuzz cmin`
#                              (merged with what is there; at most FUZZ_CORPUS_BYTES per target).
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGETS (space-separated subset),
# FUZZ_TOOLCHAIN (e.g. `+stable`; default: the active toolchain).
#
# Stable Rust cannot use a sanitizer, so targets build with `--sanitizer none`:
# safe Rust needs no ASan, libFuzzer still gets coverage, timeouts and its RSS
# limit, and the fuzz crate caps the live Rust heap (64 MiB) because libFuzzer's
# -malloc_limit_mb needs a sanitizer's malloc hooks. The tree is never
# written to: corpora are copied to a scratch directory; a crashing input is
# saved under fuzz/artifacts/ (git-ignored) and printed in base64.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
CORPUS_BUDGET=${FUZZ_CORPUS_BYTES:-49152}
TOOLCHAIN=${FUZZ_TOOLCHAIN:-}
TRIPLE=x86_64-unknown-linux-gnu
# Unbounded allocation or a hang is a crash.
LIMITS=(-rss_limit_mb=256 -malloc_limit_mb=64 -timeout=10)

# shellcheck disable=SC2086 # TOOLCHAIN is empty or one word.
cargo_() { cargo $TOOLCHAIN "$@"; }

if ! cargo_ fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo_ install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

cd fuzz
# Fuzz builds use other flags than the workspace's, and the runs below look for their
# binaries here: ignore any CARGO_TARGET_DIR the caller set (CI sets one for the workspace).
export CARGO_TARGET_DIR="$PWD/target"
if [[ ${1:-} == seeds ]]; then
    raw=$(mktemp -d)
    trap 'rm -rf "$raw"' EXIT
    cargo_ run --release --example seeds -- "$raw"
    for dir in "$raw"/*/; do
        target=$(basename "$dir")
        mkdir -p "corpus/$target"
        cp -r "$dir." "corpus/$target/"
        # Edges only (not hit counts): the smallest set that keeps the coverage.
        cargo_ fuzz cmin --sanitizer none "$target" "corpus/$target" -- "${LIMITS[@]}" -use_counters=0 2>&1 | tail -n 1
        # Keep the committed corpus small: at most 300 inputs (the smallest, shallowest ones go
        # first: 30 s of fuzzing finds them again), then at most the byte budget (largest go).
        while (($(find "corpus/$target" -type f | wc -l) > 300)); do
            rm "corpus/$target/$(ls -Sr "corpus/$target" | head -n 1)"
        done
        total=$(cat "corpus/$target"/* | wc -c)
        while ((total > CORPUS_BUDGET)); do
            largest=$(ls -S "corpus/$target" | head -n 1)
            total=$((total - $(wc -c <"corpus/$target/$largest")))
            rm "corpus/$target/$largest"
        done
    done
    du -sh corpus
    exit 0
fi

echo "== cargo fuzz build (stable, --sanitizer none)"
cargo_ fuzz build --sanitizer none
read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo_ fuzz list | tr '\n' ' ')}"
bin() { echo "target/$TRIPLE/release/$1"; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()

report_crash() { # target, artifact directory
    local target=$1 dir=$2 f
    mkdir -p "artifacts/$target"
    for f in "$dir"/*; do
        [[ -f $f ]] || continue
        cp "$f" "artifacts/$target/"
        echo "   crash input fuzz/artifacts/$target/$(basename "$f") (base64): $(base64 -w0 "$f")"
    done
}

echo "== replaying fuzz/regressions"
for target in "${targets[@]}"; do
    inputs=()
    if [[ -d regressions/$target ]]; then
        while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "regressions/$target" -type f -print0 | sort -z)
    fi
    if ((${#inputs[@]} == 0)); then
        continue
    fi
    if "$(bin "$target")" "${LIMITS[@]}" "${inputs[@]}" >"$scratch/$target.replay.log" 2>&1; then
        echo "   $target: ${#inputs[@]} inputs replayed, all pass"
    else
        echo "   $target: a regression input crashes again:"
        tail -n 30 "$scratch/$target.replay.log"
        failed+=("$target (regression)")
    fi
done

echo "== fuzzing each target for ${FUZZ_SECONDS}s"
summary=()
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    if [[ -d corpus/$target ]]; then
        cp -r "corpus/$target/." "$corpus/"
    fi
    log="$scratch/$target.log"
    status=0
    "$(bin "$target")" "$corpus" "${LIMITS[@]}" -max_total_time="$FUZZ_SECONDS" \
        -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
    execs=$(stat number_of_executed_units)
    rate=$(stat average_exec_per_sec)
    units=$(stat new_units_added)
    cov_start=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | head -n 1)
    cov_end=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
    crashes=$(find "$artifacts" -type f | wc -l)
    if ((status != 0)) && ((crashes == 0)); then
        crashes=1 # died without an artifact (e.g. a failed start)
    fi
    summary+=("$(printf '%-18s %12s %9s %7s %14s %8s' "$target" "${execs:-?}" "${rate:-?}" "${units:-?}" "${cov_start:-?}->${cov_end:-?}" "$crashes")")
    if ((status != 0)); then
        echo "   $target: CRASH (exit $status)"
        grep -E -A12 "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | head -n 40 || tail -n 40 "$log"
        report_crash "$target" "$artifacts"
        failed+=("$target")
    else
        echo "   $target: ok"
    fi
done

echo "== fuzz summary (${FUZZ_SECONDS}s per target)"
printf '%-18s %12s %9s %7s %14s %8s\n' target executions exec/s units coverage crashes
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
    echo "FAILED: ${failed[*]}"
    echo "Reproduce: cd fuzz && cargo fuzz run --sanitizer none <target> artifacts/<target>/<file>;"
    echo "minimise with cargo fuzz tmin, save it in fuzz/regressions/<target>/, fix, and add a test."
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
