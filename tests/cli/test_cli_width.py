"""Every command fits an 80-column terminal (CJK measured by display width), and a pipe that
closes early ends `lab` quietly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lab.cli import app, state
from lab.store import Store
from lab.table import table
from lab.text import cell_width, labelled, pack, plural, wrap_cells

runner = CliRunner()


def lab80(*args: str):
    state._catalog = None
    result = runner.invoke(app, list(args), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


def too_wide(text: str, width: int = 80) -> list[str]:
    return [line for line in text.splitlines() if cell_width(line) > width]


def test_cell_width_counts_cjk_twice():
    assert cell_width("梯度") == 4 and cell_width("gradient") == 8 and cell_width("é") == 1
    assert all(cell_width(line) <= 9 for line in wrap_cells("梯度下降是一种优化算法", 9))


def test_pack_breaks_between_items_and_never_beside_a_separator():
    items = ["11 terms (t)", "10 questions (z)", "2 experiments (e)", "1 exercise (x)"]
    assert pack(items, 74) == [items]
    assert pack(items, 73) == [items[:3], items[3:]]
    assert pack(items, 12, " · ") == [[item] for item in items], "an item fills the row"
    assert pack(items, 34, " · ") == [items[:2], items[2:]]
    assert pack(["梯度下降", "损失"], 16) == [["梯度下降"], ["损失"]], "CJK takes two cells"
    assert pack(["梯度下降", "损失"], 17) == [["梯度下降", "损失"]]
    assert pack(["a" * 30, "b"], 10) == [["a" * 30], ["b"]], "too wide alone: its own row"
    assert pack([], 10) == []


def test_wrap_breaks_at_spaces_and_inside_names_at_underscores():
    assert wrap_cells("train_accuracy", 9) == ["train_", "accuracy"]
    assert wrap_cells("scripted:cost-sweep", 12) == ["scripted:", "cost-sweep"]
    assert wrap_cells("a b c", 80, "  ") == ["  a b c"]
    assert wrap_cells("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap_cells("ab cde_fghijk", 8) == ["ab cde_", "fghijk"], "the space before it kept"
    assert wrap_cells("set `lr = 0.1`, then", 12) == ["set", "`lr = 0.1`,", "then"], "code whole"
    assert wrap_cells("loss 0.1, train_accuracy 0.9", 22) == ["loss 0.1,", "train_accuracy 0.9"]
    assert labelled("中文:", "梯度", 40) == ["  中文:     梯度"]


def test_plural():
    assert plural(1, "experiment") == "1 experiment" and plural(0, "card") == "0 cards"
    assert plural(2, "query", "queries") == "2 queries" and plural(1200, "run") == "1,200 runs"


def test_a_table_narrows_its_widest_column_to_fit_and_keeps_rows_together():
    rows = [["1", "a title that is rather long for a narrow terminal", "scripted:cost-sweep"]]
    out = table(["#", "title", "kind"], rows, width=50)
    assert not too_wide(out, 50), out
    assert "scripted:cost-sweep" in out, "the widest column gives up its room first"
    lines = out.splitlines()
    assert lines[2].startswith("1  ") and all(line.startswith("   ") for line in lines[3:])


def test_a_narrowed_table_keeps_its_headings_words_whole_while_cells_can_wrap():
    headers = ["#", "id", "title", "terms", "questions", "experiments"]
    rows = [
        ["3", "tensor-toolkit", "The tensor toolkit", "7", "16", "1"],
        ["10", "datasets-and-dataloaders", "Data sets and data loaders", "8", "10", "2"],
    ]
    out = table(headers, rows, width=60)
    assert out.splitlines()[0].split() == headers, out
    assert not too_wide(out, 60), out
    narrowest = table(headers, rows, width=40)  # no room for the headings whole: cut, to fit
    assert not too_wide(narrowest, 40), narrowest


@pytest.mark.usefixtures("shipped_lessons")
def test_lessons_experiments_and_glossary_fit_80_columns():
    for args in (["lessons"], ["experiments"], ["glossary"], ["glossary", "梯度"]):
        out = lab80(*args)
        assert not too_wide(out), (args, too_wide(out))
    out = lab80("experiments")
    assert "scripted:" in out and "…" not in out, "the kind is wrapped, not cut"
    term = lab80("glossary", "梯度").splitlines()
    assert term[0].startswith("gradient")
    assert all(line.startswith("  ") for line in term[1:] if line), "wrapped lines keep the indent"


@pytest.mark.usefixtures("shipped_lessons")
def test_glossary_lists_translations_only_where_they_fit():
    state._catalog = None
    wide = runner.invoke(app, ["glossary"], env={"COLUMNS": "130"}).stdout
    assert "中文" in wide.splitlines()[0] and "梯度" in wide and not too_wide(wide, 130)
    assert "中文" not in lab80("glossary").splitlines()[0]


def test_runs_show_fits_80_columns(lab_home):
    with Store.open(lab_home / "lab.db") as store:
        run_id = store.start_run("digits-cnn", "cnn", {"lr": 0.001}, {"lr": 0.001}, 0, "cpu", "2.5")
        metrics = {
            "train_accuracy": 0.99,
            "train_loss": 0.05,
            "val_accuracy": 0.97,
            "val_loss": 0.1,
            "test_accuracy": 0.96,
            "test_loss": 0.12,
            "train_loss_during_epoch": 0.2,
        }
        for epoch in (1, 2):
            store.add_epoch(run_id, epoch, metrics)
        store.finish_run(run_id, "completed", "trained 2 epochs " * 8, metrics, 3.0)
    out = lab80("runs", "show", str(run_id))
    assert not too_wide(out), too_wide(out)
    assert all(name in out for name in metrics), "a name breaks only when no line holds it"
    assert "1 step loss point" not in out
    assert "0 step loss points kept" in out


def test_a_closed_pipe_ends_lab_quietly(tmp_path):
    """`lab glossary | head`: the reader goes away before lab writes; no BrokenPipeError."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte
    env = {**os.environ, "LAB_SHIPPED_LESSONS": "", "LAB_HOME": str(tmp_path)}
    env.pop("LAB_SHIPPED_LESSONS")
    proc = subprocess.run(
        [sys.executable, "-c", "from lab.launch import main; main()", "glossary"],
        stdout=write,
        stderr=subprocess.PIPE,
        env=env,
        timeout=60,
    )
    os.close(write)
    assert proc.stderr == b"", proc.stderr.decode()
    assert proc.returncode == 141


def test_a_piped_table_fits_the_terminal_it_lands_on(tmp_path):
    """`lab lessons | head` in a 60-column terminal: stdout is a pipe, but the rows still land
    on that terminal, so they fit its width rather than a fixed 80."""
    import fcntl
    import pty
    import struct
    import termios

    terminal, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 60, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LAB_SHIPPED_LESSONS")}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "from lab.launch import main; main()", "lessons"],
            stdout=subprocess.PIPE,
            stdin=side,
            stderr=side,
            env={**env, "LAB_HOME": str(tmp_path)},
            timeout=60,
        )
    finally:
        os.close(side)
        os.close(terminal)
    text = proc.stdout.decode()
    assert proc.returncode == 0 and "Tensors" in text
    assert not too_wide(text, 60), too_wide(text, 60)
