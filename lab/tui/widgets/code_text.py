"""Provides with_code: text whose `backticked` spans show as code, never as markup."""

from __future__ import annotations

import re

from textual.content import Content

_CODE = re.compile(r"`([^`\n]+)`")
CODE_STYLE = "bold $text-accent"


def with_code(text: str) -> Content:
    """`text` as Content, each `span` in backticks shown without them in the code style;
    anything else literal (square brackets are no markup here)."""
    parts: list[Content] = []
    last = 0
    for m in _CODE.finditer(text):
        parts.append(Content(text[last : m.start()]))
        parts.append(Content.styled(m.group(1), CODE_STYLE))
        last = m.end()
    parts.append(Content(text[last:]))
    return Content("").join(parts)
