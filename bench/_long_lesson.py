"""Provides the benchmarks' lesson: a classification run long and fast enough to measure."""

from __future__ import annotations

from pathlib import Path

LESSON = """\
id: bench-lesson
title: Benchmark lesson
order: 1
summary: A long, fast run for the benchmarks.
sections:
  - title: Moons
    body: Two half circles.
experiments:
  - id: bench-moons
    title: Moons, many epochs
    description: A small MLP on the moons, trained at full speed.
    goal: {metric: val_accuracy, at_least: 0.9}
    params:
      epochs: {min: 1, max: 10000}
    train:
      dataset: {name: moons, split: {val: 0.2, test: 0}}
      model:
        layers:
          - Linear: [2, 32]
          - ReLU
          - Linear: [32, 2]
      loss: cross_entropy
      optimizer: {name: sgd, lr: 0.1}
      epochs: 10000
      batch_size: 32
"""


def write_lesson(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "01-bench.yaml").write_text(LESSON, encoding="utf-8")
    return folder
