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

source scripts/python-venv.sh

echo "== interop: checking test vectors with cbor2, cryptography and pyhpke"
exec "$venv/bin/python" scripts/interop.py "$@"
