"""Every prediction in the course is borne out by its run: the run, with the prediction's
settings, gives the keyed answer. A prediction the run contradicts is a bug in the lesson."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.catalog.runspec import build_run_spec

COURSE = Path(__file__).resolve().parents[2] / "lessons"


def _logs(events) -> str:
    from lab.engine.events import Log

    return "\n".join(e.text for e in events if isinstance(e, Log))


def _val_losses(events) -> list[float]:
    from lab.engine.events import EpochEnd

    return [e.metrics["val_loss"] for e in events if isinstance(e, EpochEnd)]


# What each run says the answer is: (done, events) -> an index, a bool or a number.
OUTCOME = {
    "predict-tensor-broadcast": lambda d, ev: 1 if "[2, 3] + [3] -> [2, 3]" in _logs(ev) else -1,
    "predict-sweep-step": lambda d, ev: {2.0: 0, 2.1: 1, 1.8: 2}.get(round(d.metrics["best_w"], 6)),
    "predict-gd-small-lr": lambda d, ev: d.metrics["train_loss"] <= 0.001,
    "predict-gd-lr-1-5": lambda d, ev: 2 if d.status == "diverged" else 0,
    "predict-batch-few-epochs": lambda d, ev: [
        "full_loss",
        "minibatch_loss",
        "stochastic_loss",
    ].index(max(("full_loss", "minibatch_loss", "stochastic_loss"), key=d.metrics.get)),
    "predict-autograd-grad-before": lambda d, ev: 1 if "w.grad is None" in _logs(ev) else 0,
    "predict-linreg-noise": lambda d, ev: (
        0 if d.metrics["test_loss"] < 0.5 else (1 if d.metrics["test_loss"] <= 2 else 2)
    ),
    "predict-logistic-two-epochs": lambda d, ev: (
        0 if d.metrics["test_accuracy"] < 0.65 else (1 if d.metrics["test_accuracy"] < 0.95 else 2)
    ),
    "predict-dataloader-batches": lambda d, ev: d.metrics["batches"],
    "predict-manual-vs-adam": lambda d, ev: (
        2 if d.metrics["adam_loss"] < d.metrics["manual_loss"] / 100 else 0
    ),
    "predict-no-normalisation": lambda d, ev: 2 if d.metrics["test_accuracy"] < 0.4 else 0,
    "predict-stratified-small": lambda d, ev: (
        1 if d.metrics["max_gap_stratified"] < d.metrics["max_gap_random"] / 5 else 2
    ),
    "predict-overfit-val-loss": lambda d, ev: _val_losses(ev)[-1] <= min(_val_losses(ev)) * 1.2,
    "predict-mlp-tiny-lr": lambda d, ev: d.metrics["test_accuracy"] >= 0.9,
    "predict-momentum-off": lambda d, ev: (
        1 if d.metrics["test_accuracy"] < 0.9 and d.metrics["train_loss"] > 1 else 0
    ),
    "predict-cnn-heavy-dropout": lambda d, ev: d.metrics["test_accuracy"] < 0.9,
}


@pytest.fixture(scope="module")
def course():
    catalog = load_catalog([COURSE])
    assert not catalog.problems, catalog.problems
    return catalog


def test_every_prediction_in_the_course_has_a_check(course):
    assert {e.experiment.predict.id for e in course.predictions()} == set(OUTCOME)
    with_experiments = {x.id for x in course.lessons if x.experiments}
    assert {e.lesson for e in course.predictions()} == with_experiments


@pytest.mark.slow
@pytest.mark.parametrize("prediction", sorted(OUTCOME))
def test_the_run_bears_out_the_keyed_answer(course, prediction, monkeypatch):
    from lab.engine.events import Done
    from lab.engine.loop import run_events

    monkeypatch.setenv("LAB_THREADS", "1")
    entry = course.prediction(prediction)
    question = entry.experiment.predict
    events = list(run_events(build_run_spec(entry, question.settings), lambda: False))
    done = events[-1]
    assert isinstance(done, Done) and done.status in ("completed", "diverged"), done
    assert OUTCOME[prediction](done, events) == question.answer, done.metrics
