"""The shipped course: clean, complete, and every experiment runs (in smoke mode) to `completed`."""

from __future__ import annotations

import re

import pytest

from lab.catalog import load_catalog
from lab.catalog.runspec import build_run_spec

TEACHING_ORDER = [
    "what-is-ml",
    "tensors",
    "tensor-toolkit",
    "linear-model",
    "gradient-descent",
    "batches-and-epochs",
    "backpropagation",
    "linear-regression",
    "logistic-regression",
    "datasets-and-dataloaders",
    "building-networks",
    "softmax-and-accuracy",
    "evaluating-models",
    "parameters-in-practice",
    "optimizers",
    "devices-and-checkpoints",
    "preparing-data",
    "tabular-data",
    "end-to-end-pipeline",
    "convolutional-networks",
    "underfitting-and-overfitting",
    "training-well",
    "regularisation",
    "initialisation-and-gradients",
    "learning-rate-schedules",
    "fine-tuning",
    "distributed-training",
    "clusters-and-schedulers",
]
# The core terms the course is built on: the glossary defines each.
CORE_TERMS = [
    "batch size", "learning rate", "epoch", "iteration", "gradient", "forward propagation",
    "backpropagation", "weight", "bias", "label", "segmentation", "CNN layer", "pooling layer",
    "ReLU", "loss", "optimizer", "tensor", "kernel",
]  # fmt: skip


@pytest.fixture(scope="module")
def course():
    import os

    saved = os.environ.pop("LAB_SHIPPED_LESSONS", None)
    try:
        return load_catalog()
    finally:
        if saved is not None:
            os.environ["LAB_SHIPPED_LESSONS"] = saved


def test_the_course_validates_clean(course):
    assert [str(p) for p in course.problems] == []


def test_lessons_come_in_teaching_order(course):
    ids = [lesson.id for lesson in course.lessons]
    assert ids == TEACHING_ORDER


def test_glossary_is_complete_and_translated(course):
    terms = course.terms()
    assert len(terms) >= 190
    for name in CORE_TERMS:
        assert course.term(name), f"the core term {name!r} is missing"
    for entry in terms:
        t = entry.term
        assert t.translations.zh and t.translations.fr, f"{t.term}: needs zh and fr"
        assert re.search(r"[\u4e00-\u9fff]", t.translations.zh), f"{t.term}: zh is not Chinese"
        assert t.see_also, f"{t.term}: no see-also"


def test_quizzes_mix_kinds_and_say_why(course):
    total = 0
    kinds_everywhere = set()
    for lesson in course.lessons:
        assert len(lesson.quiz) >= 8, f"{lesson.id}: {len(lesson.quiz)} questions"
        kinds = {q.kind for q in lesson.quiz}
        assert len(kinds) >= 4, f"{lesson.id}: only {sorted(kinds)}"
        kinds_everywhere |= kinds
        total += len(lesson.quiz)
        for q in lesson.quiz:
            assert len(q.explanation.split()) >= 8, f"{q.id}: explain why"
    assert total >= 290
    assert kinds_everywhere == {"single", "multiple", "true_false", "numeric", "text"}


def test_the_course_has_its_lessons_exercises_and_experiments(course):
    assert len(course.lessons) >= 27
    assert len(course.exercises()) >= 35
    assert len(course.experiments()) >= 40
    for lesson in course.lessons[1:]:  # the first is reading only
        assert course.exercises(lesson.id), f"{lesson.id}: no exercise"


def test_no_question_is_asked_twice(course):
    seen: dict[str, str] = {}
    for lesson in course.lessons:
        for q in lesson.quiz:
            prompt = " ".join(q.prompt.lower().split())
            assert prompt not in seen, f"{q.id} repeats {seen[prompt]}"
            seen[prompt] = q.id


# Pairs of questions that asked the same thing in two lessons (the course review of 2026-11);
# at most one of each may stay.
REVIEWED_DUPLICATES = [
    ("gd-higher-lr-faster", "optim-higher-lr"),
    ("batch-more-epochs", "well-more-epochs"),
    ("lr-linear-params", "nets-linear-params"),
    ("lr-call-not-forward", "nets-call-forward"),
    ("bp-no-grad-update", "optim-no-grad"),
    ("bp-linear-stack", "nets-no-activation"),
    ("ml-backprop-always", "bp-only-wrong"),
    ("batch-every-step", "bp-only-wrong"),
]


# And those of the course review of 2026-12 (a question and the prediction of the same run
# count as a pair too).
REVIEWED_DUPLICATES += [
    ("nets-ce-softmax", "soft-ce-inputs"),
    ("cnn-dropout-eval", "eval-what-eval-does"),
    ("lr-test-no-grad", "eval-eval-no-grad"),
    ("well-overfit-signs", "eval-dropout-train-loss"),
    ("predict-no-weight-decay", "reg-which-model"),
    ("predict-constant-rate", "sched-why-bounce"),
    ("predict-ddp-same-curve", "ddp-predict-curves"),
    ("lr-linear-init", "init-default-linear"),
]


def test_the_reviewed_duplicates_are_gone(course):
    ids = {q.id for lesson in course.lessons for q in lesson.quiz}
    ids |= {e.experiment.predict.id for e in course.experiments() if e.experiment.predict}
    for pair in REVIEWED_DUPLICATES:
        assert not set(pair) <= ids, f"{pair} are both still asked"


def _numeric_answers(course) -> set[float]:
    return {q.answer for lesson in course.lessons for q in lesson.quiz if q.kind == "numeric"}


def test_the_worked_numbers_are_asked(course):
    answers = _numeric_answers(course)
    assert 600 in answers  # 60,000 samples / batch size 100
    assert 100_100 in answers  # parameters of Linear(1000, 100)
    prompts = " ".join(q.prompt for lesson in course.lessons for q in lesson.quiz)
    assert "[32, 1, 28, 28]" in prompts or "32, 1, 28, 28" in prompts
    assert "60,000" in prompts or "60000" in prompts or "60 000" in prompts


def test_misconceptions_are_questions(course):
    false_claims = [
        q.prompt.lower()
        for lesson in course.lessons
        for q in lesson.quiz
        if q.kind == "true_false" and q.answer is False
    ]
    text = "\n".join(false_claims)
    assert "backprop" in text and "wrong" in text
    assert "learning rate" in text and "faster" in text
    assert "epoch" in text


def test_every_lesson_but_the_first_has_an_experiment_with_goal_and_prompts(course):
    for lesson in course.lessons[1:]:
        assert lesson.experiments, f"{lesson.id} has no experiment"
    for entry in course.experiments():
        exp = entry.experiment
        assert exp.goal, f"{exp.id}: no goal"
        assert exp.try_this, f"{exp.id}: no try-this prompt"
        assert exp.params, f"{exp.id}: nothing to tweak"


DOWNLOADS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


@pytest.fixture
def tiny_downloads(tmp_path, monkeypatch):
    """LAB_DATA_DIR with tiny MNIST-format and CIFAR-format files, so every experiment runs."""
    from tests.engine.test_datasets import write_cifar, write_mnist

    for folder in DOWNLOADS.values():
        write_mnist(tmp_path, folder, n=40)
    write_cifar(tmp_path, n=40)
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.slow
def test_every_experiment_completes_in_smoke_mode(course, tiny_downloads):
    from lab.engine.events import Done
    from lab.engine.loop import run_events

    failures = []
    for entry in course.experiments():
        spec = build_run_spec(entry, smoke=True)
        events = list(run_events(spec, lambda: False))
        done = [e for e in events if isinstance(e, Done)]
        if len(done) != 1 or done[0].status != "completed":
            failures.append(
                f"{entry.experiment.id}: {done[-1].status}: {done[-1].reason}"
                if done
                else entry.experiment.id
            )
    assert failures == []


CODE_COLUMNS = 76  # a code line never wraps in an 80-column terminal, with the view's margin


def _code_lines(course, lesson):
    """(where, line) for every code line of a lesson: the fenced blocks of its sections and
    exercise tasks, and its starters and solutions."""

    def fenced(text):
        inside = False
        for line in (text or "").splitlines():
            if line.lstrip().startswith("```"):
                inside = not inside
            elif inside:
                yield line

    for section in lesson.sections:
        yield from ((f"section {section.title!r}", line) for line in fenced(section.body))
    for entry in course.exercises(lesson.id):
        ex = entry.exercise
        yield from ((f"{ex.id} task", line) for line in fenced(ex.task))
        yield from ((f"{ex.id} starter", line) for line in (ex.starter or "").splitlines())
        yield from ((f"{ex.id} solution", line) for line in (ex.solution or "").splitlines())


def test_every_code_line_fits_76_columns(course):
    long = [
        f"{lesson.id}, {where}: {len(line)} columns: {line.strip()[:40]}"
        for lesson in course.lessons
        for where, line in _code_lines(course, lesson)
        if len(line) > CODE_COLUMNS
    ]
    assert long == []
