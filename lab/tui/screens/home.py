"""Provides the home screen: the lessons in teaching order with progress, and where to continue."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Header, Static
from textual.widgets.data_table import ColumnKey

from lab.quiz.predict import due_predictions
from lab.quiz.standing import LessonProgress, home_figures, next_step
from lab.text import plural
from lab.tui.messages import ProgressChanged
from lab.tui.screens.base import LabScreen
from lab.tui.widgets.footer import LabFooter
from lab.tui.widgets.inline_text import inline_text
from lab.tui.widgets.separated import Separated

TITLE_WIDTH = 42
SUMMARY_LINES = 4
"""Rows under the table for the highlighted lesson (lab.tcss: 5 with the border): its title
when the table cuts it, as much of its summary as fits (ending in `…` when cut), its counts."""


def lesson_summary(lesson, width: int, title_cut: bool) -> Content:
    """What the home screen says of `lesson` in `SUMMARY_LINES` rows of `width` cells."""
    counts = [
        # the terms the lesson defines (its own page's `t` also lists those it links)
        plural(len(lesson.glossary), "new term"),
        plural(len(lesson.quiz), "question"),
        plural(len(lesson.experiments), "experiment"),
        plural(len(lesson.exercises), "exercise"),
    ]
    head = [Content.styled(f"{lesson.order}. {lesson.title}", "bold")] if title_cut else []
    fixed = [line for part in head for line in part.wrap(width)]
    tail = Separated(counts, " · ").content(width).wrap(width)
    lines = inline_text(" ".join(lesson.summary.split())).wrap(width)
    room = max(SUMMARY_LINES - len(fixed) - len(tail), 1)
    if len(lines) > room:
        lines = lines[:room]
        last = lines[-1]
        lines[-1] = last.truncate(width - 1).rstrip() + Content("…")
    return Content("\n").join([*fixed, *lines, *tail])


def reviews_line(due: int, next_due: datetime | None, now: datetime | None = None) -> str:
    """`3 due now`, or when none is, when the next one is."""
    if due:
        return f"Reviews: {due} due now (z)"
    if next_due is None:
        return "Reviews: none yet (a lesson's quiz starts them)"
    now = (now or datetime.now(timezone.utc)).astimezone()
    local = next_due.astimezone()
    when = f"{local:%H:%M}" if local.date() == now.date() else f"{local:%a %d %b %H:%M}"
    return f"Reviews: none due; the next at {when}"


HOME_WARM_S = 0.5
"""How long after home is drawn the run workers start warming."""


class HomeScreen(LabScreen):
    """Every lesson with read / quiz mastery / runs / exercises done; enter opens one, `c`
    continues: a missed prediction that is due first, then the next unfinished step
    (`lab.quiz.standing.next_step`)."""

    VERTICAL_BREAKPOINTS = [(0, "-short"), (16, "-tall")]
    _lesson_shown: str | None = None
    BINDINGS = [
        Binding("enter", "open_lesson", "Open", show=False),
        Binding("c", "continue", "Continue"),
        Binding("z", "quiz", "Quiz"),
        Binding("f", "flashcards", "Cards"),
        Binding("slash", "app.search", "Search", key_display="/"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="continue")
        yield Static(id="reviews")
        yield DataTable(id="lessons", cursor_type="row", zebra_stripes=False)
        yield Static(id="lesson-summary")
        yield Static(id="home-problems")
        yield LabFooter()

    def on_mount(self) -> None:
        table = self.query_one("#lessons", DataTable)
        table.add_column("#", width=3, key="order")
        table.add_column("lesson", width=TITLE_WIDTH, key="title")
        table.add_column("read", width=4, key="read")
        table.add_column("quiz", width=5, key="quiz")
        table.add_column("runs", width=4, key="runs")
        table.add_column("code", width=5, key="code")
        self.refresh_progress()
        # a prediction missed a minute ago falls due while the learner looks at this screen
        self.set_interval(20, self.refresh_continue, name="continue-clock")
        if self.app.prewarm and any(lesson.experiments for lesson in self.app.catalog.lessons):
            # torch imports in the run workers' process while the learner looks around, so the
            # first experiment's `r` draws at once (after the screen is drawn: it costs CPU)
            self.set_timer(HOME_WARM_S, self.app.run_workers.warm_up)
        problems = self.app.catalog.problems
        note = self.query_one("#home-problems", Static)
        if problems:
            note.update(
                inline_text(
                    f"{plural(len(problems), 'problem')} in lesson files: run `lab validate`."
                )
            )
        else:
            note.display = False
        table.focus()

    def on_resize(self) -> None:
        # A narrow terminal shortens the titles rather than pushing the progress columns off.
        table = self.query_one("#lessons", DataTable)
        others = sum(c.get_render_width(table) for c in table.columns.values() if c.key != "title")
        width = max(12, min(TITLE_WIDTH, self.size.width - others - 2 * table.cell_padding - 1))
        column = table.columns.get(ColumnKey("title"))
        if column is not None and column.width != width:
            column.width = width
            for lesson in self.app.catalog.lessons:
                if lesson.id in table.rows:
                    table.update_cell(lesson.id, "title", _title_cell(lesson.title, width))
            table.refresh(layout=True)
        self.call_after_refresh(self.show_summary)  # the summary's width changed too

    def _title_width(self) -> int:
        column = self.query_one("#lessons", DataTable).columns.get(ColumnKey("title"))
        return column.width if column is not None else TITLE_WIDTH

    def on_screen_resume(self) -> None:
        self.refresh_progress()

    def on_progress_changed(self, message: ProgressChanged) -> None:
        message.stop()  # the app passed it on; it must not bubble back to the app
        self.refresh_progress()

    def refresh_progress(self) -> None:
        table = self.query_one("#lessons", DataTable)
        row = table.cursor_row
        table.clear()
        figures = home_figures(self.app.store, self.app.catalog)
        self._progress = figures.lessons
        for lesson in self.app.catalog.lessons:
            progress = self._progress.get(lesson.id, LessonProgress())
            mastery = "-" if progress.mastery is None else f"{round(progress.mastery * 100)}%"
            table.add_row(
                Content(f"{lesson.order:>2}"),
                _title_cell(lesson.title, self._title_width()),
                Content("✓" if progress.read else "·"),
                Content(mastery),
                Content(str(progress.runs) if progress.runs else "·"),
                Content(_exercises_cell(progress.exercises_done, len(lesson.exercises))),
                key=lesson.id,
            )
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        self._next = next_step(self.app.catalog, figures)
        reviews = self.query_one("#reviews", Static)
        reviews.display = self.app.store is not None
        reviews.update(Content(reviews_line(figures.due, figures.next_due)))
        self.refresh_continue()

    def refresh_continue(self) -> None:
        """Where `c` goes: a missed prediction that is due, else the next unfinished step."""
        line = self.query_one("#continue", Static)
        missed = self.due_prediction()
        if missed is not None:
            line.update(Content(f"Continue (c): predict again: {missed.experiment.title}"))
        elif not self.app.catalog.lessons:
            line.update(inline_text("No lessons found. Add lesson files, then run `lab validate`."))
        elif self._next is None:
            line.update(Content("Every lesson read, quiz taken and exercise done."))
        else:
            line.update(Content(f"Continue (c): {self._next.text}"))

    def due_prediction(self):
        """The experiment of the most overdue missed prediction: continuing goes there first."""
        found = due_predictions(self.app.catalog, self.app.store)
        return found[0] if found else None

    def selected_lesson(self) -> str | None:
        table = self.query_one("#lessons", DataTable)
        if not table.row_count:
            return None
        key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        return key.value

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._lesson_shown = event.row_key.value if event.row_key else None
        self.show_summary()

    def show_summary(self) -> None:
        """The highlighted lesson's summary, under the table."""
        lesson = self.app.catalog.lesson(self._lesson_shown) if self._lesson_shown else None
        summary = self.query_one("#lesson-summary", Static)
        if lesson is None:
            summary.update(Content(""))
            return
        column = self.query_one("#lessons", DataTable).columns.get(ColumnKey("title"))
        title_cut = column is not None and cell_len(lesson.title) > column.width
        summary.update(lesson_summary(lesson, summary.content_size.width or 78, title_cut))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:  # each row's key is its lesson's id
            self.app.open_lesson(event.row_key.value)

    def action_open_lesson(self) -> None:
        lesson = self.selected_lesson()
        if lesson:
            self.app.open_lesson(lesson)

    def action_continue(self) -> None:
        missed = self.due_prediction()
        if missed is not None:
            self.app.open_experiment(missed.experiment.id)
        elif self._next is not None:
            self.app.open_target(self._next.target)

    def action_quiz(self) -> None:
        self.app.open_quiz(None)

    def action_flashcards(self) -> None:
        self.app.open_flashcards(None)


def _title_cell(title: str, width: int) -> Content:
    """The title, cut with `…` where the column is narrower (the summary shows it whole)."""
    return Content(title).truncate(width, ellipsis=True)


def _exercises_cell(done: int, total: int) -> str:
    """`2/3` exercises done; `·` for a lesson without exercises."""
    return f"{done}/{total}" if total else "·"
