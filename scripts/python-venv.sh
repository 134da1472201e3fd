# Sourced by scripts/interop.sh and scripts/conformance.sh: makes (or reuses) the
# Python venv at target/interop-venv with scripts/interop-requirements.txt,
# reinstalling when that file changes (INTEROP_FORCE=1 reinstalls anyway), and
# sets $venv. The caller has already cd'ed to the repository root.
venv=target/interop-venv
requirements=scripts/interop-requirements.txt
sha() { sha256sum "$1" | cut -d' ' -f1; }

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
if [[ "${INTEROP_FORCE:-0}" == 1 || ! -f "$stamp" || "$(cat "$stamp")" != "$(sha "$requirements")" ]]; then
  echo "== installing $requirements into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  sha "$requirements" > "$stamp"
fi
