"""`lab submit` and `lab class report`: a learner's snapshot into the class folder, and one row
per learner named by the file's owner, with who is stuck; a damaged file is its own row."""

from __future__ import annotations

import json
import os
import pwd
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.catalog import load_catalog
from lab.classroom.report import read_class
from lab.classroom.snapshot import snapshot
from lab.cli import app, state

FIXTURES = Path(__file__).parents[1] / "fixtures" / "good"
NOW = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)
runner = CliRunner()


def lab(*args: str):
    state._catalog = None
    return runner.invoke(app, ["--lessons", str(FIXTURES), *args])


def _me() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def _snapshot(store, *, failing_since: timedelta | None = None, wrong: int = 0) -> dict:
    catalog = load_catalog([FIXTURES])
    store.mark_read("gd-example", NOW - timedelta(days=1))
    if failing_since is not None:
        store.record_exercise("gd-example-fit", "gd-example", False, NOW - failing_since)
    else:
        store.record_exercise("gd-example-fit", "gd-example", True, NOW - timedelta(hours=2))
    questions = [q.id for q in catalog.lesson("gd-example").quiz]
    for i, qid in enumerate(questions[:4]):
        store.record_answer(qid, "gd-example", i >= wrong, "x", 1 if i < wrong else 3, NOW)
    return snapshot(catalog, store, NOW)


def test_submit_writes_the_snapshot_readable_by_the_group_and_nothing_else(store, tmp_path):
    store.mark_read("gd-example")
    store.record_answer("gd-ex-direction", "gd-example", True, "my secret answer", 3)
    folder = tmp_path / "class"
    folder.mkdir()
    result = lab("submit", "--to", str(folder))
    assert result.exit_code == 0, result.output
    written = folder / f"{_me()}.json"
    assert stat.S_IMODE(written.stat().st_mode) == 0o640
    data = json.loads(written.read_text())
    assert data["learner"] == _me() and "gd-example" in data["lessons_read"]
    assert "my secret answer" not in written.read_text()  # the answers' text stays home
    assert [f.name for f in folder.iterdir()] == [written.name]  # no temporary file left
    again = lab("submit", "--to", str(folder))
    assert again.exit_code == 0 and [f.name for f in folder.iterdir()] == [written.name]


def test_submit_without_a_folder_says_how_to_give_one(store):
    result = lab("submit")
    assert result.exit_code == 1
    assert "no class folder: pass --to DIR, or set [class] folder" in result.output


@pytest.mark.skipif(os.geteuid() != 0, reason="gives files to other users (root only)")
def test_report_of_three_learners_one_stuck_one_damaged(store, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    stuck = folder / "me.json"
    stuck.write_text(json.dumps(_snapshot(store, failing_since=timedelta(days=3), wrong=3)))
    other = pwd.getpwnam("daemon")
    fine = folder / "daemon.json"
    data = json.loads(stuck.read_text())
    data.update(learner="daemon", exercises=[], lessons=[], last_active=NOW.isoformat())
    fine.write_text(json.dumps(data))
    os.chown(fine, other.pw_uid, other.pw_gid)
    damaged = folder / "bin.json"
    damaged.write_text(stuck.read_text()[:200])  # half-written
    os.chown(damaged, pwd.getpwnam("bin").pw_uid, -1)

    rows = {row.learner: row for row in read_class(folder, now=NOW)}
    assert set(rows) == {_me(), "daemon", "bin"}
    me = rows[_me()]
    assert "gd-example-fit failing for 3 days" in me.flags
    assert any(f.startswith("low recall in gd-example") for f in me.flags), me.flags
    assert rows["daemon"].flags == [] and rows["daemon"].lessons_read == 1
    assert rows["bin"].flags[0].startswith("damaged file: not JSON (line 1")

    result = lab("class", "report", str(folder), "--sort", "stuck")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "learner",
        "active",
        "read",
        "recall",
        "done",
        "failing",
        "predicted",
        "runs",
    ], result.output
    assert [line.split()[0] for line in lines[2:5]] == ["bin", _me(), "daemon"], result.output
    assert "3 learners; 2 with something to look at:" in result.output
    assert f"  {_me()}: gd-example-fit failing for " in result.output
    as_csv = lab("class", "report", str(folder), "--csv").output.splitlines()
    assert as_csv[0].startswith("learner,active,read") and len(as_csv) == 4


def test_a_file_claiming_another_name_is_reported_under_its_owner(store, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    data = _snapshot(store)
    data["learner"] = "alice"
    (folder / "alice.json").write_text(json.dumps(data))
    [row] = read_class(folder, now=NOW)
    assert row.learner == _me() and "file says it is 'alice'" in row.flags


def test_a_class_with_nobody_stuck_says_so_and_lists_no_one(store, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    data = _snapshot(store)
    data["last_active"] = datetime.now(timezone.utc).isoformat()
    (folder / "x.json").write_text(json.dumps(data))
    result = lab("class", "report", str(folder))
    assert result.exit_code == 0, result.output
    assert result.output.endswith("\n1 learner; none with something to look at.\n"), result.output


def test_report_of_one_lesson_counts_only_it(store, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "x.json").write_text(json.dumps(_snapshot(store, failing_since=timedelta(days=5))))
    [row] = read_class(folder, lesson="another-lesson", now=NOW)
    assert row.lessons_read == 0 and row.exercises_failing == 0 and row.mastery is None
    [row] = read_class(folder, lesson="gd-example", now=NOW)
    assert row.lessons_read == 1 and row.exercises_failing == 1


def test_on_exit_the_app_brings_the_snapshot_up_to_date(store, lab_home, tmp_path):
    from lab.cli.app_cmds import _submit_on_exit

    folder = tmp_path / "class"
    folder.mkdir()
    store.mark_read("gd-example")
    (lab_home / "config.toml").write_text(f'[class]\nfolder = "{folder}"\nsubmit = "never"\n')
    _submit_on_exit()
    assert not list(folder.iterdir())
    (lab_home / "config.toml").write_text(f'[class]\nfolder = "{folder}"\nsubmit = "on-exit"\n')
    _submit_on_exit()
    data = json.loads((folder / f"{_me()}.json").read_text())
    assert "gd-example" in data["lessons_read"]
