#!/usr/bin/env bash
# Browser test of the built docs site (run scripts/site.sh first): serves
# target/site on 127.0.0.1 and, in headless Chromium with every other host
# blocked, checks that every page with a mermaid diagram renders all of them
# from the site's own copy of mermaid, that the pages without diagrams (CLI
# guide and reference, API reference, rustdoc) load and that the verification,
# CLI and ciphertext pages do not scroll sideways at 1280 px or at 390 px;
# then screenshots the reads-for
# encryption diagram to target/screenshots/reads-for-encryption.png.
# The checks themselves are in scripts/render_check.py (Python stdlib only).
#
# Environment:
#   SCREENSHOT_PAGE  page to photograph, relative to the site, optionally with
#                    an #anchor (default: the page whose diagram sits under the
#                    heading "Encrypt with reads-for", else encryption/behaviour/)
#   SITE_DIR         the built site (default target/site)
set -euo pipefail
cd "$(dirname "$0")/.."

site="${SITE_DIR:-target/site}"
shot=target/screenshots/reads-for-encryption.png
t0=$SECONDS

if [[ ! -f "$site/index.html" ]]; then
  echo "$site/index.html is missing: run scripts/site.sh first" >&2
  exit 2
fi

# Debian's Chromium (CI starts on a fresh machine, as root).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== browser-test: installing Debian chromium"
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium
fi
echo "== browser-test: $(chromium --version 2>/dev/null | head -n1)"

# Serve the site on loopback; stop the server however this script ends.
log="$(mktemp)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -f "$log"
}
trap cleanup EXIT
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$site" >"$log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/.*Serving HTTP on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' "$log" | head -n1)"
  [[ -n "$port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; echo "http.server did not start" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$log" >&2; echo "http.server did not report its port" >&2; exit 1; }
base="http://127.0.0.1:$port/"
python3 - "$base" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
    assert r.status == 200, r.status
PY
echo "== browser-test: serving $site at $base"

rc=0
python3 scripts/render_check.py --site "$site" --base "$base" --screenshot "$shot" \
  ${SCREENSHOT_PAGE:+--screenshot-page "$SCREENSHOT_PAGE"} || rc=$?
echo "== browser-test: done in $((SECONDS - t0)) s (exit $rc)"
exit "$rc"
