"""Tests that one-paragraph texts show the lessons' inline styles, and nothing else as style."""

from __future__ import annotations

import pytest

from lab.tui.widgets.inline_text import CODE_STYLE, inline_text


def styled(text: str) -> tuple[str, list[tuple[str, str]]]:
    content = inline_text(text)
    return content.plain, [(content.plain[s.start : s.end], str(s.style)) for s in content.spans]


def test_code_emphasis_and_strong_show_without_their_marks():
    assert styled("compare with *Building networks with torch.nn* (digits)") == (
        "compare with Building networks with torch.nn (digits)",
        [("Building networks with torch.nn", "italic")],
    )
    assert styled("**Too small**: `lr = 0.001` crawls") == (
        "Too small: lr = 0.001 crawls",
        [("Too small", "bold"), ("lr = 0.001", CODE_STYLE)],
    )


@pytest.mark.parametrize(
    "text",
    ["w * x * 2", "2*x*3", "a ** b ** c", "`*args` and `**kwargs`", "[bold]no markup[/]", "*"],
)
def test_asterisks_that_are_not_emphasis_stay(text):
    plain, spans = styled(text)
    assert plain == text.replace("`", "")
    assert all(style == CODE_STYLE for _, style in spans), spans
