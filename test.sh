#!/usr/bin/env bash
# numtorch's whole test suite. Sets up ./.venv on first use with the test extras and torch==2.13.0 (the CPU
# build: the oracle the parity tests compare against), then runs pytest on all cores. Extra arguments go
# to pytest (e.g. ./test.sh tests/test_tensor.py -x).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-venv.sh test "torch==2.13.0" >&2
# One BLAS/OpenMP thread per pytest worker: the workers already use every core.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
exec .venv/bin/python -m pytest -q -n auto -p no:cacheprovider "$@"
