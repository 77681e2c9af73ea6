"""Provides a benchmark: a plain hand-written PyTorch loop against the engine through its worker.

Same model, same data, same batch size, same optimizer; both do what a typical loop does
(`loss.item()` every step, validation loss and accuracy every epoch, every split's loss and
accuracy at the end). Prints steps/s of each and
the ratio engine/plain, for an MLP and a small CNN on digits. Not a test: figures only.

    .venv/bin/python bench/train_overhead.py [--device cpu|cuda] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.engine.client import Worker  # noqa: E402
from lab.engine.events import Done, Start  # noqa: E402

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


def plain_loop(spec: dict) -> float:
    """The loop a person writes by hand; returns steps/s."""
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
    started = time.perf_counter()
    for _epoch in range(s["epochs"]):
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
    with torch.no_grad():  # the final figures the engine reports: every split's loss and accuracy
        for X, y in ((X_train, y_train), (X_val, y_val), (X_test, y_test)):
            y_hat = model(X)
            _loss, _acc = loss_fn(y_hat, y).item(), (y_hat.argmax(1) == y).float().mean().item()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - started)


def engine(spec: dict, worker: Worker, steps: int) -> float:
    """The engine in its worker, every event read; steps/s from Start to Done."""
    worker.send(spec)
    began = None
    for event in worker.events():
        if isinstance(event, Start):
            began = time.perf_counter()
        if isinstance(event, Done):
            assert event.status == "completed", event.reason
            return steps / (time.perf_counter() - began)
    raise RuntimeError("no done event")


def wait_until_idle(worker: Worker, timeout: float = 120.0) -> None:
    """Wait until the worker has imported torch and sits waiting (its CPU time stops rising),
    so that its start-up does not slow down what is being measured."""
    stat = Path(f"/proc/{worker.pid}/stat")
    if not stat.exists():  # not Linux: give it a generous while
        time.sleep(10)
        return
    last, still, deadline = -1, 0, time.monotonic() + timeout
    while still < 3 and time.monotonic() < deadline:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        used = int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        still = still + 1 if used == last else 0
        last = used
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spare = Worker.spawn()  # started ahead, as the app does
    wait_until_idle(spare)
    print(f"device {args.device}; best of {args.repeats}; batch size 32; digits (1,257 train)")
    print(f"{'model':10s} {'plain steps/s':>14s} {'engine steps/s':>15s} {'ratio':>6s}")
    for name, (model, epochs) in CASES.items():
        spec = run_spec(model, epochs, args.device)
        steps = epochs * math.ceil(1257 / 32)
        plain, eng = 0.0, 0.0
        for _ in range(args.repeats):  # alternate, so a busy moment hurts both alike
            plain = max(plain, plain_loop(spec))
            wait_until_idle(spare)
            eng = max(eng, engine(spec, spare, steps))
            spare.wait(10)
            spare = Worker.spawn()
            wait_until_idle(spare)
        print(f"{name:10s} {plain:14.0f} {eng:15.0f} {eng / plain:6.2f}")
    spare.kill()


if __name__ == "__main__":
    main()
