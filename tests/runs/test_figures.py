"""Which train loss a figure is: train and eval mode are named only where the model has them."""

from __future__ import annotations

from lab.runs.figures import end_of_run, epoch_train_loss, figure, final_figures, has_modes


def spec(*layers: str, **args) -> dict:
    return {
        "dataset": {"name": "digits"},
        "model": {"layers": [{"type": t} for t in layers], "builder": None, "args": args},
    }


def test_train_and_eval_mode_are_named_for_dropout_and_batch_norm_only():
    assert has_modes(spec("Linear", "Dropout", "Linear"))
    assert has_modes(spec("Conv2d", "BatchNorm2d"))
    assert has_modes({"dataset": {}, "model": {"builder": "mlp", "args": {"dropout": 0.2}}})
    assert not has_modes({"dataset": {}, "model": {"builder": "mlp", "args": {"dropout": 0.0}}})
    assert not has_modes(spec("Linear"))
    with_dropout, line_fit = spec("Linear", "Dropout"), spec("Linear")
    assert "in train mode" in epoch_train_loss(with_dropout)
    assert "train mode" not in epoch_train_loss(line_fit)
    assert (
        final_figures("completed", with_dropout)
        == "the finished model on each split, in eval mode:"
    )
    assert final_figures("completed", line_fit) == "the finished model on each split:"


def test_a_stopped_runs_figures_are_its_last_epochs_and_a_scripted_runs_are_its_own():
    assert final_figures("stopped", spec("Linear")) == "as of the last finished epoch:"
    assert final_figures("diverged", spec("Linear")) == "as of the last finished epoch:"
    assert final_figures("completed", {"name": "manual-vs-adam", "args": {}}) is None


def test_every_line_fits_80_columns():
    for model in (spec("Linear", "Dropout"), spec("Linear")):
        assert len(epoch_train_loss(model)) <= 80
        assert len(final_figures("completed", model)) <= 80


def test_the_end_of_a_run_is_a_table_of_splits_with_the_last_epochs_train_loss_beside():
    final = {
        "train_loss": 0.2349,
        "train_accuracy": 0.957,
        "val_loss": 0.2663,
        "val_accuracy": 0.944,
    }
    text = end_of_run("completed", spec("Linear", "Dropout"), final, {"train_loss": 0.5125})
    assert text.splitlines() == [
        "the finished model, in eval mode:",
        "          loss accuracy",
        "train   0.2349    95.7%",
        "val     0.2663    94.4%",
        "train*  0.5125",
        "* the last epoch's train_loss: its steps' mean, in train mode",
    ]
    stopped = end_of_run("stopped", spec("Linear"), {"train_loss": 0.3}, {"train_loss": 0.3})
    assert stopped.splitlines() == [
        "as of the last finished epoch:",
        "         loss",
        "train     0.3",
    ]
    scripted = end_of_run("completed", {"name": "manual-vs-adam"}, {"adam_loss": 0.0123}, {})
    assert scripted == "the run's figures:\nadam_loss 0.0123"
    assert figure("adam_loss", 0.0123) == "adam_loss 0.0123"
    assert end_of_run("failed", spec("Linear"), {}, {}) == ""
    assert figure("test_accuracy", 0.93) == "test_accuracy 93.0%"
