"""The fine-tune experiment: the tasks it builds, what each mode trains, the base checkpoint it
keeps in LAB_HOME and reuses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lab.engine.events import EpochEnd, Log, Progress
from lab.engine.scripted import finetune
from tests.engine.conftest import done_of, run_all, scripted_run

SHORT = {"base_epochs": 2, "epochs": 3}


def _digits_labels() -> torch.Tensor:
    return torch.from_numpy(finetune.digits().y)


def test_parity_shares_each_digit_out_between_the_two_tasks():
    y = _digits_labels()
    ((base_train, base_y), (base_test, _)), ((new_train, new_y), (new_test, new_test_y)) = (
        finetune.make_tasks(y, "parity", seed=0, labels=20)
    )
    base, new = (
        {*base_train.tolist(), *base_test.tolist()},
        {*new_train.tolist(), *new_test.tolist()},
    )
    assert not base & new  # the base network never sees an image of the new task
    assert len(base) == sum(-(-n // 2) for n in np.bincount(y.numpy()))  # half of each digit
    assert torch.equal(base_y, y[base_train])  # the base task: the ten digits
    assert torch.equal(new_y, y[new_train] % 2) and torch.equal(new_test_y, y[new_test] % 2)
    assert np.bincount(new_y.numpy()).tolist() == [10, 10]  # `labels`, as many of each class


def test_five_to_nine_learns_the_upper_digits_as_classes_0_to_4():
    y = _digits_labels()
    ((base_train, base_y), _), ((new_train, new_y), (new_test, _)) = finetune.make_tasks(
        y, "five-to-nine", seed=0, labels=25
    )
    assert set(base_y.tolist()) == {0, 1, 2, 3, 4}
    assert torch.equal(new_y, y[new_train] - 5)
    assert np.bincount(new_y.numpy()).tolist() == [5] * 5
    assert not set(new_train.tolist()) & set(new_test.tolist())


def test_frozen_mode_trains_the_head_only_and_finetune_the_body_at_its_own_rate():
    model = finetune.small_cnn(2)
    optimizer = finetune.make_optimizer(model, "frozen", lr=0.01, body_lr=0.001)
    head = list(model.get_submodule("head").parameters())
    assert [p for g in optimizer.param_groups for p in g["params"]] == head
    assert not any(p.requires_grad for p in model.get_submodule("body").parameters())

    model = finetune.small_cnn(2)
    optimizer = finetune.make_optimizer(model, "finetune", lr=0.01, body_lr=0.001)
    body, head_group = optimizer.param_groups
    assert body["lr"] == 0.001 and head_group["lr"] == 0.01
    assert body["params"] == list(model.get_submodule("body").parameters())
    assert head_group["params"] == list(model.get_submodule("head").parameters())


def test_body_change_is_the_largest_difference_from_the_base():
    model = finetune.small_cnn(2)
    base = {k: v.clone() for k, v in model.state_dict().items()}
    assert finetune.body_change(model, base) == 0.0
    with torch.no_grad():
        model.get_submodule("body")[0].weight[0, 0, 1, 1] += 0.25
        model.get_submodule("head").weight += 1.0  # the head is not the body
    assert finetune.body_change(model, base) == pytest.approx(0.25)


def _base_trained(events) -> bool:
    return any(isinstance(e, Progress) and e.series == "base" for e in events)


def test_the_frozen_body_is_unchanged_and_the_base_checkpoint_is_reused(engine_home):
    first = run_all(scripted_run("fine-tune", SHORT))
    done = done_of(first)
    assert done.status == "completed", done.reason
    assert done.metrics["frozen_body_change"] == 0.0
    assert _base_trained(first)
    saved = list((engine_home / "cache").glob("fine-tune-base-*.pt"))
    assert len(saved) == 1

    second = run_all(scripted_run("fine-tune", SHORT))
    assert not _base_trained(second)
    assert any(isinstance(e, Log) and "reused the checkpoint" in e.text for e in second)
    assert done_of(second).metrics == done.metrics  # the same base, the same new task

    other_seed = run_all(scripted_run("fine-tune", {**SHORT, "seed": 1}))
    assert _base_trained(other_seed)  # another base: trained and kept beside the first
    assert len(list((engine_home / "cache").glob("fine-tune-base-*.pt"))) == 2


def test_each_epoch_of_the_new_task_reports_every_mode_once():
    """One EpochEnd an epoch with the three modes' figures (the store keeps one a number)."""
    events = run_all(scripted_run("fine-tune", SHORT))
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in ends] == [1, 2, 3]
    names = {f"{mode}_{what}" for mode in finetune.MODES for what in ("loss", "accuracy")}
    assert all(set(e.metrics) == names for e in ends)
    done = done_of(events)
    assert all(
        ends[-1].metrics[f"{m}_accuracy"] == done.metrics[f"{m}_accuracy"] for m in finetune.MODES
    )
    series = [e.series for e in events if isinstance(e, Progress)]
    assert series == ["base"] * 2 + list(finetune.MODES) * 3


def test_an_unreadable_checkpoint_is_trained_again(engine_home):
    done_of(run_all(scripted_run("fine-tune", SHORT)))
    (saved,) = (engine_home / "cache").glob("fine-tune-base-*.pt")
    saved.write_bytes(b"not a checkpoint")
    events = run_all(scripted_run("fine-tune", SHORT))
    assert done_of(events).status == "completed"
    assert _base_trained(events)
    assert any(isinstance(e, Log) and "is unreadable" in e.text for e in events)
    assert torch.load(saved, weights_only=True)["model"]  # saved whole again


def test_an_unknown_task_is_refused_in_one_line():
    done = done_of(run_all(scripted_run("fine-tune", {"task": "letters"})))
    assert done.status == "failed"
    assert "task must be one of parity, five-to-nine" in done.reason
