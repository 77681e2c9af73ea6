"""Provides one process of a data-parallel run: `python -m lab.engine.scripted.ddp_rank`.

Started by `lab.engine.scripted.distributed` with the environment torchrun sets (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, ...). It reads its settings as one JSON line on stdin,
MASTER_PORT among them (the launcher opens its store once every rank is made), and writes one
JSON object a line on stdout, for the launcher only:

    {"run": "2x32", "rank": 0, "epoch": 1, "step": 3, "loss": 2.1}      a step's loss on this rank
    {"run": "2x32", "rank": 0, "epoch": 1, "metrics": {...}}             an epoch's end on this rank
    {"rank": 0, "done": {"2x32": {...}}}                                 every run's final metrics
    {"rank": 0, "failed": "...", "traceback": "..."}                     an error on this rank

Each run in the settings is `{name, world, batch_size}`: `world` 1 trains on rank 0 alone (one
process, no DDP), the full world size trains with DistributedDataParallel on every rank. The
gradients are averaged by DDP's own all-reduce during `backward()`; nothing here averages them.
When stdin closes (the launcher is gone) the process ends at once, even inside a collective.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import traceback
from typing import Any


def main() -> int:
    """`python -m lab.engine.scripted.ddp_rank`: a fresh interpreter (the nccl path)."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr  # anything a library prints goes to stderr, never among the lines
    return serve(sys.stdin, out)


def serve(stdin, out) -> int:
    """Read the settings, train, report; also the body of a rank forked from the launcher."""
    # Ctrl+C reaches every process of the terminal's group: the launcher decides, ranks wait.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)  # a forked rank must not keep the worker's handlers
    rank = int(os.environ["RANK"])

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    line = stdin.readline()
    if not line.strip():
        return 0
    threading.Thread(target=_watch, args=(stdin,), daemon=True).start()
    try:
        train(json.loads(line), send)
    except Exception as exc:
        from lab.engine.failures import readable

        send({"rank": rank, "failed": readable(exc), "traceback": traceback.format_exc()})
        return 1
    return 0


def _watch(stdin) -> None:
    try:
        while stdin.readline():
            pass
    except (OSError, ValueError):
        pass
    os._exit(1)  # the launcher is gone: no rank may outlive it, even inside a collective


def train(settings: dict[str, Any], send) -> None:
    from datetime import timedelta

    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    from lab.engine.datasets import load_data
    from lab.engine.models import build_model
    from lab.engine.parts import evaluate

    rank = int(os.environ["RANK"])
    local_rank = int(os.environ["LOCAL_RANK"])
    backend = settings["backend"]
    device = torch.device(f"cuda:{local_rank}" if backend == "nccl" else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.set_num_threads(1)  # one core per process: the processes are the parallelism here
    os.environ["MASTER_PORT"] = str(settings["master_port"])
    # The process group: every rank meets the others at MASTER_ADDR:MASTER_PORT (env://).
    dist.init_process_group(backend, timeout=timedelta(seconds=60))
    seed, lr, num_epochs = int(settings["seed"]), float(settings["lr"]), int(settings["epochs"])
    # The digits, split 70/15/15 as every declarative run splits them; every rank loads them all.
    data = load_data({"spec": {"dataset": {"name": "digits"}, "seed": seed}}, "cross_entropy")
    num_classes = data.num_classes
    assert num_classes is not None  # the digits are classes
    train_set = TensorDataset(data.X_train, data.y_train)
    loss_fn = nn.CrossEntropyLoss()

    runs = {}
    for run in settings["runs"]:
        if run["world"] == 1 and rank != 0:
            continue  # a one-process run: rank 0 trains it alone
        torch.manual_seed(seed)  # the same starting weights in every run and on every rank
        model = build_model(
            {"builder": "mlp", "args": {"hidden": [64]}}, (1, 8, 8), num_classes
        ).to(device)
        net = model
        if run["world"] > 1:
            # DDP copies rank 0's weights to every rank now, and all-reduces gradients in backward
            net = DistributedDataParallel(
                model, device_ids=[local_rank] if device.type == "cuda" else None
            )
        sampler: DistributedSampler[tuple[torch.Tensor, ...]] = DistributedSampler(
            train_set, num_replicas=run["world"], rank=rank, shuffle=True, seed=seed
        )
        # drop_last: every step averages the same number of samples on every rank
        loader = DataLoader(
            train_set, batch_size=run["batch_size"], sampler=sampler, drop_last=True
        )
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        runs[run["name"]] = (run, model, net, sampler, loader, optimizer)

    for epoch in range(1, num_epochs + 1):
        for name, (_run, model, net, sampler, loader, optimizer) in runs.items():
            sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
            net.train()
            total, samples = 0.0, 0
            for step, (X, y) in enumerate(loader, start=1):
                X, y = X.to(device), y.to(device)  # X: [batch, 1, 8, 8], y: [batch]
                # forward
                loss = loss_fn(net(X), y)
                # backward (DDP all-reduces the gradients here: every rank gets their mean)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                # update: the same step from the same gradients keeps the replicas identical
                optimizer.step()
                # report
                value = loss.item()
                total += value * len(X)  # the epoch's figure is a mean over its samples
                samples += len(X)
                send({"run": name, "rank": rank, "epoch": epoch, "step": step, "loss": value})
            metrics = {"train_loss": total / max(samples, 1)}
            if settings.get("validate") and rank == 0:
                X_val, y_val = data.splits()["val"]
                metrics["val_loss"], metrics["val_accuracy"] = evaluate(
                    model, loss_fn, X_val.to(device), y_val.to(device), "classes"
                )
            send({"run": name, "rank": rank, "epoch": epoch, "metrics": metrics})

    final: dict[str, dict[str, float]] = {}
    for name, (run, model, *_rest) in runs.items():
        metrics = {}
        if rank == 0:
            for split, (X, y) in data.splits().items():
                loss_value, accuracy = evaluate(
                    model, loss_fn, X.to(device), y.to(device), "classes"
                )
                metrics[f"{split}_loss"], metrics[f"{split}_accuracy"] = loss_value, accuracy
        if run["world"] > 1:
            metrics["rank_weight_gap"] = weight_gap(model, run["world"])
        final[name] = metrics
    send({"rank": rank, "done": final})
    # let go of what holds the group (the DDP wrappers, the last graphs) before leaving it: a
    # group still held when Python exits can abort the process
    runs.clear()
    net = optimizer = loss = None  # noqa: F841 - dropped, not used
    gc.collect()
    dist.destroy_process_group()


def weight_gap(model, world: int) -> float:
    """The largest |parameter on rank r - the same parameter on rank 0| over all ranks."""
    import torch
    import torch.distributed as dist

    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat)
    return max(float((g - gathered[0]).abs().max()) for g in gathered)


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)
