#!/usr/bin/env bash
# Create ./.venv if needed and install numtorch into it with the given extras, skipping the install when
# nothing it depends on changed since the last run (so both README commands are cheap to repeat).
# Usage: scripts/setup-venv.sh [extras] [extra pip requirements...]
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
shift || true
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
fi
spec="."
[ -n "$extras" ] && spec=".[${extras}]"
stamp=".venv/.numtorch-installed-$(echo "$spec $*" | cksum | cut -d' ' -f1)"
want="$(cksum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec" "$@"
    echo "$want" > "$stamp"
fi
