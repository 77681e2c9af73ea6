"""Provides LessonText: a lesson's sections as Markdown, with `[[term]]` links that open the term.

Lesson text is shown as text: Markdown formatting applies, Rich/Textual markup such as `[bold]`
or `[@click=app.quit]` is displayed literally, and links other than glossary links do nothing.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from textual import events
from textual.content import Content
from textual.widgets import Label, Markdown
from textual.widgets.markdown import MarkdownFence

from lab.catalog.schema import Lesson
from lab.tui.messages import TermRequested

TERM_SCHEME = "term:"
_LINK = re.compile(r"\[\[([^\[\]|]+)(?:\|([^\[\]]*))?\]\]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_CODE_SPAN = re.compile(r"(`[^`]*`)")
WRAP_MARK = "↪ "
"""Starts the rest of a code line too long for the screen."""


def _md_escape(text: str, keep_code: bool = False) -> str:
    """Markdown's special characters shown as themselves (`code` kept as code if asked: a
    code span shows its text as it is, so nothing in it is escaped)."""
    if not keep_code:
        return _MD_SPECIAL.sub(r"\\\1", text)
    parts = _CODE_SPAN.split(text)  # the odd parts are code spans
    return "".join(p if i % 2 else _MD_SPECIAL.sub(r"\\\1", p) for i, p in enumerate(parts))


def wrap_code(code: Content, width: int) -> Content:
    """Each line of `code` cut into pieces of `width` cells, every piece after the first on a
    line of its own starting with WRAP_MARK: nothing is cut off at the screen's edge."""
    room = max(width - len(WRAP_MARK), 8)
    lines: list[Content] = []
    for line in code.split("\n"):
        if line.cell_length <= width:
            lines.append(line)
            continue
        lines.append(line[:width])
        rest = line[width:]
        while rest.cell_length:
            lines.append(Content.styled(WRAP_MARK, "dim") + rest[:room])
            rest = rest[room:]
    return Content("\n").join(lines)


class WrappedFence(MarkdownFence):
    """A code block whose long lines wrap with a marker (a fence scrolls sideways only with a
    mouse, and its scroll bar is hidden: at 80 columns code was simply cut)."""

    DEFAULT_CSS = """
    WrappedFence {
        overflow: hidden hidden;
    }
    """

    def on_resize(self, event: events.Resize) -> None:
        self._wrap()

    def set_content(self, content: Content) -> None:
        super().set_content(content)
        self._wrap()

    def _wrap(self) -> None:
        label = self.query("#code-content").first(Label) if self.is_mounted else None
        if label is None or not self.size.width:
            return
        width = self.size.width - label.styles.padding.width
        label.update(wrap_code(self._highlighted_code, width))


def link_terms(body: str) -> str:
    """`[[term]]` and `[[term|shown]]` become Markdown links to `term:` targets."""

    def repl(m: re.Match) -> str:
        term = m.group(1).strip()
        shown = (m.group(2) or "").strip() or term
        return f"[{_md_escape(shown)}]({TERM_SCHEME}{quote(term, safe='')})"

    return _LINK.sub(repl, body)


def lesson_markdown(lesson: Lesson, ending: str = "") -> str:
    """The whole lesson as one Markdown document: summary, then each titled section, then
    `ending` (where to go next) as plain bold text after a rule."""
    parts = [f"*{_md_escape(lesson.summary.strip(), keep_code=True)}*"]
    for section in lesson.sections:
        parts.append(f"## {_md_escape(section.title)}")
        parts.append(link_terms(section.body.strip()))
    if ending:
        parts.append(f"---\n\n**{_md_escape(ending)}**")
    return "\n\n".join(parts) + "\n"


class LessonText(Markdown):
    """A lesson's body; clicking a glossary link posts `TermRequested`."""

    BLOCKS = {**Markdown.BLOCKS, "fence": WrappedFence, "code_block": WrappedFence}

    def __init__(self, lesson: Lesson, ending: str = "", **kwargs) -> None:
        # The ending is part of the source from the start: `Markdown.append` re-parses from
        # the last block's last line, which cut the lesson's last paragraph to that line.
        super().__init__(lesson_markdown(lesson, ending), open_links=False, **kwargs)
        self.lesson = lesson

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        href = event.href
        if href.startswith(TERM_SCHEME):
            self.post_message(TermRequested(unquote(href[len(TERM_SCHEME) :])))
