"""`lab exercises`, `lab exercise`, `lab check` and `lab validate` as a learner or script sees
them; the checking process is the tests' one warm checker (the CLI starts its own otherwise)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.cli import app, state
from tests.exercises.conftest import ROOT

runner = CliRunner()


class SharedChecker:
    """Stands in for `Checker()`: hands out the session's warm checker, never closes it."""

    def __init__(self, warm):
        self.warm = warm

    def __call__(self, *args, **kwargs):
        return self

    def check(self, *args, **kwargs):
        return self.warm.check(*args, **kwargs)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


@pytest.fixture(autouse=True)
def course(monkeypatch, checker):
    monkeypatch.setenv("LAB_SHIPPED_LESSONS", str(ROOT / "lessons"))
    shared = SharedChecker(checker)
    monkeypatch.setattr("lab.exercises.checker.Checker", shared)
    monkeypatch.setattr("lab.exercises.session.Checker", shared)


def lab(*args: str):
    state._catalog = None  # each invocation loads its own catalog, as a real process would
    return runner.invoke(app, list(args))


def solution_of(exercise_id: str) -> str:
    state._catalog = None
    return state.catalog().exercise(exercise_id).exercise.solution


def test_check_exit_codes_and_what_is_recorded(lab_home, tmp_path):
    unknown = lab("check", "ex-nope")
    assert unknown.exit_code == 2 and "no exercise 'ex-nope'" in unknown.stderr

    first = lab("check", "ex-mse")  # the file is made from the starter, which fails
    assert first.exit_code == 1, first.output
    assert "FAIL mse([1, 2], [1, 4])" in first.stdout
    assert "expected 2.0: did you take the mean?" in first.stdout
    mine = lab_home / "exercises" / "linear-model" / "ex-mse.py"
    assert "created" in first.stderr and mine.exists()

    mine.write_text(solution_of("ex-mse"))
    passed = lab("check", "ex-mse", "--json")
    assert passed.exit_code == 0, passed.output
    assert json.loads(passed.stdout)["passed"] is True

    listed = {r["id"]: r for r in json.loads(lab("exercises", "--json").stdout)}
    assert listed["ex-mse"] == {
        "id": "ex-mse",
        "lesson": "linear-model",
        "title": "Mean squared error by hand",
        "path": str(mine),
        "done": True,
    }
    assert listed["ex-gd-step"]["done"] is False
    progress = json.loads(lab("progress", "--json").stdout)
    assert progress["exercises"] == {"done": 1, "total": len(listed)}


def test_check_a_given_file(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(solution_of("ex-early-stopper"))
    assert lab("check", "ex-early-stopper", "--file", str(good)).exit_code == 0
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"\xff\xfe\x00")
    result = lab("check", "ex-early-stopper", "--file", str(bad))
    assert result.exit_code == 2 and "is not UTF-8 text" in result.stderr
    missing = lab("check", "ex-early-stopper", "--file", str(tmp_path / "none.py"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_a_given_file_counts_as_an_attempt(lab_home, tmp_path):
    locked = lab("exercise", "ex-gd-step", "--solution")
    assert locked.exit_code == 1
    mine = tmp_path / "gd.py"
    mine.write_text("def gd_step(w, xs, ys, lr):\n    return w\n")
    assert lab("check", "ex-gd-step", "--file", str(mine)).exit_code == 1
    shown = lab("exercise", "ex-gd-step", "--solution")
    assert shown.exit_code == 0 and "def gd_step" in shown.stdout


def test_a_failing_check_after_a_pass_says_the_exercise_stays_done(lab_home, tmp_path):
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(solution_of("ex-gd-step"))
    bad.write_text("def gd_step(w, xs, ys, lr):\n    return w\n")
    assert lab("check", "ex-gd-step", "--file", str(good)).exit_code == 0
    failed = lab("check", "ex-gd-step", "--file", str(bad))
    assert failed.exit_code == 1
    assert failed.stdout.splitlines()[-1] == (
        "ex-gd-step is still done: it passed before; this version of your file fails the checks"
    )
    listed = {r["id"]: r for r in json.loads(lab("exercises", "--json").stdout)}
    assert listed["ex-gd-step"]["done"] is True


def test_the_verdict_comes_after_a_learners_many_prints(tmp_path):
    noisy = tmp_path / "noisy.py"
    noisy.write_text(
        "for epoch in range(219):\n    print('epoch', epoch, 'loss', 1 / (epoch + 1))\n"
        + solution_of("ex-gd-step")
    )
    result = lab("check", "ex-gd-step", "--file", str(noisy))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "your code printed:"
    assert "  … 199 more lines not shown" in lines
    assert lines[-1].startswith("done: all 3 checks passed")


def test_the_solution_after_a_check_and_hints(lab_home):
    locked = lab("exercise", "ex-gd-step", "--solution")
    assert locked.exit_code == 1 and "check your own code once first" in locked.stderr
    shown = lab("exercise", "ex-gd-step")
    assert shown.exit_code == 0 and "gd_step(w, xs, ys, lr)" in shown.stdout
    assert lab("check", "ex-gd-step").exit_code == 1
    solution = lab("exercise", "ex-gd-step", "--solution")
    assert solution.exit_code == 0 and "def gd_step" in solution.stdout
    assert lab("exercise", "ex-gd-step", "--hint", "1").stdout.startswith("hint 1 of 2: ")
    assert lab("exercise", "ex-gd-step", "--hint", "9").exit_code == 1


def test_lab_exercises_of_an_unknown_lesson():
    result = lab("exercises", "no-such-lesson")
    assert result.exit_code == 2 and "no lesson 'no-such-lesson'" in result.stderr


def test_validate_runs_solutions_and_starters(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    wrong_solution = (
        (ROOT / "lessons" / "04-linear-model.yaml")
        .read_text()
        .replace(
            "      def mse(y_hat, y):\n          return ((y_hat - y) ** 2).mean()\n",
            "      def mse(y_hat, y):\n          return ((y_hat - y) ** 2).sum()\n",
        )
    )
    solved_starter = (
        (ROOT / "lessons" / "02-tensors.yaml")
        .read_text()
        .replace(
            '          """[N, C, H, W] -> [N, C*H*W]."""\n          return x\n',
            "          return x.flatten(1)\n",
        )
    )
    (pack / "04-linear-model.yaml").write_text(wrong_solution)
    (pack / "02-tensors.yaml").write_text(solved_starter)
    result = lab("validate", str(pack))
    assert result.exit_code == 1, result.output
    found = [line.split(":", 3) for line in result.stdout.splitlines()]
    assert [(Path(path).name, rest) for path, _, _, rest in found] == [
        (
            "02-tensors.yaml",
            " exercises[0].starter: the starter code passes every check: it must fail one, "
            "or there is nothing to do",
        ),
        (
            "04-linear-model.yaml",
            " exercises[0].checks[0]: the solution fails this check: your result is exactly "
            "2 times the expected one: you added up the squared differences (as "
            "`reduction='sum'` or `size_average=False` does) instead of averaging them; "
            "the task asks for the mean",
        ),
    ]
    # each points at its place in the file (the lines move as lessons are edited)
    (starter, check) = [Path(path).read_text().splitlines()[int(n) - 1] for path, n, _, _ in found]
    assert starter == "    starter: |"
    assert check == "      - call: mse"


def test_validate_reports_a_known_mistake_the_checks_do_not_tell_apart(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    text = (ROOT / "lessons" / "04-linear-model.yaml").read_text()
    harmless = text.replace(
        "      def mse(y_hat, y):\n              return ((y_hat - y) ** 2).sum()\n",
        "      def mse(y_hat, y):\n              return ((y_hat - y) ** 2).mean()\n",
    )
    assert harmless != text
    (pack / "04-linear-model.yaml").write_text(harmless)
    result = lab("validate", str(pack))
    assert result.exit_code == 1, result.output
    (line,) = result.stdout.splitlines()
    path, n, _, rest = line.split(":", 3)
    assert rest == (
        " exercises[0].misconceptions[0].solution: this variant passes every check: "
        "no check tells the mistake apart"
    )
    assert Path(path).read_text().splitlines()[int(n) - 1] == "      - solution: |"


def test_reset_asks_first_and_keeps_the_learners_file(lab_home):
    assert lab("exercise", "ex-mse").exit_code == 0
    mine = lab_home / "exercises" / "linear-model" / "ex-mse.py"
    mine.write_text("# my attempt\n")
    state._catalog = None
    refused = runner.invoke(app, ["exercise", "ex-mse", "--reset"], input="n\n")
    assert refused.exit_code == 1 and mine.read_text() == "# my attempt\n"
    done = lab("exercise", "ex-mse", "--reset", "--yes")
    assert done.exit_code == 0, done.output
    assert mine.read_text() == state.catalog().exercise("ex-mse").exercise.starter
    (backup,) = [p for p in mine.parent.iterdir() if p.name.startswith("ex-mse.bak-")]
    assert backup.read_text() == "# my attempt\n"
    assert str(backup) in done.stdout


def test_the_task_and_the_checks_wrap_to_the_terminal_keeping_code_whole(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    shown = lab("exercise", "ex-gd-step").stdout.splitlines()
    assert max(map(len, shown)) < 60, shown
    assert "`gd_step(w, xs, ys, lr)` that takes the weight `w` (a" in shown, "a span stays whole"
    assert "    cost(w) = mean over the samples of (w * x - y) ** 2" in shown, (
        "code keeps its place"
    )
    checked = lab("check", "ex-gd-step").stdout.splitlines()
    assert max(map(len, checked)) < 60, checked
    message = checked[checked.index("FAIL gd_step(1.0, [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.1)") + 1]
    assert message.startswith("     gd_step(1.0, [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.1)")
