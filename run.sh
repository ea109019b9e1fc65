#!/usr/bin/env bash
# numtorch's main job. Sets up ./.venv on first use (NumPy only), then runs the seed's layer snippets
# with `import numtorch as torch` and prints what they print.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-venv.sh "" >&2
exec .venv/bin/python examples/seed_layers.py "$@"
