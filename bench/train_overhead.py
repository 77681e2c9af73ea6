"""Provides a benchmark: a plain hand-written PyTorch loop against the engine through its worker.

Same model, same data, same batch size, same optimizer; both do what a typical loop does
(`loss.item()` every step, validation loss and accuracy every epoch, every split's loss and
accuracy at the end). Each starts cold in a process of its own: the plain loop in a freshly
spawned Python (as `python train.py` would), the engine in a fresh worker (as the app does: on a
CPU forked by the fork server, `--worker spawn` measures a spawned one). Prints steps/s of each
and the ratio engine/plain, for an MLP and a small CNN on digits: the whole run by the wall clock
and by CPU time (steadier on a shared machine, where another process can take the core mid-run),
and the steady rate after the first epoch (without one-off costs such as a GPU's first kernels).
Not a test: figures only.

    .venv/bin/python bench/train_overhead.py [--device cpu|cuda] [--repeats 3] [--worker fork]
        [--model mlp]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.engine.client import Launched, RunProcess, can_fork, fork_server  # noqa: E402
from lab.engine.events import Done, EpochEnd, Start  # noqa: E402

CASES = {
    "mlp": ({"builder": "mlp", "args": {"hidden": [64]}}, 60),
    "small-cnn": ({"builder": "small-cnn", "args": {"channels": [16, 32]}}, 40),
}


def run_spec(model: dict, epochs: int, device: str) -> dict:
    # A TrainSpec dump written out in full, so the bench needs no pydantic (GPU machines).
    spec = {
        "dataset": {"name": "digits", "args": {}, "split": {"val": 0.15, "test": 0.15}},
        "model": {"layers": [], **model},
        "loss": "cross_entropy",
        "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 0.0},
        "schedule": None,
        "epochs": epochs,
        "batch_size": 32,
        "shuffle": True,
        "seed": 0,
        "early_stopping": None,
        "loader": "tensor",
        "device": device,
    }
    return {
        "experiment": "bench",
        "lesson": "bench",
        "lesson_dir": ".",
        "kind": "train",
        "spec": spec,
        "tweaks": {},
        "smoke": False,
        "data_cache": "/nonexistent",
        "data_shared": None,
    }


def plain_loop(spec: dict) -> tuple[float, float, float]:
    """The loop a person writes by hand; returns steps/s of wall time, of CPU time, and of
    wall time after the first epoch."""
    import torch

    from lab.engine.datasets import load_data
    from lab.engine.device import pick_device
    from lab.engine.models import build_model

    torch.set_num_threads(1)  # as the engine does for a model this small
    s = spec["spec"]
    device = pick_device(s["device"])
    data = load_data(spec, "cross_entropy")
    torch.manual_seed(0)
    model = build_model(s["model"], tuple(data.X_train.shape[1:]), 10).to(device)
    X_train, y_train = data.X_train.to(device), data.y_train.to(device)
    X_val, y_val = data.X_val.to(device), data.y_val.to(device)
    X_test, y_test = data.X_test.to(device), data.y_test.to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    n, batch_size, steps = len(X_train), s["batch_size"], 0
    started, cpu = time.perf_counter(), time.process_time()
    first_epoch = (0.0, 0)  # the time and step count when the first epoch ended
    for epoch in range(s["epochs"]):
        model.train()
        order = torch.randperm(n).to(device)
        running = 0.0
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            X, y = X_train[index], y_train[index]
            y_hat = model(X)
            loss = loss_fn(y_hat, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.item()
            steps += 1
        model.eval()
        with torch.no_grad():
            y_hat = model(X_val)
            _val_loss = loss_fn(y_hat, y_val).item()
            _val_acc = (y_hat.argmax(1) == y_val).float().mean().item()
        if epoch == 0:
            first_epoch = (time.perf_counter(), steps)
        last_epoch = (time.perf_counter(), steps)
    with torch.no_grad():  # the final figures the engine reports: every split's loss and accuracy
        for X, y in ((X_train, y_train), (X_val, y_val), (X_test, y_test)):
            y_hat = model(X)
            _loss, _acc = loss_fn(y_hat, y).item(), (y_hat.argmax(1) == y).float().mean().item()
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return steps / wall, steps / cpu, steady_rate(first_epoch, last_epoch)


def steady_rate(first_epoch: tuple[float, int], last_epoch: tuple[float, int]) -> float:
    """Steps/s between the end of the first epoch and the end of the last."""
    return (last_epoch[1] - first_epoch[1]) / max(last_epoch[0] - first_epoch[0], 1e-9)


def plain_in_fresh_process(spec: dict) -> tuple[float, float, float]:
    """The plain loop in a newly spawned Python, cold as a script run from the shell is."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(plain_loop, (spec,))


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux /proc), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def engine(spec: dict, worker: RunProcess, steps: int) -> tuple[float, float, float]:
    """The engine in its worker, every event read; steps/s (wall, CPU) from Start to Done, and
    by the wall clock from the first epoch's end to the last's."""
    worker.send(spec)
    began = cpu = None
    epochs: list[tuple[float, int]] = []
    per_epoch = steps // spec["spec"]["epochs"]
    for event in worker.events():
        if isinstance(event, Start):
            began, cpu = time.perf_counter(), cpu_seconds(worker.pid)
        if isinstance(event, EpochEnd):
            epochs.append((time.perf_counter(), event.epoch * per_epoch))
        if isinstance(event, Done):
            assert event.status == "completed", event.reason
            wall = time.perf_counter() - began
            steady = steady_rate(epochs[0], epochs[-1])
            return steps / wall, steps / (cpu_seconds(worker.pid) - cpu), steady
    raise RuntimeError("no done event")


def wait_until_idle(pid: int, timeout: float = 120.0) -> None:
    """Wait until a process has imported torch and sits waiting (its CPU time stops rising),
    so that its start-up does not slow down what is being measured."""
    last, still, deadline = -1.0, 0, time.monotonic() + timeout
    while still < 3 and time.monotonic() < deadline:
        used = cpu_seconds(pid)
        still = still + 1 if used == last else 0
        last = used
        time.sleep(0.2)


def next_worker(how: str) -> RunProcess:
    """A worker as the app makes one: forked by the fork server, or spawned ahead."""
    if how == "fork":
        worker = RunProcess(launched=Launched(fork_server().fork(), warm=True))
        wait_until_idle(worker.pid)
    else:
        worker = RunProcess.spawn()
        wait_until_idle(worker.pid)
    return worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", choices=("fork", "spawn"), default=None)
    parser.add_argument("--model", choices=tuple(CASES), action="append", help="default: all")
    args = parser.parse_args()
    how = args.worker or ("fork" if args.device == "cpu" and can_fork() else "spawn")
    print(
        f"device {args.device}; {how}ed worker; best of {args.repeats}; batch size 32; digits "
        f"(1,257 train); load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus"
    )
    heads = ("steps/s by the wall clock", "steps/s by CPU time", "after the first epoch")
    print(f"{'':10s}" + "".join(f" {head:^29s}" for head in heads))
    cells = f"{'plain':>10s} {'engine':>10s} {'ratio':>6s}"
    print(f"{'model':10s} {cells} {cells} {cells}")
    for name, (model, epochs) in CASES.items():
        if args.model and name not in args.model:
            continue
        spec = run_spec(model, epochs, args.device)
        steps = epochs * math.ceil(1257 / 32)
        plain, eng = [0.0] * 3, [0.0] * 3  # best wall, CPU and steady rates
        for _ in range(args.repeats):  # alternate, so a busy moment hurts both alike
            plain = [max(a, b) for a, b in zip(plain, plain_in_fresh_process(spec), strict=True)]
            worker = next_worker(how)
            eng = [max(a, b) for a, b in zip(eng, engine(spec, worker, steps), strict=True)]
            worker.wait(10)
        cells = (f"{p:10.0f} {e:10.0f} {e / p:6.2f}" for p, e in zip(plain, eng, strict=True))
        print(f"{name:10s} " + " ".join(cells))


if __name__ == "__main__":
    main()
