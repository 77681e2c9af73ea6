"""A run imports what it needs and nothing more: torchvision only for its sets, scikit-learn for
no set at all (each costs a second or two of CPU before `lab run`'s first line)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.conftest import train_run

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

RUN = """
import json, sys
from lab.engine.loop import run_events
for spec in json.loads(sys.argv[1]):
    events = list(run_events(spec, lambda: False))
    assert events[-1].status == "completed", events[-1]
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _imported(*specs: dict) -> set[str]:
    """The top-level modules one process holds after running each of `specs`."""
    out = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps([train_run(spec) for spec in specs])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout))


def test_runs_on_the_moons_and_the_digits_import_neither_scikit_learn_nor_torchvision():
    spec = {
        "dataset": {"name": "moons", "split": {"val": 0.2, "test": 0.2}},
        "model": {"builder": "mlp", "args": {"hidden": [8]}},
        "loss": "cross_entropy",
        "optimizer": {"name": "adam", "lr": 0.01},
        "epochs": 1,
        "batch_size": 32,
    }
    digits = {**spec, "dataset": {"name": "digits", "subset": 200}}
    imported = _imported(spec, digits)
    assert "torchinfo" in imported  # the model's summary, in the Start event
    assert not imported & {"sklearn", "scipy", "torchvision"}
