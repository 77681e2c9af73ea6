"""Events round-trip through one JSON line each; events and client import no torch."""

from __future__ import annotations

import json
import subprocess
import sys

from lab.engine.events import Done, EpochEnd, Log, Progress, Start, from_json, to_json


def test_every_event_round_trips_through_one_json_line():
    events = [
        Start("exp", "cpu", "Linear(1, 1)", 2, {"epochs": 3}, "2.0"),
        Progress(1, 10, 0.5, 1234.5),
        Progress(2, 20, 0.25, 99.0, series="adam"),
        EpochEnd(1, {"train_loss": 0.5, "val_accuracy": 0.9}),
        Log("w = 1.99"),
        Done("failed", "it broke", {}, "Traceback ..."),
        Done("diverged", "blew up", {"train_loss": float("inf")}),
    ]
    for event in events:
        line = to_json(event)
        assert "\n" not in line
        assert json.loads(line)["type"] in ("start", "progress", "epoch", "log", "done")
        assert from_json(line) == event


def test_events_and_client_import_neither_torch_nor_textual():
    code = (
        "import sys, lab.engine.events, lab.engine.client; "
        "print(any(m == 'torch' or m.startswith(('torch.', 'textual')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
