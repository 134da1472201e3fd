#!/usr/bin/env bash
# Interoperability check: independent Python libraries (cbor2, cryptography,
# pyhpke) decode, verify and open every committed test vector in spec/vectors,
# following only the wire-format pages of the docs (docs/wire-format/*.md).
#
#   bash scripts/interop.sh                 check spec/vectors
#   bash scripts/interop.sh --vectors DIR   check vectors written elsewhere (`sealwright vectors --out DIR`)
#
# The venv lives at target/interop-venv and is reused while
# scripts/interop-requirements.txt is unchanged (INTEROP_FORCE=1 reinstalls).
# Exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/interop-venv
requirements=scripts/interop-requirements.txt
sha() { sha256sum "$1" | cut -d' ' -f1; }

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
if [[ "${INTEROP_FORCE:-0}" == 1 || ! -f "$stamp" || "$(cat "$stamp")" != "$(sha "$requirements")" ]]; then
  echo "== interop: installing $requirements into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  sha "$requirements" > "$stamp"
fi

echo "== interop: checking test vectors with cbor2, cryptography and pyhpke"
exec "$venv/bin/python" scripts/interop.py "$@"
