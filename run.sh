#!/usr/bin/env bash
# numtorch's main job: train the seed's Tudui network on the handwritten digits that scikit-learn ships
# (offline), with a progress bar, TensorBoard logs and a checkpoint per epoch. Sets up ./.venv on first use
# (NumPy plus the optional extras the job uses: scikit-learn, tensorboardX, tqdm). Extra arguments go to
# numtorch-train (e.g. ./run.sh --model lstm, ./run.sh --dataset cifar10 --data-dir ./data).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-venv.sh train >&2
exec .venv/bin/numtorch-train --model tudui --dataset digits "$@"
