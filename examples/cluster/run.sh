#!/usr/bin/env bash
# Three nodes on loopback, driven over links by a client; one node is killed with SIGKILL
# in the middle of load and restarted, and every acknowledged change must still be there.
#
#   bash examples/cluster/run.sh           builds sealwright (release) unless SEALWRIGHT_BIN is set
#   CLUSTER_PORT_BASE=7201 bash ...        listen on 7201-7203 instead of 7101-7103
#   CLUSTER_REQUESTS=20000 bash ...        a longer load (default 3000)
#
# alpha runs the Encryption pool, beta ReadsFor, gamma the vault and Identity Management.
# The last line is a one-line summary; the exit status is 0 only if every check held.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ -n "${SEALWRIGHT_BIN:-}" ]; then
  bin="$SEALWRIGHT_BIN"
else
  (cd "$root" && cargo build --release -q -p sealwright)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/sealwright"
fi
base="${CLUSTER_PORT_BASE:-7101}"
requests="${CLUSTER_REQUESTS:-3000}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${CLUSTER_KEEP:-0}" = 1 ]; then echo "work dir kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "cluster: FAILED: $*" >&2
  for n in alpha beta gamma; do [ -f "$work/$n.log" ] && tail -5 "$work/$n.log" >&2; done
  exit 1
}
now_ms() { date +%s%3N; }

cd "$work"
for f in alpha beta gamma app; do
  sed -e "s/127.0.0.1:7101/127.0.0.1:$base/" -e "s/127.0.0.1:7102/127.0.0.1:$((base + 1))/" \
      -e "s/127.0.0.1:7103/127.0.0.1:$((base + 2))/" "$here/$f.toml" > "$f.toml"
done
printf 'cluster passphrase\n' > passphrase
for n in alpha beta gamma app; do
  "$bin" keygen --vault "$n.vault" --passphrase-file passphrase --kdf-memory-kib 1024 >/dev/null 2>&1
  "$bin" identity show --vault "$n.vault" | awk '/^public:/ {print $2}' > "$n.pub"
done

# Starts node $1 and waits for its `ready` line; sets started_ms to how long it took.
declare -A pid
start() {
  local t0
  t0=$(now_ms)
  "$bin" node --config "$1.toml" > "$1.out" 2>> "$1.log" &
  pid[$1]=$!
  pids+=("$!")
  # Not a job of this shell: its SIGKILL is the test, not news for bash to print.
  disown "$!"
  for _ in $(seq 1 300); do
    grep -q '^ready' "$1.out" 2>/dev/null && { started_ms=$(( $(now_ms) - t0 )); return 0; }
    kill -0 "${pid[$1]}" 2>/dev/null || fail "$1 exited at start"
    sleep 0.05
  done
  fail "$1 did not start"
}
# Kills node $1 with SIGKILL, restarts it; sets restart_ms.
restart() {
  kill -9 "${pid[$1]}"
  while kill -0 "${pid[$1]}" 2>/dev/null; do sleep 0.01; done
  start "$1"
  restart_ms=$started_ms
}
remote() { "$bin" remote --config app.toml "$@"; }

for n in beta gamma alpha; do start "$n"; done

# A remote owner: Identity Management on gamma makes an identity app/client owns.
reader=$(remote generate --node gamma)
# app's own identity says "reader reads for me"; beta acknowledges it.
"$bin" evidence grant --vault app.vault --passphrase-file passphrase --reader "$reader" -o grant.cbor 2>/dev/null
[ "$(remote submit --node beta grant.cbor)" = acknowledged ] || fail "evidence not acknowledged"
remote reads-for --node beta --reader "$reader" --owner app.pub >/dev/null || fail "evidence not in force"
# A reads-for encryption on alpha queries beta; the remote owner decrypts at gamma.
printf 'across three processes\n' > plain
remote encrypt --node alpha --to app.pub --reads-for -o sealed plain
remote decrypt --node gamma -o opened sealed
cmp -s plain opened || fail "the remote owner did not get the plaintext back"

# Load through alpha (every request a reads-for query to beta); beta is killed mid-load.
remote load --node alpha --to app.pub --reads-for --requests "$requests" --window 16 > load.out 2> load.err &
load_pid=$!
sleep 0.3
restart beta
beta_restart_ms=$restart_ms
wait "$load_pid" || fail "load: $(cat load.out load.err)"
load_line=$(cat load.out)
echo "$load_line"
grep -q ' 0 answered twice' load.out || fail "a request was answered twice"
# What beta acknowledged before SIGKILL is still there.
remote reads-for --node beta --reader "$reader" --owner app.pub >/dev/null || fail "acknowledged evidence lost"

# A revocation, acknowledged, then SIGKILL: it is still in force after the restart.
"$bin" evidence revoke --vault app.vault --passphrase-file passphrase --reader "$reader" -o revoke.cbor 2>/dev/null
[ "$(remote submit --node beta revoke.cbor)" = acknowledged ] || fail "revocation not acknowledged"
restart beta
if remote reads-for --node beta --reader "$reader" --owner app.pub >/dev/null 2>&1; then
  fail "acknowledged revocation lost"
fi
# gamma killed: the identity its vault made, and the vault's own link key, survive.
restart gamma
gamma_restart_ms=$restart_ms
remote decrypt --node gamma -o opened-again sealed
cmp -s plain opened-again || fail "the vault lost an acknowledged identity"

rate=$(sed -n 's/.* \([0-9]*\) requests\/s.*/\1/p' load.out)
echo "cluster: 3 nodes, $requests requests through alpha at $rate requests/s across processes, beta restarted in ${beta_restart_ms} ms and gamma in ${gamma_restart_ms} ms after SIGKILL, acknowledged changes lost: 0, requests answered twice: 0"
