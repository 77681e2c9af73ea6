"""`lab quiz --plain`, `lab progress` and `lab runs` as a learner or a script sees them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lab.cli import app, state
from lab.store import Store

GOOD = Path(__file__).parents[1] / "fixtures" / "good"
runner = CliRunner()


def lab(*args: str, input: str | None = None):
    state._catalog = None  # each invocation loads its own catalog, as a real process would
    return runner.invoke(app, ["--lessons", str(GOOD), *args], input=input)


def progress() -> dict:
    result = lab("progress", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _lesson(data: dict, lesson: str = "gd-example") -> dict:
    return next(x for x in data["lessons"] if x["id"] == lesson)


def test_plain_quiz_asks_every_kind_and_stores_each_answer():
    answers = "2\n1,3\nf\n599\n  Learning   RATE \n"
    result = lab("quiz", "--plain", "gd-example", input=answers)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "[1/5] gd-example" in out and "  1. Along the gradient" in out
    assert out.count("Right.") == 4 and "Not quite. The answer is: 600" in out
    assert "Done: 4 of 5 right (80%)." in out
    assert "To look at again:\n- 60,000 samples, batch size 100. How many iterations in one" in out
    data = progress()
    assert set(data) == {
        "reviews",
        "due",
        "next_due",
        "predictions_due",
        "lessons",
        "exercises",
        "predictions",
    }
    assert set(_lesson(data)) == {
        "id",
        "reviews",
        "due",
        "seen",
        "mastery",
        "cards",
        "cards_seen",
    }
    assert data["reviews"] == 5 and _lesson(data)["reviews"] == 5
    assert _lesson(data)["mastery"] == 0.8
    assert all(0 <= x["mastery"] <= 1 for x in data["lessons"])


def test_end_of_input_ends_cleanly_keeping_what_was_answered():
    result = lab("quiz", "--plain", "gd-example", input="2\n")
    assert result.exit_code == 0, result.output
    assert "Done: 1 of 1 right" in result.stdout
    assert "Traceback" not in result.output
    assert progress()["reviews"] == 1
    again = lab("quiz", "--plain", "gd-example", input="")
    assert "[1/4]" in again.stdout, "the answered one is not due yet; the four new ones are"


def test_a_bad_answer_is_asked_again():
    result = lab("quiz", "--plain", "gd-example", "--limit", "1", input="7\nabc\n2\n")
    assert result.exit_code == 0
    assert "7 is not a choice; choices are 1 to 3" in result.stdout
    assert "type the number of a choice, 1 to 3" in result.stdout
    assert "Done: 1 of 1 right" in result.stdout
    assert progress()["reviews"] == 1


def test_nothing_due_says_so_and_all_practises():
    lab("quiz", "--plain", "gd-example", input="2\n1,3\nf\n600\nlr\n")
    result = lab("quiz", "--plain", "gd-example", input="")
    assert result.exit_code == 0 and "Nothing due and nothing new" in result.stdout
    again = lab("quiz", "--plain", "gd-example", "--all", "--limit", "1", input="2\n")
    assert "Done: 1 of 1 right" in again.stdout
    assert progress()["reviews"] == 6


def test_plain_flashcards():
    result = lab("quiz", "--plain", "--cards", "gd-example", input="\ng\n\nmeh\na\n")
    assert result.exit_code == 0, result.output
    assert "A vector of partial derivatives." in result.stdout
    assert "grade with again, hard, good or easy" in result.stdout
    assert "2 cards reviewed; 1 to see again soon." in result.stdout
    assert progress()["reviews"] == 2
    with Store.open() as store:
        assert store.card("term:gradient").last_correct


def test_an_unknown_lesson_is_one_line_exit_2():
    result = lab("quiz", "--plain", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("lab: no lesson 'nope'.") and result.stderr.count("\n") == 1


def test_quiz_without_plain_opens_the_app(monkeypatch):
    opened = []
    import lab.cli.app_cmds as app_cmds

    monkeypatch.setattr(app_cmds, "open_app", lambda target=None: opened.append(target))
    assert lab("quiz", "gd-example").exit_code == 0
    assert lab("quiz").exit_code == 0
    assert opened == ["quiz:gd-example", "quiz"]


def test_progress_table():
    lab("quiz", "--plain", "gd-example", input="2\n")
    with Store.open() as store:
        store.mark_read("gd-example")
    result = lab("progress")
    assert result.exit_code == 0
    line = next(x for x in result.stdout.splitlines() if x.startswith("gd-example"))
    assert line.split() == ["gd-example", "yes", "1", "0", "20%"]
    assert "Mastery: expected recall now" in result.stdout


def test_progress_export_and_import(tmp_path, monkeypatch):
    lab("quiz", "--plain", "gd-example", input="2\n1,3\n")
    file = tmp_path / "backup" / "progress.json"
    result = lab("progress", "export", str(file))
    assert result.exit_code == 0, result.output
    assert "exported 2 reviews, 0 lessons read and 0 runs" in result.stdout
    data = json.loads(file.read_text())
    assert len(data["reviews"]) == 2
    printed = json.loads(lab("progress", "export").stdout)
    assert printed["reviews"] == data["reviews"]
    same = lab("progress", "import", str(file))
    assert (
        same.exit_code == 0 and "imported 0 new reviews, 0 lessons read and 0 runs" in same.stdout
    )
    (tmp_path / "home2").mkdir()
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "home2"))
    assert progress()["reviews"] == 0
    moved = lab("progress", "import", str(file))
    assert "imported 2 new reviews" in moved.stdout
    assert progress()["reviews"] == 2


def test_progress_import_of_a_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    for args in (["progress", "import", str(bad)], ["progress", "import", str(tmp_path / "none")]):
        result = lab(*args)
        assert result.exit_code == 1
        assert result.stderr.startswith("lab: ") and result.stderr.count("\n") == 1
    bad.write_text('{"format": "other"}')
    result = lab("progress", "import", str(bad))
    assert result.exit_code == 1 and "not a lab progress export" in result.stderr


def test_a_read_only_home_keeps_the_lab_usable_for_reading(lab_home, monkeypatch):
    from lab.store import files as store_files

    monkeypatch.setattr(store_files, "writable", lambda folder: False)
    result = lab("progress")
    assert result.exit_code == 1, "nothing saved yet, nothing to show"
    assert "not writable" in result.stderr and result.stderr.count("\n") == 1
    quiz = lab("quiz", "--plain", "gd-example", "--limit", "1", input="2\n")
    assert quiz.exit_code == 0 and "Done: 1 of 1 right" in quiz.stdout
    assert "answers will not be saved" in quiz.stderr
    assert lab("glossary", "gradient").exit_code == 0
    assert lab("lessons").exit_code == 0


def test_saved_progress_is_shown_read_only_when_home_is_read_only(lab_home, monkeypatch):
    lab("quiz", "--plain", "gd-example", input="2\n")
    _record_runs()
    from lab.store import files as store_files

    monkeypatch.setattr(store_files, "writable", lambda folder: False)
    result = lab("progress", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["reviews"] == 1
    assert "read-only" in result.stderr and result.stderr.count("\n") == 1
    assert "gd-example-fit" in lab("runs").stdout
    assert lab("progress", "export").exit_code == 0
    imported = lab("progress", "import", "-", input=lab("progress", "export").stdout)
    assert imported.exit_code == 1 and "not writable" in imported.stderr


def test_a_corrupt_database_is_reported_and_replaced(lab_home):
    (lab_home / "lab.db").write_bytes(b"garbage" * 200)
    result = lab("progress", "--json")
    assert result.exit_code == 0
    assert "kept as lab.db.corrupt-" in result.stderr
    assert json.loads(result.stdout)["reviews"] == 0


def _record_runs():
    with Store.open() as store:
        done = store.start_run(
            "gd-example-fit", "gd-example", {"epochs": 2}, {"lr": 0.5}, 0, "cpu", "2.5.0"
        )
        store.add_epoch(done, 1, {"train_loss": 0.5, "val_loss": 0.6})
        store.add_epoch(done, 2, {"train_loss": 0.25, "val_loss": 0.3})
        store.add_points(done, [(1, "train", 0.7), (2, "train", 0.5), (3, "train", 0.25)])
        store.finish_run(done, "completed", "", {"train_loss": 0.25, "val_loss": 0.3}, 1.25)
        bad = store.start_run("gd-example-sweep", "gd-example", {}, {}, None, "cpu", "2.5.0")
        store.finish_run(bad, "diverged", "loss became inf at step 11; try lr 0.01", {}, 0.5)
    return done, bad


def test_runs_list_show_and_export():
    assert "No runs yet" in lab("runs").stdout
    done, bad = _record_runs()
    listed = lab("runs")
    assert listed.exit_code == 0
    assert "gd-example-fit" in listed.stdout and "diverged" in listed.stdout
    only = lab("runs", "gd-example-fit", "--json")
    assert [r["id"] for r in json.loads(only.stdout)] == [done]
    shown = lab("runs", "show", str(done))
    assert shown.exit_code == 0
    assert "completed" in shown.stdout and "lr=0.5" in shown.stdout and "val_loss" in shown.stdout
    assert "loss became inf" in lab("runs", "show", str(bad)).stdout
    csv = lab("runs", "export", str(done), "--csv")
    assert csv.exit_code == 0
    assert csv.stdout.splitlines() == ["epoch,train_loss,val_loss", "1,0.5,0.6", "2,0.25,0.3"]
    points = lab("runs", "export", str(done), "--csv", "--points")
    assert points.stdout.splitlines()[:2] == ["step,series,loss", "1,train,0.7"]
    full = json.loads(lab("runs", "export", str(done), "--json").stdout)
    assert full["epochs"][1] == {"epoch": 2, "train_loss": 0.25, "val_loss": 0.3}


def test_runs_errors_are_one_line():
    for args, code in (
        (["runs", "show", "99"], 1),
        (["runs", "show", "x"], 2),
        (["runs", "show"], 2),
    ):
        result = lab(*args)
        assert result.exit_code == code, (args, result.output)
        assert result.stderr.startswith("lab: ") and result.stderr.count("\n") == 1


def test_progress_help_says_what_mastery_means():
    result = lab("progress", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Mastery is the expected recall now" in text and "counts 0" in text


def test_plain_o_overrules_a_wrong_text_answer():
    lab("quiz", "--plain", "gd-example", "--limit", "4", input="2\n1,3\nf\n600\n")
    result = lab("quiz", "--plain", "gd-example", input="step size\no\n")
    assert result.exit_code == 0, result.output
    assert "Not quite" in result.stdout and "Counted as right." in result.stdout
    assert "Done: 1 of 1 right" in result.stdout
    with Store.open() as store:
        assert store.reviews("gd-ex-name")[0]["overruled"]


def test_plain_wraps_to_the_terminal_at_word_boundaries():
    result = runner.invoke(
        app,
        ["--lessons", str(GOOD), "quiz", "--plain", "gd-example", "--limit", "4"],
        input="2\n1\nt\n600\n",
        env={"COLUMNS": "30"},
    )
    assert result.exit_code == 0, result.output
    # (a line holding an input prompt also holds what came after it: no newline was typed)
    lines = [line for line in result.stdout.splitlines() if "> " not in line]
    assert max(len(line) for line in lines) <= 29, result.stdout
    words = set(result.stdout.split())
    for word in ("60,000", "samples,", "iterations", "epoch?"):
        assert word in words, word
    assert "Done: 2 of 4 right (50%)." in result.stdout
    missed = result.stdout[result.stdout.index("To look at again:") :]
    assert "- Which can make training\n  diverge?" in missed, missed


def test_plain_reverse_cards_show_the_translation_and_each_grade_its_interval():
    result = lab(
        "quiz", "--plain", "--cards", "gd-example", "--reverse", "zh", input="\ng\n\ng\n\ng\n"
    )
    assert result.exit_code == 0, result.output
    assert "中文: 梯度" in result.stdout and "which term is it?" in result.stdout
    assert "a again (1m)  h hard (6m)  g good (10m)  e easy (8d)>" in result.stdout
    assert "3 cards reviewed." in result.stdout
    assert lab("quiz", "--plain", "--cards", "--reverse", "de").exit_code == 2


def test_progress_counts_a_missed_prediction_apart_from_the_questions_due(lab_home):
    from datetime import UTC, datetime, timedelta

    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with Store.open(lab_home / "lab.db") as store:
        store.record_answer(
            "gd-example-sweep-predict", "gd-example", False, "0", rating=1, reviewed_at=an_hour_ago
        )
    data = progress()
    assert data["due"] == 0 and data["predictions_due"] == 1
    [prediction] = data["predictions"]
    assert prediction["due_now"] is True
    shown = lab("progress").stdout
    assert "0 questions due now" in shown
    assert "1 prediction to make again: open the experiment" in shown
