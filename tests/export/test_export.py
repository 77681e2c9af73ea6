"""`lab export`: every declarative shipped experiment, exported and run, ends where `lab run` ends.

The engine and each script run in this process (the script by `runpy`, as `python FILE` would),
on the CPU, with the same seed and few epochs; the two MNIST-style sets run on small files written
in torchvision's on-disk format. One script also runs as a real `python FILE` process.
"""

from __future__ import annotations

import ast
import contextlib
import runpy
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from lab.catalog.runspec import build_run_spec
from lab.engine.loop import run_events
from lab.export import ExportError, export_script
from lab.export.script import RUFF_FORMAT, find_ruff

pytestmark = pytest.mark.slow

TOLERANCE = 1e-4
ALLOWED_IMPORTS = {
    "collections",
    "copy",
    "csv",
    "gc",
    "json",
    "math",
    "os",
    "numpy",
    "sklearn",
    "torch",
    "torchvision",
}
# ruff's default rules and more; a long path to the data may pass the line length
RUFF_CHECK = ["check", "--isolated", "--select", "E,F,W,I,B,UP,SIM", "--ignore", "E501", "-"]


def few_epochs(entry) -> int | None:
    """Three epochs where that still shows the experiment; early stopping keeps its own."""
    return None if entry.experiment.train.early_stopping else 3


def imported_modules(text: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add((node.module or "").split(".")[0])
    return found


def ruff(args: list[str], text: str) -> subprocess.CompletedProcess:
    return subprocess.run([find_ruff(), *args], input=text, capture_output=True, text=True)


def test_every_declarative_experiment_exports_a_script_that_ends_like_lab_run(
    shipped, download_cache, tmp_path
):
    rows, problems = [], []
    for entry in shipped.experiments():
        exp = entry.experiment
        if not exp.train:
            continue
        run_spec = build_run_spec(entry, epochs=few_epochs(entry))
        # only the MNIST-style sets look in the cache
        run_spec = run_spec.model_copy(update={"data_cache": str(download_cache)})
        started = time.perf_counter()
        done = list(run_events(run_spec, lambda: False))[-1]
        engine_s = time.perf_counter() - started
        assert done.status == "completed", (exp.id, done.reason)

        text = export_script(run_spec)
        path = tmp_path / f"{exp.id.replace('-', '_')}.py"
        path.write_text(text)
        started = time.perf_counter()
        final = runpy.run_path(str(path), run_name="__main__")["final"]
        script_s = time.perf_counter() - started
        gap = max(abs(final[k] - v) for k, v in done.metrics.items())
        rows.append((exp.id, engine_s, script_s, gap))
        if sorted(final) != sorted(done.metrics) or gap > TOLERANCE:
            problems.append(f"{exp.id}: lab run {done.metrics} but the script {final}")
        extra = imported_modules(text) - ALLOWED_IMPORTS
        if extra:
            problems.append(f"{exp.id}: the script imports {sorted(extra)}")
        checked = ruff(RUFF_CHECK, text)
        if checked.returncode != 0:
            problems.append(f"{exp.id}: ruff check: {checked.stdout}")
        if ruff(RUFF_FORMAT, text).stdout != text:
            problems.append(f"{exp.id}: not as ruff formats it")
    print()
    for name, engine_s, script_s, gap in rows:
        print(f"  {name:24} lab {engine_s:5.2f} s  script {script_s:5.2f} s  largest gap {gap:.1e}")
    assert not problems, "\n".join(problems)
    assert len(rows) >= 11


def test_scripts_carry_the_engines_own_functions_not_a_copy(shipped):
    """The generated data and the evaluation in a script are the engine's functions, read from
    its files (the export imports no torch): the same text `inspect.getsource` gives, formatted
    as the scripts are."""
    import importlib
    import inspect

    from lab.catalog import allowlists as allow
    from lab.export.source import function

    parts = importlib.import_module("lab.engine.parts")
    synthetic = importlib.import_module("lab.engine.datasets.synthetic")
    carried = [(parts, "correct_count"), (parts, "evaluate")]
    carried += [(synthetic, allow.synthetic_function(n)) for n in allow.SYNTHETIC_DATASETS]
    for module, name in carried:
        own = inspect.getsource(getattr(module, name)).rstrip("\n")
        assert function(module.__name__, name).source == own, name
        # written as the script is formatted (88 columns), also for the sets no lesson uses yet
        assert ruff(RUFF_FORMAT, own + "\n").stdout == own + "\n", name
    text = export_script(build_run_spec(shipped.experiment("circles-activation")))
    for module, name in [*carried[:2], (synthetic, "circles")]:
        assert inspect.getsource(getattr(module, name)) in text, name


def test_settings_reach_the_script(shipped, tmp_path):
    """--set lr and batch_size change the script the way they change the run."""
    entry = shipped.experiment("digits-named-mlp")
    run_spec = build_run_spec(entry, {"lr": "0.01", "batch_size": "64"}, epochs=2)
    text = export_script(run_spec)
    assert "lr = 0.01\n" in text and "batch_size = 64\n" in text and "num_epochs = 2\n" in text
    assert "with lr=0.01, batch_size=64" in text
    done = list(run_events(run_spec, lambda: False))[-1]
    path = tmp_path / "mlp.py"
    path.write_text(text)
    final = runpy.run_path(str(path), run_name="__main__")["final"]
    assert abs(final["test_loss"] - done.metrics["test_loss"]) <= TOLERANCE


@pytest.fixture
def fresh_cli(monkeypatch):
    """The CLI's cached catalog cleared for this test, and put back after it."""
    from lab.cli import state

    monkeypatch.setattr(state, "_catalog", None)


def test_an_exported_script_runs_as_its_own_python_process(shipped, fresh_cli, tmp_path):
    from lab.cli import app

    out = tmp_path / "scripts" / "hours.py"
    result = CliRunner().invoke(
        app, ["export", "logistic-hours-pass", "--set", "epochs=5", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote {out}; run it with `python {out}`"
    assert "Run it with `python hours.py`" in out.read_text()  # the name it was given
    run = subprocess.run(
        [sys.executable, "-I", str(out)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert lines[0].startswith("epoch 1/5  train_loss ") and "val_accuracy" in lines[0]
    assert lines[-2] == "completed: trained 5 epochs"
    assert lines[-1].startswith("train_loss ") and "test_accuracy" in lines[-1]


def test_refusals_are_one_line(shipped, fresh_cli):
    from lab.cli import app

    runner = CliRunner()
    cases = {
        ("export", "no-such-thing"): "lab export: no experiment 'no-such-thing'",
        ("export", "digits-named-mlp", "--set", "lr=5"): "lab export: lr must be between",
        ("export", "cost-sweep"): "lab export: cost-sweep is a scripted demonstration",
    }
    for args, start in cases.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and result.output.startswith(start), result.output


def test_scripted_demonstrations_are_refused_by_the_function_too(shipped):
    with pytest.raises(ExportError, match="stratified-split is a scripted demonstration"):
        export_script(build_run_spec(shipped.experiment("stratified-split")))


def test_only_what_trains_no_model_is_refused_as_training_nothing(shipped):
    """save-resume, tabular-prep and the pipeline train; their refusal said they did not."""
    said = {}
    for entry in shipped.experiments():
        if entry.experiment.scripted is None:
            continue  # `train:` experiments all export (a test above)
        with contextlib.suppress(ExportError):
            export_script(build_run_spec(entry))
            continue
        with pytest.raises(ExportError) as refused:
            export_script(build_run_spec(entry))
        said[entry.experiment.id] = str(refused.value)
    training_nothing = {name for name, text in said.items() if "trains nothing" in text}
    assert training_nothing == {
        "tensor-tour",
        "views-and-copies",
        "cost-sweep",
        "dataloader-shapes",
        "stratified-split",
    }
    assert "has no export script yet" in said["digits-save-resume"]


@pytest.mark.parametrize("name", ["gradient-accumulation", "freeze-layers"])
def test_the_side_by_side_comparisons_are_refused_without_saying_they_train_nothing(shipped, name):
    with pytest.raises(ExportError, match=f"{name} trains two copies of one model side by side"):
        export_script(build_run_spec(shipped.experiment(name)))


def test_fine_tune_is_refused_as_what_it_is(shipped):
    """It trains, so "a demonstration that trains nothing" would be wrong."""
    with pytest.raises(ExportError, match="fine-tune compares three trainings") as refused:
        export_script(build_run_spec(shipped.experiment("fine-tune")))
    assert "trains nothing" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("manual-gd", {}),
        ("autograd", {}),
        ("batch-modes", {"epochs": "5"}),
        ("manual-vs-adam", {"steps": "50"}),
        ("covariate-shift", {"epochs": "3", "pixels": "2"}),
    ],
)
def test_scripted_experiments_that_train_export_their_own_code(shipped, tmp_path, name, settings):
    run_spec = build_run_spec(shipped.experiment(name), settings)
    done = list(run_events(run_spec, lambda: False))[-1]
    text = export_script(run_spec)
    path = tmp_path / f"{name.replace('-', '_')}.py"
    path.write_text(text)
    final = runpy.run_path(str(path), run_name="__main__")["final"]
    assert sorted(final) == sorted(done.metrics)
    assert max(abs(final[k] - v) for k, v in done.metrics.items()) <= TOLERANCE
    assert imported_modules(text) <= ALLOWED_IMPORTS
    assert ruff(RUFF_CHECK, text).returncode == 0, ruff(RUFF_CHECK, text).stdout


def test_scripts_are_formatted_even_where_ruff_is_not_installed(shipped):
    """A learner's install has no ruff: the templates themselves are written as ruff formats."""
    from unittest import mock

    from lab.export import script

    checked = 0
    for entry in shipped.experiments():
        for distributed in (False, True):
            run_spec = build_run_spec(entry)
            try:
                with mock.patch.object(script, "find_ruff", lambda: None):
                    raw = export_script(run_spec, distributed=distributed)
            except ExportError:
                continue
            assert ruff(RUFF_FORMAT, raw).stdout == raw, (entry.experiment.id, distributed)
            checked += 1
    assert checked >= 27  # 11 training experiments twice, ddp-digits, 4 scripted ones


def test_early_stopping_restores_the_best_weights_when_the_epochs_run_out(
    shipped, tmp_path, capsys
):
    """The engine ends on the best epoch's weights whether patience ran out or the epochs did;
    so does the script (12 epochs: moons's best is epoch 10, patience 5 never runs out). The
    script runs in this process (as its own process: the test above)."""
    run_spec = build_run_spec(shipped.experiment("early-stopping-moons"), epochs=12)
    events = list(run_events(run_spec, lambda: False))
    logs = [e.text for e in events if type(e).__name__ == "Log"]
    assert any(text.startswith("restored epoch 10's weights") for text in logs), logs
    path = tmp_path / "moons.py"
    path.write_text(export_script(run_spec))
    capsys.readouterr()
    runpy.run_path(str(path), run_name="__main__")
    lines = capsys.readouterr().out.strip().splitlines()
    assert "restored epoch 10's weights, the best of the run" in lines
    assert lines[-2] == "completed: trained 12 epochs"
    words = lines[-1].split()
    final = {k: float(v) for k, v in zip(words[::2], words[1::2], strict=True)}
    assert sorted(final) == sorted(events[-1].metrics)
    assert max(abs(final[k] - v) for k, v in events[-1].metrics.items()) <= TOLERANCE


def test_the_scripts_epoch_train_loss_is_the_engines_when_the_last_batch_is_short(tmp_path):
    """Both weigh each sample of the epoch equally: 3 samples in batches of 2 (one short)."""
    from lab.catalog.runspec import RunSpec
    from lab.engine.events import EpochEnd
    from tests.engine.conftest import short_last_batch, train_run

    run_spec = RunSpec.model_validate(train_run(short_last_batch()))
    last_epoch = [e for e in run_events(run_spec, lambda: False) if isinstance(e, EpochEnd)][-1]
    path = tmp_path / "tiny.py"
    path.write_text(export_script(run_spec))
    script = runpy.run_path(str(path), run_name="__main__")
    assert script["metrics"]["train_loss"] == last_epoch.metrics["train_loss"]
