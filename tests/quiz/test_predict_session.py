"""A prediction is an experiment's question: checked when the lesson loads, graded like the quiz,
stored as a review that fsrs schedules, and due again soon when it was missed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.catalog.loader import load_file
from lab.quiz import grading
from lab.quiz.predict import PredictionSession, due_predictions, progress

GOOD = Path(__file__).parents[1] / "fixtures" / "good"
GOOD_TEXT = (GOOD / "01-gradient-descent.yaml").read_text()
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def entry(catalog):
    return catalog.experiment("gd-example-sweep")


def edited(tmp_path: Path, old: str, new: str) -> Path:
    assert old in GOOD_TEXT, old
    path = tmp_path / "lesson.yaml"
    path.write_text(GOOD_TEXT.replace(old, new, 1))
    return path


def test_the_catalog_links_a_prediction_to_its_experiment(catalog, entry):
    assert catalog.problems == []
    assert entry.experiment.predict.kind == "single"
    assert entry.experiment.predict.settings == {"w_step": 0.3}
    assert catalog.prediction("gd-example-sweep-predict") is entry
    assert catalog.prediction("gd-q-single") is None  # a quiz question is not a prediction
    assert catalog.predictions() == [entry]
    assert catalog.lesson_of_question("gd-example-sweep-predict") == "gd-example"


def test_a_prediction_id_used_by_a_quiz_question_is_reported_at_the_prediction(tmp_path):
    quiz_id = load_catalog([GOOD]).lesson("gd-example").quiz[0].id
    path = edited(tmp_path, "id: gd-example-sweep-predict", f"id: {quiz_id}")
    catalog = load_catalog([path.parent])
    line = path.read_text().splitlines().index(f"      id: {quiz_id}") + 1
    assert [str(p) for p in catalog.problems] == [
        f"{path}:{line}:11: experiments[1].predict.id: question id {quiz_id!r} is also used in "
        "lesson 'gd-example'"
    ]


def test_a_prediction_setting_out_of_range_is_reported(tmp_path):
    path = edited(tmp_path, "settings: {w_step: 0.3}", "settings: {w_step: 5}")
    catalog = load_catalog([path.parent])
    assert len(catalog.problems) == 1
    assert "experiments[1].predict.settings.w_step: w_step must be" in str(catalog.problems[0])


def test_a_prediction_setting_that_is_no_param_is_reported(tmp_path):
    path = edited(tmp_path, "settings: {w_step: 0.3}", "settings: {w_max: 3}")
    catalog = load_catalog([path.parent])
    assert "has no setting 'w_max'" in str(catalog.problems[0])


def test_a_prediction_of_a_kind_the_quiz_cannot_predict_with_is_refused(tmp_path):
    path = edited(
        tmp_path, "      kind: single\n      settings", "      kind: text\n      settings"
    )
    _, problems = load_file(path)
    assert len(problems) == 1
    assert "experiments[1].predict: Input tag 'text'" in str(problems[0])
    assert "'single', 'true_false', 'numeric'" in str(problems[0])


def test_a_session_is_made_only_for_an_experiment_that_asks_a_prediction(catalog, store):
    with pytest.raises(ValueError, match="experiment 'gd-example-fit' asks no prediction"):
        PredictionSession(catalog.experiment("gd-example-fit"), store)


def test_a_missed_prediction_is_a_review_due_again_in_a_minute(catalog, store, entry):
    session = PredictionSession(entry, store, clock=lambda: T0)
    assert session.wanted()
    verdict = session.answer(grading.parse_answer(session.question, "1"))  # 2.0: wrong
    assert not verdict.correct and verdict.stored
    assert verdict.answer == "2.0, the true best"
    assert verdict.feedback.startswith("Not quite. The answer is: 2. 2.1, the tried value")
    assert not session.wanted()  # asked once a visit
    [review] = store.reviews("gd-example-sweep-predict")
    assert (review["lesson"], review["correct"], review["answer"]) == ("gd-example", False, "0")
    assert verdict.due == T0 + timedelta(minutes=1)  # fsrs: Again on a new card
    assert session.take_verdict() == verdict and session.take_verdict() is None

    later = PredictionSession(entry, store, clock=lambda: T0 + timedelta(seconds=30))
    assert not later.wanted()  # not due yet
    assert due_predictions(catalog, store, T0 + timedelta(seconds=30)) == []
    when_due = verdict.due + timedelta(seconds=1)
    assert PredictionSession(entry, store, clock=lambda: when_due).wanted()
    assert due_predictions(catalog, store, when_due) == [entry]
    [row] = progress(catalog, store, when_due)
    assert row == {
        "id": "gd-example-sweep-predict",
        "experiment": "gd-example-sweep",
        "lesson": "gd-example",
        "last_correct": False,
        "reviews": 1,
        "due": verdict.due.isoformat(),
        "due_now": True,
    }


def test_a_right_prediction_is_asked_again_when_due_but_never_calls_the_learner_back(
    catalog, store, entry
):
    verdict = PredictionSession(entry, store, clock=lambda: T0).answer(1)
    assert verdict.correct and verdict.feedback.startswith("Right.")
    assert verdict.due == T0 + timedelta(minutes=10)  # fsrs: Good on a new card
    later = T0 + timedelta(hours=2)
    assert PredictionSession(entry, store, clock=lambda: later).wanted()
    assert due_predictions(catalog, store, later) == []


def test_the_quiz_never_asks_a_prediction(catalog, store, entry):
    from lab.quiz.scheduler import order_questions

    PredictionSession(entry, store, clock=lambda: T0).answer(0)
    asked = {qid for _, qid in order_questions(catalog, store, now=T0 + timedelta(days=30))}
    assert "gd-example-sweep-predict" not in asked


def test_skipping_stores_nothing_and_asks_again_next_visit(store, entry):
    session = PredictionSession(entry, store, clock=lambda: T0)
    session.skip()
    assert not session.wanted() and session.take_verdict() is None
    assert store.reviews() == []
    assert PredictionSession(entry, store, clock=lambda: T0).wanted()


def test_without_a_store_the_prediction_is_still_asked_and_graded(entry):
    session = PredictionSession(entry, None)
    assert session.wanted()
    verdict = session.answer(1)
    assert verdict.correct and not verdict.stored


def test_the_settings_of_the_predicted_run_are_described(entry):
    session = PredictionSession(entry, None)
    assert session.settings() == {"w_step": 0.3}
    assert session.describe_settings() == "w_step = 0.3"
