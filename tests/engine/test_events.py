"""Events round-trip through one JSON line each."""

from __future__ import annotations

import json

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
