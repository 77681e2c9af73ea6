"""Provides LessonText: a lesson's sections as Markdown, with `[[term]]` links that open the term.

Lesson text is shown as text: Markdown formatting applies, Rich/Textual markup such as `[bold]`
or `[@click=app.quit]` is displayed literally, and links other than glossary links do nothing.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from textual.widgets import Markdown

from lab.catalog.schema import Lesson
from lab.tui.messages import TermRequested

TERM_SCHEME = "term:"
_LINK = re.compile(r"\[\[([^\[\]|]+)(?:\|([^\[\]]*))?\]\]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def link_terms(body: str) -> str:
    """`[[term]]` and `[[term|shown]]` become Markdown links to `term:` targets."""

    def repl(m: re.Match) -> str:
        term = m.group(1).strip()
        shown = (m.group(2) or "").strip() or term
        return f"[{_md_escape(shown)}]({TERM_SCHEME}{quote(term, safe='')})"

    return _LINK.sub(repl, body)


def lesson_markdown(lesson: Lesson) -> str:
    """The whole lesson as one Markdown document: summary, then each titled section."""
    parts = [f"*{_md_escape(lesson.summary.strip())}*"]
    for section in lesson.sections:
        parts.append(f"## {_md_escape(section.title)}")
        parts.append(link_terms(section.body.strip()))
    return "\n\n".join(parts) + "\n"


class LessonText(Markdown):
    """A lesson's body; clicking a glossary link posts `TermRequested`."""

    def __init__(self, lesson: Lesson, **kwargs) -> None:
        super().__init__(lesson_markdown(lesson), open_links=False, **kwargs)
        self.lesson = lesson

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        href = event.href
        if href.startswith(TERM_SCHEME):
            self.post_message(TermRequested(unquote(href[len(TERM_SCHEME) :])))
