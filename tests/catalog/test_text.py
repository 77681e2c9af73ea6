"""reflow: lesson prose joined into paragraphs for the widget to wrap; bullets and code kept."""

from lab.text import reflow


def test_lines_of_a_paragraph_are_joined_and_paragraphs_kept():
    block = "A small CNN on the digits,\nfed as images:  two blocks\n\n\nThen a Linear\nlayer.\n"
    assert (
        reflow(block)
        == "A small CNN on the digits, fed as images: two blocks\n\nThen a Linear layer."
    )


def test_bullets_and_indented_code_keep_their_lines():
    block = "Three ways:\n- write rules\n- learn a mapping\n  from features\n\n    x = torch.ones(2)\n    x.shape"
    assert reflow(block) == (
        "Three ways:\n- write rules\n- learn a mapping from features\n\n"
        "    x = torch.ones(2)\n    x.shape"
    )


def test_a_number_starting_a_line_is_joined_like_any_word():
    assert reflow("noise of variance\n16. Then we split.") == "noise of variance 16. Then we split."


def test_nothing_but_blanks_is_empty():
    assert reflow("\n  \n") == ""
