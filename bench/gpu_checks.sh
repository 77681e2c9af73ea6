#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one go (a lent GPU machine's time is short): the engine's
# overhead against a plain loop, `lab run` on cuda, DDP over nccl, and exported scripts on cuda.
# Run from the repository root: bash bench/gpu_checks.sh   (PYTHON=... to choose the Python)
set -u
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 LAB_HOME=${LAB_HOME:-$(mktemp -d)}
step() { printf '\n== %s\n' "$*"; }

nvidia-smi -L
$PY -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
step "engine against a plain loop (bench/train_overhead.py)"
time $PY bench/train_overhead.py --device cuda --repeats 2
step "lab run digits-cnn on cuda"
time $PY -m lab run digits-cnn --device cuda --epochs 5 --seed 0
step "the exported digits-cnn script on cuda, same settings"
$PY -m lab export digits-cnn --device cuda --epochs 5 --seed 0 -o /tmp/digits_cnn.py &&
    time $PY /tmp/digits_cnn.py
step "ddp-digits: one process, backend auto (one GPU each: nccl)"
$PY -m lab run ddp-digits --set world_size=1 --epochs 3
step "ddp-digits: two processes, backend auto (one GPU: gloo on the CPUs)"
$PY -m lab run ddp-digits --epochs 3
step "an exported distributed script under torchrun, one process per GPU (nccl)"
$PY -m lab export digits-named-mlp --distributed --epochs 3 -o /tmp/ddp_mlp.py &&
    torchrun --nproc_per_node=1 /tmp/ddp_mlp.py
step "GPU admission: two runs at once on one GPU, each waiting its turn for free memory"
( $PY -m lab run digits-cnn --device cuda --epochs 3 --json | grep -m3 '"queued"\|"start"' ) &
( $PY -m lab run digits-cnn --device cuda --epochs 3 --json | grep -m3 '"queued"\|"start"' ) &
wait
