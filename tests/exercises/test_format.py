"""The exercise format: a broken exercise is reported as `file:line:col`, like every problem."""

from __future__ import annotations

import ast
import textwrap

import pytest

from lab.catalog.catalog import Catalog
from lab.catalog.loader import load_file

LESSON = """\
id: tiny
title: Tiny
order: 1
summary: A lesson with one exercise.
sections:
  - title: One
    body: Text.
exercises:
  - id: ex-double
    title: Double it
    task: Write `double(x)`.
    starter: |
      def double(x):
          return x
    solution: |
      def double(x):
          return 2 * x
    checks:
{checks}
"""
GOOD = """\
      - call: double
        args: [{tensor: [1, 2]}]
        expect: [2.0, 4.0]
"""


def load(tmp_path, checks: str, name: str = "tiny.yaml", lesson_id: str = "tiny"):
    path = tmp_path / name
    path.write_text(LESSON.format(checks=checks).replace("id: tiny", f"id: {lesson_id}", 1))
    return load_file(path)


def test_a_good_exercise_loads(tmp_path):
    loaded, problems = load(tmp_path, GOOD)
    assert problems == []
    (ex,) = loaded.lesson.exercises
    assert ex.checks[0].args[0].maker == "tensor"


@pytest.mark.parametrize(
    ("checks", "where", "message"),
    [
        (
            "      - call: double\n        args: [{randm: [3]}]\n        expect: 1\n",
            ":20:24: exercises[0].checks[0].args[0]: ",
            "unknown field 'randm'",
        ),
        (
            "      - call: triple\n        args: [1]\n        expect: 3\n",
            ":9:5: exercises[0]: ",
            "checks[0] calls 'triple', which the solution does not define",
        ),
        (
            "      - call: double\n        args: [1]\n        of: result.__class__\n        shape: []\n",
            ":21:13: exercises[0].checks[0].of: ",
            "names starting with `_` cannot be looked at",
        ),
        (
            "      - call: double\n        args: [1]\n",
            ":19:9: exercises[0].checks[0]: ",
            "say what the result must be",
        ),
        (
            "      - call: double\n        args: [{ref: x}]\n        expect: 1\n",
            ":19:9: exercises[0].checks[0]: ",
            "'x' is not a name of this check's `let`",
        ),
        (
            "      - forbid: [torch.nn.MSELoss]\n        call: double\n        expect: 1\n",
            ":19:9: exercises[0].checks[0]: ",
            "put `forbid`/`require` in a check of their own",
        ),
        (
            "      - call: double\n        args: [{randn: [10000, 10000]}]\n        shape: []\n",
            ":20:16: exercises[0].checks[0].args[0]: ",
            "randn: 100,000,000 numbers is more than 1,000,000",
        ),
        (
            "      - call: double\n        args: [1]\n        again: {args: [2]}\n        expect: 2\n",
            ":19:9: exercises[0].checks[0]: ",
            "`again` (a second call) and `changes` (true or false) go together",
        ),
        (
            "      - call: double\n        args: [1]\n        shares: [0.5, 0.5]\n        expect: 2\n",
            ":19:9: exercises[0].checks[0]: ",
            "`shares` goes with `stratified`",
        ),
    ],
)
def test_a_broken_check_is_reported_at_its_line(tmp_path, checks, where, message):
    loaded, problems = load(tmp_path, checks)
    assert loaded is None
    text = "\n".join(str(p) for p in problems)
    assert where in text and message in text, text


def test_exercise_ids_are_unique_across_lessons(tmp_path):
    a, _ = load(tmp_path, GOOD, "a.yaml", "lesson-a")
    b, _ = load(tmp_path, GOOD, "b.yaml", "lesson-b")
    catalog = Catalog([a, b], [])
    assert [str(p) for p in catalog.problems] == [
        f"{tmp_path / 'b.yaml'}:9:9: exercises[0].id: "
        "exercise id 'ex-double' is also used in lesson 'lesson-a'"
    ]
    assert [e.exercise.id for e in catalog.exercises()] == ["ex-double"]


@pytest.mark.parametrize(
    ("source", "name", "used"),
    [
        ("import torch.nn as nn\nnn.MSELoss()", "torch.nn.MSELoss", True),
        ("from torch import nn\nnn.MSELoss()", "torch.nn.MSELoss", True),
        ("from torch.nn import MSELoss as M\nM()", "torch.nn.MSELoss", True),
        ("import torch.nn.functional as F\nF.mse_loss(a, b)", "torch.nn.functional.mse_loss", True),
        ("import torch\ntorch.nn.functional.mse_loss(a, b)", "torch.nn.functional.mse_loss", True),
        ("loss = f(x)\nloss.backward()", "backward", True),
        ("f(x).backward()", "backward", True),
        ("# nn.MSELoss is not used here\nx = 'nn.MSELoss'", "torch.nn.MSELoss", False),
        ("import torch\nwith torch.no_grad():\n    pass", "torch.no_grad", True),
        ("def mse(a, b):\n    return ((a - b) ** 2).mean()", "torch.nn.MSELoss", False),
    ],
)
def test_names_are_found_on_the_syntax_tree_not_in_the_text(source, name, used):
    from lab.exercises.syntax import references, uses

    found = references(ast.parse(textwrap.dedent(source)))
    assert (uses(found, name) is not None) == used
