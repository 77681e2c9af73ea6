"""Lesson screen: text shown as text, term links, the lesson's terms, quiz and experiments."""

from __future__ import annotations

from textual.widgets import Markdown

from lab.catalog import load_catalog
from lab.tui.app import make_app
from lab.tui.screens.glossary import GlossaryScreen
from lab.tui.screens.lesson import LessonScreen
from lab.tui.screens.pick import PickScreen
from lab.tui.screens.quiz import QuizScreen
from lab.tui.widgets.lesson_text import lesson_markdown, link_terms
from tests.tui.pilot import palette_choose, wait_until

HOSTILE = """\
id: hostile
title: "[bold]Markup[/bold] in a title"
order: 1
summary: "[@click=app.quit]summary[/]"
sections:
  - title: Tricks
    body: |
      Literal [bold]not bold[/bold] and [@click=app.quit]click me[/] here.
      A [[gradient]] link and a [[gradient|shown name]].
glossary:
  - term: gradient
    short: The slope.
    definition: Partial derivatives.
"""


def test_links_become_term_links():
    md = link_terms("the [[gradient]] and the [[learning rate|rate]]")
    assert md == "the [gradient](term:gradient) and the [rate](term:learning%20rate)"


def _visible_text(screen) -> str:
    return "\n".join(str(block._content) for block in screen.query("MarkdownBlock"))


async def text_shown(pilot) -> None:
    """Until the lesson screen is up with its text: the Markdown mounts its blocks (all at once,
    under 200) a few frames after the screen."""
    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, LessonScreen) and bool(_visible_text(app.screen)),
        10,
        "the lesson's text",
    )


async def test_lesson_text_is_never_markup(tmp_path, store):
    (tmp_path / "01-hostile.yaml").write_text(HOSTILE)
    catalog = load_catalog([tmp_path])
    assert not catalog.problems, catalog.problems
    assert "\\[@click=app.quit\\]" in lesson_markdown(catalog.lesson("hostile"))
    app = make_app(catalog, store=store, target="hostile")
    async with app.run_test(size=(80, 24)) as pilot:
        await text_shown(pilot)
        assert isinstance(app.screen, LessonScreen)
        text = _visible_text(app.screen)
        assert "[bold]not bold[/bold]" in text
        assert "[@click=app.quit]click me[/]" in text
        assert "[@click=app.quit]summary[/]" in text
        assert app.screen.sub_title == "lesson 1 of 1 · [bold]Markup[/bold] in a title"
        assert app.is_running


async def test_clicking_a_term_link_opens_it(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await text_shown(pilot)
        md = app.screen.query_one("#lesson-text", Markdown)
        md.post_message(Markdown.LinkClicked(md, "term:learning%20rate"))
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.current.term.term == "learning rate"


async def test_t_lists_the_lessons_terms_by_keyboard(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, PickScreen)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.current.term.term == "learning rate"
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_reaching_the_end_marks_it_read(make, store):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        # the short lesson fits: it is read once shown
        await wait_until(pilot, lambda: "gd-example" in store.lessons_read(), 10, "marked read")


async def test_m_marks_read(make, store):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        assert app.screen.read
        assert "gd-example" in store.lessons_read()


async def test_z_opens_the_lessons_quiz(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("z")
        assert isinstance(app.screen, QuizScreen)
        assert app.screen.lesson == "gd-example"


async def test_e_offers_the_lessons_experiments(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, PickScreen)
        assert [i for i, _ in app.screen.items] == ["gd-example-fit", "gd-example-sweep"]
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_glossary_search_and_palette_from_a_lesson(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        assert isinstance(app.screen, GlossaryScreen)
        await pilot.press("escape", "slash")
        assert isinstance(app.screen, GlossaryScreen)
        assert app.focused.id == "glossary-search"
        await pilot.press("escape")
        await palette_choose(pilot, "grad", "term: gradient")
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.current.term.term == "gradient"
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


CODE = """\
id: code-first
title: Code that is wide
order: 1
summary: "Shapes with `x.shape` and `torch.zeros`."
sections:
  - title: Wide code
    body: |
      Some text.

      ```python
      result = torch.nn.functional.cross_entropy(model(images), labels, reduction="mean", label_smoothing=0.1)  # END
      ```
quiz:
  - id: cf-one
    kind: true_false
    prompt: Code can be wide.
    answer: true
    explanation: It can.
"""

NEXT = """\
id: code-second
title: The second lesson
order: 2
summary: Second.
sections:
  - title: Only
    body: Nothing much.
glossary:
  - term: shape
    short: The size of each dimension.
    definition: A tuple.
experiments:
  - id: second-fit
    title: Fit
    description: A fit.
    train:
      dataset: {name: linear-tiny, split: {val: 0, test: 0}}
      model:
        layers:
          - Linear: [1, 1]
      loss: mse
      optimizer: {name: sgd, lr: 0.05}
      epochs: 2
      batch_size: 3
"""


def footer_keys(screen) -> list[tuple[str, int, int]]:
    """(key, first column, last column + 1) of each key the footer shows."""
    from textual.widgets._footer import FooterKey

    return [
        (k.key_display or k.key, k.region.x, k.region.right)
        for k in screen.query(FooterKey)
        if k.display and k.region.width
    ]


async def test_code_wraps_with_a_marker_and_backticks_are_code(tmp_path, store):
    (tmp_path / "01-code.yaml").write_text(CODE)
    catalog = load_catalog([tmp_path])
    assert not catalog.problems, catalog.problems
    app = make_app(catalog, store=store, target="code-first", prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await text_shown(pilot)
        label = app.screen.query_one("WrappedFence #code-content")

        def lines() -> list[str]:
            return str(label.render()).splitlines()

        # the code wraps once the block knows its width
        await wait_until(pilot, lambda: label.content_region.width and len(lines()) > 1, 10)
        lines = lines()
        assert all(len(line) <= label.content_region.width for line in lines), lines
        assert lines[-1].startswith("↪ ") and lines[-1].rstrip().endswith("# END"), lines
        joined = lines[0] + "".join(line.removeprefix("↪ ") for line in lines[1:])
        assert 'reduction="mean", label_smoothing=0.1)' in joined
        summary = str(app.screen.query("MarkdownBlock").first()._content)
        assert "`" not in summary and "x.shape" in summary


async def test_footer_offers_what_the_lesson_has_and_the_next_lesson(tmp_path, store):
    (tmp_path / "01-code.yaml").write_text(CODE)
    (tmp_path / "02-next.yaml").write_text(NEXT)
    catalog = load_catalog([tmp_path])
    assert not catalog.problems, catalog.problems
    app = make_app(catalog, store=store, target="code-first", prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        # the footer is laid out a few frames after the screen: wait for it, not a fixed time
        await wait_until(pilot, lambda: footer_keys(app.screen), 10, "the footer")
        screen = app.screen
        assert screen.sub_title == "lesson 1 of 2 · Code that is wide"
        keys = [k for k, *_ in footer_keys(screen)]
        assert "e" not in keys and "n" in keys, keys
        bar = str(screen.query_one("#lesson-bar").render())
        assert "0 terms (t)" in bar and "1 question (z)" in bar and "experiment" not in bar
        assert "Next: lesson 2 of 2, The second lesson" in _visible_text(screen)
        await pilot.press("n")
        await wait_until(
            pilot,
            lambda: (
                getattr(app.screen, "lesson_id", None) == "code-second" and footer_keys(app.screen)
            ),
            10,
            "the next lesson's footer",
        )
        screen = app.screen
        assert isinstance(screen, LessonScreen) and screen.lesson_id == "code-second"
        keys = [k for k, *_ in footer_keys(screen)]
        assert "e" in keys and "n" not in keys, keys
        bar = str(screen.query_one("#lesson-bar").render())
        assert "1 term (t)" in bar and "1 experiment (e)" in bar
        await pilot.press("escape")
        assert not isinstance(app.screen, LessonScreen), "n replaced the lesson, not stacked"


async def test_the_bar_wraps_between_counts_with_no_dot_at_a_rows_end(shipped, store):
    app = make_app(shipped, store=store, target="gradient-descent", prewarm=False)
    async with app.run_test(size=(60, 20)) as pilot:
        await text_shown(pilot)
        bar = app.screen.query_one("#lesson-bar")
        rows = [strip.text.strip() for strip in bar.render_lines(bar.region.reset_offset)]
        assert len(rows) == 2 and rows[1] == "1 exercise (x)", rows
        assert rows[0].endswith("2 experiments (e)"), rows


async def test_the_bar_counts_the_terms_t_lists(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await text_shown(pilot)
        n = len(app.screen.term_names())
        assert f"{n} terms (t)" in str(app.screen.query_one("#lesson-bar").render())
        await pilot.press("t")
        assert isinstance(app.screen, PickScreen) and len(app.screen.items) == n


async def test_every_lesson_ends_with_its_whole_last_paragraph_then_the_next_one(
    store, shipped_lessons
):
    """The "Next" line once cut the lesson's last paragraph to its last source line."""
    catalog = load_catalog()
    first, second = catalog.lessons[0], catalog.lessons[1]
    last_paragraph = first.sections[-1].body.strip().split("\n\n")[-1]
    assert last_paragraph.startswith("Two things save us.")  # plain words, no markup
    app = make_app(catalog, store=store, target=first.id, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LessonScreen), 10, "the lesson")
        await pilot.pause()
        blocks = [" ".join(str(b._content).split()) for b in app.screen.query("MarkdownBlock")]
        assert f"Next: lesson 2 of {len(catalog.lessons)}, {second.title}" in blocks[-1]
        assert any(b.startswith("Two things save us.") for b in blocks[-4:]), blocks[-4:]
    for lesson in catalog.lessons:
        md = lesson_markdown(lesson, "Next: somewhere.")
        assert md.index(link_terms(lesson.sections[-1].body.strip())) < md.index("Next: somewhere")


def test_code_in_a_summary_is_shown_as_written_and_the_rest_escaped(shipped_lessons):
    """The tensor toolkit's summary showed "in-place \\_ operations": an escape inside a code
    span is shown, not read."""
    lesson = load_catalog().lesson("tensor-toolkit")
    summary = lesson_markdown(lesson).split("\n\n")[0]
    assert "in-place `_` operations" in summary and "\\_" not in summary
    hostile = lesson.model_copy(update={"summary": "a_b and *c* with `x_y` then [d]"})
    assert lesson_markdown(hostile).startswith("*a\\_b and \\*c\\* with `x_y` then \\[d\\]*")
