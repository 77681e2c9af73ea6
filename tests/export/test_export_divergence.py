"""An exported script stops where `lab run` stops (the engine's divergence rule, copied in),
and the command `lab export` gives to run it is the one that script needs."""

from __future__ import annotations

import contextlib
import io
import runpy

import pytest

from lab.catalog.runspec import build_run_spec
from lab.engine.events import EpochEnd
from lab.engine.loop import run_events
from lab.export import export_script
from lab.export.divergence import engine_source

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lr", ["0.2", "1.5"])
def test_the_exported_gd_diverge_stops_at_the_epoch_and_with_the_reason_of_lab_run(
    shipped_lessons, tmp_path, lr
):
    """lr=0.2 climbs until epoch 7; lr=1.5 jumps to 3,567 in epoch 2 (the script without the
    rule ran lr=0.2 to an overflow at epoch 216)."""
    from lab.catalog import load_catalog

    run_spec = build_run_spec(load_catalog().experiment("gd-diverge"), {"lr": lr})
    events = list(run_events(run_spec, lambda: False))
    done = events[-1]
    assert done.status == "diverged"
    epochs = [e for e in events if isinstance(e, EpochEnd)]

    path = tmp_path / "gd.py"
    path.write_text(export_script(run_spec))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(path), run_name="__main__")
    assert str(stopped.value) == f"diverged: {done.reason}"
    printed = out.getvalue().splitlines()
    assert len(printed) == len(epochs) and printed[-1].startswith(f"epoch {epochs[-1].epoch}/")
    assert f"train_loss {epochs[-1].metrics['train_loss']:.4g}" in printed[-1]


def test_a_renamed_engine_definition_is_a_loud_error_not_a_script_without_it():
    with pytest.raises(LookupError, match="no DivergenceWatcher"):
        engine_source("lab.engine.divergence", ("DivergenceWatcher",))


@pytest.fixture
def fresh_cli(monkeypatch):
    from lab.cli import state

    monkeypatch.setattr(state, "_catalog", None)


def test_ddp_digits_exported_without_distributed_says_to_run_it_with_torchrun(
    shipped_lessons, fresh_cli, tmp_path
):
    """Its script is the torchrun one either way: `python` on it fails without a rank."""
    from typer.testing import CliRunner

    from lab.cli import app

    out = tmp_path / "plain.py"
    result = CliRunner().invoke(app, ["export", "ddp-digits", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote {out}; run it with `torchrun --nproc_per_node=2 {out}`"
    assert "dist.init_process_group" in out.read_text(encoding="utf-8")
