"""`lab export --distributed`: scripts for torchrun.

The ddp-digits script, run by `torchrun --nproc_per_node=2` on the CPU, ends with the metrics of
the lab's own ddp-digits run; every declarative experiment's script is clean and runs (here in
this process, as a world of one, so that eleven scripts cost seconds, not minutes).
"""

from __future__ import annotations

import runpy
import subprocess
import sys

import pytest

from lab.catalog.runspec import build_run_spec
from lab.engine.loop import run_events
from lab.export import export_script
from tests.engine.test_datasets import write_mnist
from tests.export.test_export import ALLOWED_IMPORTS, RUFF_CHECK, imported_modules, ruff
from tests.procs import free_port

pytestmark = pytest.mark.slow

TOLERANCE = 1e-4


def final_metrics(stdout: str) -> dict[str, float]:
    words = stdout.strip().splitlines()[-1].split()
    return {k: float(v) for k, v in zip(words[::2], words[1::2], strict=True)}


def test_the_ddp_digits_script_under_torchrun_ends_like_the_labs_run(shipped, tmp_path):
    entry = shipped.experiment("ddp-digits")
    run_spec = build_run_spec(entry, epochs=3)
    done = list(run_events(run_spec, lambda: False))[-1]
    assert done.status == "completed", done.reason
    script = tmp_path / "ddp_digits_ddp.py"
    script.write_text(export_script(run_spec, distributed=True))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            # its rendezvous store on a port the system picks: no port picked beforehand for
            # another test's processes to take first
            "--standalone",
            "--nproc_per_node=2",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-1500:] + run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["1/3", "2/3", "3/3"]
    final = final_metrics(run.stdout)
    print(f"\ntorchrun x2: {final}\nlab run:     {done.metrics}")
    for key, value in final.items():
        assert abs(value - done.metrics[key]) <= TOLERANCE, (key, value, done.metrics[key])
    assert set(final) == {
        f"{s}_{m}" for s in ("train", "val", "test") for m in ("loss", "accuracy")
    }


def test_every_declarative_experiment_exports_a_distributed_script_that_runs(
    shipped, tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    write_mnist(cache, "MNIST", n=200)
    write_mnist(cache, "FashionMNIST", n=200)
    # a world of one process, as `torchrun --nproc_per_node=1` would set it up
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    world = {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "LOCAL_WORLD_SIZE": "1"}
    for name, value in world.items():
        monkeypatch.setenv(name, value)
    problems, count = [], 0
    for entry in shipped.experiments():
        exp = entry.experiment
        if not exp.train:
            continue
        run_spec = build_run_spec(entry, epochs=1)
        run_spec = run_spec.model_copy(update={"data_cache": str(cache)})
        text = export_script(run_spec, distributed=True)
        path = tmp_path / f"{exp.id.replace('-', '_')}_ddp.py"
        path.write_text(text)
        final = runpy.run_path(str(path), run_name="__main__")["final"]
        count += 1
        split = exp.train.dataset.split
        held = [name for name in ("val", "test") if getattr(split, name) > 0]
        expected = {f"{s}_loss" for s in ("train", *held)}
        if not expected <= set(final) and exp.id != "gd-diverge":
            problems.append(f"{exp.id}: final metrics {sorted(final)}")
        extra = imported_modules(text) - ALLOWED_IMPORTS
        if extra:
            problems.append(f"{exp.id}: imports {sorted(extra)}")
        checked = ruff(RUFF_CHECK, text)
        if checked.returncode != 0:
            problems.append(f"{exp.id}: ruff check: {checked.stdout}")
        for needed in (
            "DistributedSampler(",
            "sampler.set_epoch(epoch)",
            "DistributedDataParallel(",
        ):
            if needed not in text:
                problems.append(f"{exp.id}: no {needed}")
    assert not problems, "\n".join(problems)
    assert count >= 11
