"""Provides the glossary screen: search as you type, a term's definition, translations, see-also."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from lab.catalog.catalog import TermEntry
from lab.quiz.standing import lesson_name
from lab.text import reflow
from lab.tui.screens.base import LabScreen
from lab.tui.widgets.footer import LabFooter
from lab.tui.widgets.inline_text import inline_text

SHOW_AT = 50.0  # fuzzy scores below this are noise unless nothing better matches


def term_content(entry: TermEntry, lesson: str | None = None) -> Content:
    """A term as plain text with a few styles (`code` in backticks); lesson text never becomes
    markup. `lesson` names the term's lesson as the learner knows it (`4. Gradient descent`)."""
    t = entry.term
    parts = [Content.styled(t.term, "bold")]
    if t.aliases:
        parts.append(Content(f"  ({', '.join(t.aliases)})"))
    parts.append(Content("\n"))
    parts.append(inline_text(t.short).stylize("italic"))
    parts.append(Content("\n\n"))
    parts.append(inline_text(reflow(t.definition) + "\n"))
    if t.translations.zh or t.translations.fr:
        parts.append(Content("\n"))
        if t.translations.zh:
            parts.append(Content(f"中文      {t.translations.zh}\n"))
        if t.translations.fr:
            parts.append(Content(f"français  {t.translations.fr}\n"))
    parts.append(Content(f"\nlesson: {lesson or entry.lesson}"))
    return Content("").join(parts)


class GlossaryScreen(LabScreen):
    """Type to search; up/down to browse; tab to the see-also list; enter follows it."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("g", "focus_search", "Search", show=False),
    ]

    def __init__(self, term: str | None = None, focus_search: bool = False) -> None:
        super().__init__()
        self.initial_term = term
        self.start_in_search = focus_search or term is None
        self.current: TermEntry | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Input(placeholder="search terms, aliases, 中文, français", id="glossary-search")
        with Horizontal(id="glossary-body"):
            with Vertical(id="glossary-list"):
                yield Static(id="glossary-nomatch", markup=False)
                yield OptionList(id="glossary-results")
            with VerticalScroll(id="glossary-detail"):
                yield Static(id="glossary-definition")
                yield Static(Content("see also:"), id="see-also-label")
                yield OptionList(id="see-also")
        yield LabFooter()

    def on_mount(self) -> None:
        self.sub_title = "Glossary"
        self.query_one("#glossary-nomatch").display = False
        self._fill(self.app.catalog.terms())
        if self.initial_term:
            self.show(self.initial_term)
        elif self.app.catalog.terms():
            self._display(self.app.catalog.terms()[0])
        if self.start_in_search:
            self.focus_search()
        else:
            self.query_one("#glossary-results", OptionList).focus()

    # --- what is shown ------------------------------------------------------------------

    def _fill(self, entries: list[TermEntry]) -> None:
        results = self.query_one("#glossary-results", OptionList)
        results.clear_options()
        results.add_options([Option(Content(e.term.term), id=e.term.term) for e in entries])
        if entries:
            results.highlighted = 0

    def _display(self, entry: TermEntry) -> None:
        self.current = entry
        where = lesson_name(self.app.catalog, entry.lesson) if entry.lesson else None
        self.query_one("#glossary-definition", Static).update(term_content(entry, where))
        see = self.query_one("#see-also", OptionList)
        see.clear_options()
        names = [n for n in entry.term.see_also if self.app.catalog.term(n)]
        see.add_options([Option(Content(n), id=n) for n in names])
        if names:
            see.highlighted = 0
        see.display = bool(names)
        self.query_one("#see-also-label").display = bool(names)
        self.query_one("#glossary-detail").scroll_home(animate=False)

    def show(self, name: str) -> bool:
        """Show the term called `name` (or the best match); False when nothing matches."""
        entry = self.app.catalog.term(name)
        if entry is None:
            ranked = self.app.catalog.search_terms(name, limit=1)
            entry = ranked[0][0] if ranked and ranked[0][1] >= SHOW_AT else None
        if entry is None:
            self.notify(f"No term matches {name!r}", severity="warning", markup=False)
            return False
        results = self.query_one("#glossary-results", OptionList)
        ids = [results.get_option_at_index(i).id for i in range(results.option_count)]
        if entry.term.term not in ids:
            self.query_one("#glossary-search", Input).value = ""
            self._fill(self.app.catalog.terms())
            ids = [results.get_option_at_index(i).id for i in range(results.option_count)]
        if entry.term.term in ids:
            results.highlighted = ids.index(entry.term.term)
        self._display(entry)
        return True

    def focus_search(self) -> None:
        self.query_one("#glossary-search", Input).focus()

    # --- events -------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        nomatch = self.query_one("#glossary-nomatch", Static)
        good: list[TermEntry] = []
        if not query:
            self._fill(self.app.catalog.terms())
        else:
            ranked = self.app.catalog.search_terms(query, limit=12)
            good = [e for e, score in ranked if score >= SHOW_AT]
            self._fill(good or [e for e, _ in ranked[:3]])
        # Nothing close: say so, then offer the nearest terms as suggestions.
        nomatch.update(f"no term matches {query!r}; nearest:")
        nomatch.display = bool(query) and not good
        results = self.query_one("#glossary-results", OptionList)
        if results.option_count:
            first = results.get_option_at_index(0).id
            entry = self.app.catalog.term(first) if first else None
            if entry:
                self._display(entry)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#glossary-results", OptionList).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "glossary-results" and event.option.id:
            entry = self.app.catalog.term(event.option.id)
            if entry and entry is not self.current:
                self._display(entry)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "see-also" and event.option.id:
            self.show(event.option.id)
            self.query_one("#glossary-results", OptionList).focus()
        elif event.option_list.id == "glossary-results":
            see = self.query_one("#see-also", OptionList)
            if see.display:
                see.focus()

    # --- actions ------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_focus_search(self) -> None:
        self.focus_search()
