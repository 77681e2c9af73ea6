"""Tests that a glossary search puts the term being typed first, in any of its languages."""

from __future__ import annotations

import pytest

from lab.catalog.search import alternatives, rank


@pytest.mark.parametrize(
    "query, first",
    [
        ("梯", "gradient"),  # 梯度; not 梯度爆炸 (exploding gradients), first by name
        ("梯度下", "gradient descent"),  # 梯度下降 being typed; not 梯度, which it holds
        ("精度", "accuracy"),  # 准确率（d2l-zh：精度）
        ("批次", "batch"),  # 批量（批次）
        ("随机失活", "dropout"),  # 暂退法（随机失活，Dropout）
        ("justesse", "accuracy"),  # exactitude (justesse, accuracy, ...)
        ("descente", "gradient descent"),
        ("grad", "gradient"),  # an alias, exactly
        ("gradiant", "gradient"),  # a typo
    ],
)
def test_the_term_being_typed_comes_first(shipped, query, first):
    found = [entry.names()[0] for entry, _ in shipped.search_terms(query, 3)]
    assert found[0] == first, found


def test_a_prefix_ranks_above_a_fuzzy_match_and_ties_go_to_the_closer_name():
    names = [
        ["gradient clipping", "梯度裁剪"],
        ["gradient", "梯度"],
        ["gradient descent", "梯度下降"],
    ]
    assert [i for i, _ in rank("梯", names, 3)] == [1, 0, 2], "the shorter prefix first"
    assert rank("梯度下", names, 3)[0][0] == 2, "a prefix beats a name the query holds"
    assert rank("gradient", names, 3)[0] == (1, 100.0), "exact: first, and at most 100"
    tied = [["a sgd", "随机梯度下降"], ["gradient", "梯度"]]  # both 90 for 梯度下, fuzzily
    assert [score for _, score in rank("梯度下", tied, 2)] == [90.0, 90.0]
    assert rank("梯度下", tied, 2)[0][0] == 1, "梯度 is closer to 梯度下 than 随机梯度下降"


def test_only_brackets_after_a_space_hold_other_names():
    assert alternatives("批量（批次）") == ("批量（批次）", "批量", "批次")
    assert alternatives("dropout (abandon aléatoire)") == (
        "dropout (abandon aléatoire)",
        "dropout",
        "abandon aléatoire",
    )
    assert alternatives("model.eval()") == ("model.eval()",)
    assert alternatives("requires_grad_(False)") == ("requires_grad_(False)",)
