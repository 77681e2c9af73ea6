"""Provides inline_text: one-paragraph texts (a quiz's prompt, an experiment's description) with
the lessons' inline styles, and never as markup."""

from __future__ import annotations

import re

from textual.content import Content

_CODE = re.compile(r"`([^`\n]+)`")
CODE_STYLE = "bold $text-accent"
_EMPHASIS = re.compile(r"(?<![\w*])(\*\*?)(?=[^\s*])([^\n]+?)(?<=[^\s*])\1(?![\w*])")
"""`*emphasis*` and `**strong**`, as Markdown has them: no space inside the asterisks, no
letter outside, so `w * x * 2` and `2*x*3` stay as they are."""


def inline_text(text: str) -> Content:
    """`text` as Content: each `span` in backticks without them, in the code style; `*words*`
    in italics and `**words**` in bold, outside code; anything else literal (square brackets
    are no markup here)."""
    parts: list[Content] = []
    last = 0
    for m in _CODE.finditer(text):
        parts.append(_emphasised(text[last : m.start()]))
        parts.append(Content.styled(m.group(1), CODE_STYLE))
        last = m.end()
    parts.append(_emphasised(text[last:]))
    return Content("").join(parts)


def _emphasised(text: str) -> Content:
    parts: list[Content] = []
    last = 0
    for m in _EMPHASIS.finditer(text):
        parts.append(Content(text[last : m.start()]))
        parts.append(Content.styled(m.group(2), "bold" if m.group(1) == "**" else "italic"))
        last = m.end()
    parts.append(Content(text[last:]))
    return Content("").join(parts)
