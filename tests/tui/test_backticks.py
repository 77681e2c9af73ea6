"""Backticked code in the course's own text shows as code at 80x24, never with raw backticks:
quiz prompts and the lesson summaries on home. And no learner-facing text writes `(s)`."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from lab.catalog import load_catalog
from lab.tui.app import make_app
from lab.tui.screens.quiz import QuizScreen

ROOT = Path(__file__).resolve().parents[2]


def shown(widget) -> str:
    return "\n".join(strip.text for strip in widget.render_lines(widget.region.reset_offset))


def code_spans(widget) -> list[str]:
    """The text of each span styled as code (bold) in what the widget renders."""
    content = widget.render()
    return [content.plain[s.start : s.end] for s in content.spans if "bold" in str(s.style)]


async def test_a_quiz_prompt_shows_its_code_without_backticks(store):
    catalog = load_catalog([ROOT / "lessons"])
    app = make_app(catalog, store=store, target="quiz:linear-regression", prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        prompt = app.screen.query_one("#quiz-prompt")
        assert "nn.Linear(1000, 100)" in shown(prompt) and "`" not in shown(prompt)
        assert "nn.Linear(1000, 100)" in code_spans(prompt)


async def test_home_shows_a_lesson_summarys_code_without_backticks(store):
    catalog = load_catalog([ROOT / "lessons"])
    app = make_app(catalog, store=store, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        order = [lesson.id for lesson in catalog.lessons].index("tensors")
        await pilot.press(*["down"] * order)
        await pilot.pause()
        summary = app.screen.query_one("#lesson-summary")
        assert "`" not in shown(summary) and code_spans(summary)


def texts(path: Path) -> list[tuple[int, str]]:
    """A lesson file's lines; a module's string literals (f-strings' text parts too)."""
    source = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return list(enumerate(source.splitlines(), 1))
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    code = re.compile(r"\{[^{}]*\}")  # an f-string's replacement fields are code, not text
    return [(t.start[0], code.sub("", t.string)) for t in tokens if t.type in kinds]


def test_no_learner_facing_text_writes_a_plural_as_s_in_brackets():
    raw = re.compile(r"[a-z]\((s|es)\)")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in [*(ROOT / "lab").rglob("*.py"), *(ROOT / "lessons").glob("*.yaml")]
        for n, text in texts(path)
        if raw.search(text)
    ]
    assert found == []  # use lab.text.plural


async def test_an_experiments_description_shows_its_code_without_backticks(store):
    from lab.quiz.predict import PredictionSession
    from tests.tui.pilot import app_with_workers, open_experiment

    catalog = load_catalog([ROOT / "lessons"])
    entry = catalog.experiment("manual-vs-adam")
    PredictionSession(entry, store).answer(entry.experiment.predict.answer)  # tips show at once
    app = app_with_workers(catalog, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "manual-vs-adam")
        description = screen.query_one("#exp-description")
        assert "`" not in str(description.render())
        assert "param -= lr * param.grad" in code_spans(description)
        assert str(screen.query_one("#exp-try").render()).startswith("Try this:\n• ")
