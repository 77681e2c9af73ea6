"""ex-stable-cross-entropy accepts the ways people write a stable cross-entropy and names the
overflow, the log of a rounded probability, the sum and the N x N index when it meets them."""

from __future__ import annotations

import math

import pytest

from lab.exercises.judge import same
from tests.exercises.conftest import check_source

HEAD = "import torch\nimport torch.nn.functional as F\n\n\ndef cross_entropy(logits, targets):\n"

CORRECT = {
    "variables named after what they hold": (
        "    m = logits.max(dim=1, keepdim=True).values\n"
        "    logsumexp = m + torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))\n"
        "    log_softmax = logits - logsumexp\n"
        "    return -log_softmax[torch.arange(len(targets)), targets].mean()\n"
    ),
    "gather": (
        "    z = logits - logits.amax(dim=1, keepdim=True)\n"
        "    log_p = z - z.exp().sum(1, keepdim=True).log()\n"
        "    return -log_p.gather(1, targets.unsqueeze(1)).mean()\n"
    ),
    "one-hot with num_classes": (
        "    z = logits - logits.max(1, keepdim=True)[0]\n"
        "    log_p = z - torch.log(torch.sum(torch.exp(z), 1, keepdim=True))\n"
        "    hot = F.one_hot(targets, num_classes=logits.shape[1])\n"
        "    return -(hot * log_p).sum(dim=1).mean()\n"
    ),
    "a loop over the rows": (
        "    total = 0.0\n"
        "    for row, t in zip(logits, targets):\n"
        "        m = row.max()\n"
        "        total = total + m + torch.log(torch.exp(row - m).sum()) - row[t]\n"
        "    return total / len(targets)\n"
    ),
}

NEAR_MISSES = {
    "the library's log_softmax": (
        "    log_p = F.log_softmax(logits, dim=1)\n"
        "    return -log_p[torch.arange(len(targets)), targets].mean()\n",
        "uses torch.nn.functional.log_softmax, which this exercise asks you to do without",
    ),
    "naive": (
        "    p = torch.exp(logits) / torch.exp(logits).sum(1, keepdim=True)\n"
        "    return -torch.log(p[range(len(targets)), targets]).mean()\n",
        "exp(1000) overflows to inf",
    ),
    "log of softmax": (
        "    p = torch.softmax(logits, dim=1)\n"
        "    return -p.log()[torch.arange(len(targets)), targets].mean()\n",
        "rounded to 0 before you took its log",
    ),
    "sum": (
        "    z = logits - logits.max(1, keepdim=True).values\n"
        "    log_p = z - torch.log(torch.exp(z).sum(1, keepdim=True))\n"
        "    return -log_p[torch.arange(len(targets)), targets].sum()\n",
        "you added up the losses of the batch",
    ),
    "an N x N block": (
        "    z = logits - logits.max(1, keepdim=True).values\n"
        "    log_p = z - torch.log(torch.exp(z).sum(1, keepdim=True))\n"
        "    return -log_p[:, targets].mean()\n",
        "an N x N block",
    ),
    "one-hot without num_classes": (
        "    z = logits - logits.max(1, keepdim=True).values\n"
        "    log_p = z - torch.log(torch.exp(z).sum(1, keepdim=True))\n"
        "    return -(F.one_hot(targets) * log_p).sum(1).mean()\n",
        "pass `num_classes=logits.shape[1]`",
    ),
}


@pytest.mark.parametrize("style", sorted(CORRECT))
def test_a_stable_cross_entropy_in_any_style_passes(checker, style):
    result = check_source(checker, "ex-stable-cross-entropy", HEAD + CORRECT[style])
    assert result.passed, [c.message for c in result.failed_checks] or result.error


@pytest.mark.parametrize("mistake", sorted(NEAR_MISSES))
def test_each_known_mistake_is_named(checker, mistake):
    body, words = NEAR_MISSES[mistake]
    result = check_source(checker, "ex-stable-cross-entropy", HEAD + body)
    assert not result.passed and result.error is None, result.error
    assert words in result.failed_checks[0].message, result.failed_checks[0].message


def test_infinities_are_the_same_only_with_the_same_sign():
    inf = math.inf
    assert same(inf, inf, 1e-4) and same(-inf, -inf, 1e-4)
    assert not same(inf, -inf, 1e-4)
    assert not same(inf, 1e30, 1e-4) and not same(1e30, inf, 1e-4)
