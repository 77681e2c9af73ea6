"""ex-shift-right accepts the usual ways to move an image sideways and names the wrap-round of
`torch.roll`, the empty `:-0` slice, moving the rows and changing the input in place."""

from __future__ import annotations

import pytest

from tests.exercises.conftest import check_source

HEAD = "import torch\nimport torch.nn.functional as F\n\n\ndef shift_right(images, pixels):\n"

CORRECT = {
    "cat with zeros": (
        "    w = images.shape[-1]\n"
        "    left = torch.zeros(*images.shape[:-1], pixels)\n"
        "    return torch.cat([left, images[..., : w - pixels]], dim=-1)\n"
    ),
    "pad then crop": ("    w = images.shape[-1]\n    return F.pad(images, (pixels, 0))[..., :w]\n"),
    "roll then blank": (
        "    out = torch.roll(images, pixels, dims=3 if images.dim() == 4 else -1)\n"
        "    out[..., :pixels] = 0\n"
        "    return out\n"
    ),
}

NEAR_MISSES = {
    "roll": ("    return images.roll(pixels, -1)\n", "wraps the columns"),
    "minus zero": (
        "    out = torch.zeros_like(images)\n"
        "    out[..., pixels:] = images[..., :-pixels]\n"
        "    return out\n",
        "`:-0` means `:0`",
    ),
    "rows": (
        "    out = torch.zeros_like(images)\n"
        "    out[..., pixels:, :] = images[..., : images.shape[-2] - pixels, :]\n"
        "    return out\n",
        "you moved the rows",
    ),
    "in place": (
        "    w = images.shape[-1]\n"
        "    images[..., pixels:] = images[..., : w - pixels].clone()\n"
        "    images[..., :pixels] = 0\n"
        "    return images\n",
        "the input changed",
    ),
}


@pytest.mark.parametrize("style", sorted(CORRECT))
def test_a_shift_in_any_style_passes(checker, style):
    result = check_source(checker, "ex-shift-right", HEAD + CORRECT[style])
    assert result.passed, [c.message for c in result.failed_checks] or result.error


@pytest.mark.parametrize("mistake", sorted(NEAR_MISSES))
def test_each_known_mistake_is_named(checker, mistake):
    body, words = NEAR_MISSES[mistake]
    result = check_source(checker, "ex-shift-right", HEAD + body)
    assert not result.passed and result.error is None, result.error
    assert any(words in c.message for c in result.failed_checks), [
        c.message for c in result.failed_checks
    ]
