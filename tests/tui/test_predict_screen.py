"""Predict, then run: the first `r` asks the experiment's prediction at 80x24, the run (the engine
in-process) follows with the prediction's settings, its end shows the verdict; a missed prediction
that is due brings the learner back from Home."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from lab.catalog import load_catalog
from lab.quiz.predict import PredictionSession
from lab.tui.app import make_app
from lab.tui.screens.experiment import ExperimentScreen
from lab.tui.screens.predict import PredictScreen, VerdictScreen
from lab.tui.widgets.param_form import ParamInput
from tests.tui.pilot import app_with_workers, open_experiment, wait_until

PREDICTION = "gd-example-sweep-predict"
COURSE = Path(__file__).resolve().parents[2] / "lessons"


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_a_prediction_is_asked_then_the_run_shows_the_verdict(catalog, store):
    app = app_with_workers(catalog, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-sweep")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PredictScreen), 30)
        await pilot.pause()
        assert screen.state == "idle"  # nothing runs before the learner has predicted
        asked = app.screen
        assert "this run: w_step = 0.3" in text_of(asked, "#predict-head")
        assert "Which w will it find best?" in text_of(asked, "#predict-prompt")
        await pilot.press("2")  # 2.1, the tried value nearest 2: right
        # back on the experiment, or already past it: a quick run's verdict may be up by now
        await wait_until(pilot, lambda: app.screen is not asked, 30)
        assert screen.query_one("#param-w_step", ParamInput).value == "0.3"
        [review] = store.reviews(PREDICTION)  # stored the moment it is answered
        assert (review["lesson"], review["correct"], review["answer"]) == ("gd-example", True, "1")
        await wait_until(pilot, lambda: isinstance(app.screen, VerdictScreen), 120, "the verdict")
        await pilot.pause()
        assert screen.state == "completed"
        assert screen.last_metrics["best_w"] == 2.1  # what the prediction's key says
        verdict = text_of(app.screen, "#verdict-text")
        assert "You predicted: 2.1, the tried value nearest 2" in verdict
        assert "✓ Right." in verdict and "A sweep only knows the values it tries." in verdict
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("r")  # asked once: the second run starts at once
        await pilot.pause()
        assert not isinstance(app.screen, PredictScreen)
        assert screen.state in ("starting", "running", "completed")
        await wait_until(pilot, lambda: screen.state == "completed", 120)
        await pilot.pause(0.2)
        assert app.screen is screen  # no verdict without a prediction before the run
    assert len(store.reviews(PREDICTION)) == 1


async def test_escape_skips_the_prediction_and_the_run_still_starts(catalog, store):
    app = app_with_workers(catalog, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-sweep")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PredictScreen), 30)
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.state != "idle", 30)
        assert app.screen is screen
        assert screen.query_one("#param-w_step", ParamInput).value == "0.1"  # untouched
        await wait_until(pilot, lambda: screen.state == "completed", 120)
        await pilot.pause(0.2)
        assert app.screen is screen  # nothing predicted, no verdict
    assert store.reviews(PREDICTION) == []


async def test_a_missed_prediction_that_is_due_is_where_home_continues(catalog, store):
    missed_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    store.record_answer(PREDICTION, "gd-example", False, "0", 1, missed_at)  # fsrs: due in 1 min
    app = app_with_workers(catalog, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = text_of(app.screen, "#continue")
        assert line == "Continue (c): predict again: The cost over w"
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen), 10)
        assert app.screen.entry.experiment.id == "gd-example-sweep"
        await pilot.press("r")  # due again: asked again
        await wait_until(pilot, lambda: isinstance(app.screen, PredictScreen), 30)


async def test_a_wrong_answer_gets_the_right_one_and_the_explanation(catalog, store):
    app = app_with_workers(catalog, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-sweep")
        session_step = screen.prediction
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PredictScreen), 30)
        await pilot.press("down", "down", "enter")  # 1.8: wrong
        await wait_until(pilot, lambda: isinstance(app.screen, VerdictScreen), 120, "the verdict")
        await pilot.pause()
        verdict = text_of(app.screen, "#verdict-text")
        assert "You predicted: 1.8, the last one below 2" in verdict
        assert "✗ Not quite. The answer is: 2. 2.1, the tried value nearest 2" in verdict
        assert "Home's continue (c) brings you here" in verdict
        assert session_step.session.verdict is None  # shown once
    [review] = store.reviews(PREDICTION)
    assert not review["correct"] and review["answer"] == "2"


async def test_a_numeric_prediction_asks_again_until_it_is_a_number(store):
    """The course's batch-count prediction: text is refused beside the field, a number answers."""
    course = load_catalog([COURSE])
    session = PredictionSession(course.experiment("dataloader-shapes"), store)
    answers = []
    app = make_app(course, store=store, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(PredictScreen(session), answers.append)
        await pilot.pause()
        await pilot.press("a", "b", "enter")
        error = app.screen.query_one("#predict-error")
        assert error.display and "type a number" in str(error.render())
        await pilot.press("backspace", "backspace", "1", "8", "enter")
        await pilot.pause()
    assert answers == [18.0]


async def test_a_true_false_prediction_takes_t_and_f(store):
    course = load_catalog([COURSE])
    session = PredictionSession(course.experiment("manual-gd"), store)
    answers = []
    app = make_app(course, store=store, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(PredictScreen(session), answers.append)
        await pilot.pause()
        assert "this run: lr = 0.001" in text_of(app.screen, "#predict-head")
        await pilot.press("f")
        await pilot.pause()
    assert answers == [False]
