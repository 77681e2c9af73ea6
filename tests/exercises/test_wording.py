"""What a learner reads about a check: one label per check, and what it looks at in words."""

from __future__ import annotations

import re

import pytest

from lab.catalog.exercise_schema import Exercise, parse_path
from lab.exercises.wording import check_labels, describe_path
from tests.exercises.conftest import SHIPPED, check_source, exercise

IDS = [e.exercise.id for e in SHIPPED.exercises()]
INTERNAL = re.compile(r"\b(args|kwargs|returns|result)\[")


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_check_has_its_own_label_in_the_learners_words(exercise_id):
    labels = check_labels(exercise(exercise_id))
    assert len(set(labels)) == len(labels), labels
    assert not [label for label in labels if INTERNAL.search(label)], labels


@pytest.mark.parametrize(
    ("exercise_id", "index", "words"),
    [
        ("ex-train-loop", 3, "the weight of the first layer of `model`"),
        ("ex-l2-penalty", 3, "the gradient of the weight of the first layer of `model`"),
        ("ex-save-load", 2, "the bias of the third layer of `fresh`"),
        ("ex-save-load", 1, "the weight of the first layer of the result"),
        ("ex-stratified-split", 6, "the length of the second value returned"),
        ("ex-momentum-step", 2, "`w` after the call"),
        ("ex-named-sequential", 2, "the weight of the result's `fc1`"),
        ("ex-early-stopper", 5, "the EarlyStopper's `best`"),
    ],
)
def test_what_a_check_looks_at_is_said_with_the_tasks_names(exercise_id, index, words):
    ex = exercise(exercise_id)
    check = ex.checks[index]
    assert describe_path(parse_path(check.of), check, ex) == words


def test_a_value_check_and_a_type_check_of_one_call_have_two_labels():
    value, kind = check_labels(exercise("ex-gd-step"))[:2]
    assert value == "gd_step(1.0, [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.1)"
    assert kind == "gd_step(1.0, [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.1) returns a float"


def test_two_checks_the_same_in_every_word_are_numbered():
    twice = {"call": "f", "args": [1], "expect": 2}
    ex = Exercise.model_validate(
        {
            "id": "ex-f",
            "title": "F",
            "task": "Write f.",
            "starter": "def f(x):\n    return x\n",
            "solution": "def f(x):\n    return 2 * x\n",
            "checks": [twice, twice],
        }
    )
    assert check_labels(ex) == ["f(1)", "f(1) (check 2)"]


def test_a_failing_check_says_what_it_looked_at_in_words(checker):
    source = (
        "import torch\nfrom torch import nn\n"
        "def fit(model, X, y, epochs, lr):\n"
        "    model = nn.Linear(3, 1)  # a new model: the one given is never trained\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    losses = []\n"
        "    for _ in range(epochs):\n"
        "        opt.zero_grad()\n"
        "        loss = nn.MSELoss()(model(X), y)\n"
        "        loss.backward()\n"
        "        opt.step()\n"
        "        losses.append(loss.item())\n"
        "    return losses\n"
    )
    result = check_source(checker, "ex-train-loop", source)
    (weights,) = [c for c in result.failed_checks if c.index == 3]
    assert weights.name.endswith(": the weight of the first layer of `model`")
    assert ": the weight of the first layer of `model` is [[" in weights.message
    assert "args[" not in weights.message


def test_watch_says_the_exercise_is_done_not_all_1_exercises():
    from lab.cli.exercise_cmds import all_done

    assert all_done(1) == "the exercise is done"
    assert all_done(3) == "all 3 exercises done"


def test_a_type_mismatch_says_an_before_a_vowel(checker):
    source = (
        "import torch\n\n\ndef finetune_optimizer(model, body_lr, head_lr):\n"
        "    return torch.optim.SGD([{'params': model[:-1].parameters()},\n"
        "                            {'params': model[-1].parameters(), 'lr': head_lr}], lr=body_lr)\n"
    )
    result = check_source(checker, "ex-finetune-optimizer", source)
    said = [c.message for c in result.failed_checks if "returned a SGD (" in c.message]
    assert said and "expected an Adam: the task asks for torch.optim.Adam" in said[0], said
