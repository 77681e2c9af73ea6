"""The model summary a run starts with: a header a beginner reads, shapes for one sample, and
the real size of a scripted experiment's model."""

from __future__ import annotations

import torch
from torch import nn

from lab.engine.events import Start
from lab.engine.models import summary
from tests.engine.conftest import run_all, scripted_run


def test_summary_has_a_header_the_input_and_shapes_for_one_sample():
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Flatten())
    X = torch.zeros(500, 1, 8, 8)  # a training set of 500 images
    lines = summary(model, X, torch.device("cpu")).splitlines()
    assert lines[0].split() == ["layer", "output", "params"]
    assert lines[1].split() == ["input", "[1,", "8,", "8]"]  # one sample, not 500
    assert lines[2].split() == ["Conv2d", "[16,", "8,", "8]", "160"]
    assert lines[3].split() == ["ReLU", "[16,", "8,", "8]", "0"]
    assert lines[4].split() == ["Flatten", "[1024]", "0"]
    assert lines[5] == "output: shape for one sample"
    assert max(len(line) for line in lines) <= 29  # fits the experiment screen's side panel


def test_a_cnns_summary_fits_the_side_panel():
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.Flatten(),
        nn.Linear(512, 64),
    )
    lines = summary(model, torch.zeros(3, 1, 8, 8), torch.device("cpu")).splitlines()
    assert lines[3].split() == ["MaxPool2d", "[16,", "4,", "4]", "0"]
    assert max(len(line) for line in lines) <= 29


def test_manual_vs_adam_starts_with_its_networks_size():
    events = run_all(scripted_run("manual-vs-adam", smoke=True))
    start = next(e for e in events if isinstance(e, Start))
    assert start.parameters == 101_110  # 1000*100+100 + 100*10+10
    assert "Linear" in start.summary and "100,100" in start.summary


def test_a_scripted_experiment_without_a_model_says_what_it_does():
    events = run_all(scripted_run("tensor-tour", smoke=True))
    start = events[0]
    assert isinstance(start, Start) and start.parameters == 0
    assert start.summary.startswith("tensor-tour: ")
