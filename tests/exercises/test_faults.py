"""What a learner's file can do to the checker: each ends as a readable result, the learner's
file is left as it was, and the same warm checker goes on checking."""

from __future__ import annotations

import time

import pytest

from tests.exercises.conftest import exercise

SOLVED = "import torch\ndef mse(y_hat, y):\n    return ((y_hat - y) ** 2).mean()\n"
FAULTS = {
    "an infinite loop": (
        "def mse(y_hat, y):\n    while True:\n        pass\n",
        "still running after 2 s at line",
    ),
    "a loop at import": (
        "n = 0\nwhile True:\n    n += 1\n",
        "your file was still running after 2 s at line",
    ),
    "os._exit at import": ("import os\nos._exit(1)\n", "exit code 1"),
    "os._exit in the call": (
        "import os\ndef mse(y_hat, y):\n    os._exit(3)\n",
        "exit code 3",
    ),
    "a 10 GB allocation": (
        "import torch\ndef mse(y_hat, y):\n    big = torch.ones(10 * 1000**3, dtype=torch.uint8)\n"
        "    return big.sum()\n",
        "ran out of memory",
    ),
    "a 10 GB list": ("data = bytearray(10 * 1000**3)\n", "ran out of memory"),
    "a syntax error": (
        "def mse(y_hat, y):\n    return (y_hat - y ** 2.mean()\n",
        "syntax error at line 2",
    ),
    "an exception": (
        "def mse(y_hat, y):\n    return helper(y_hat)\n",
        "line 2, in mse\n    return helper(y_hat)\nNameError: name 'helper' is not defined",
    ),
    "sys.exit at import": ("import sys\nsys.exit(0)\n", "called exit(0)"),
    "reading stdin": ("name = input()\n", "EOFError"),
}


@pytest.fixture
def quick_mse():
    return exercise("ex-mse").model_copy(update={"time_limit": 2.0})


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_ends_as_a_readable_result(checker, quick_mse, tmp_path, fault):
    source, expected = FAULTS[fault]
    path = tmp_path / "ex-mse.py"
    path.write_text(source)
    started = time.monotonic()
    result = checker.check(quick_mse, path)
    assert time.monotonic() - started < 15
    assert not result.passed
    shown = "\n".join([result.error or "", *(c.message for c in result.checks)])
    assert expected in shown, shown
    assert "Traceback" not in shown and "lab/exercises" not in shown
    assert path.read_text() == source
    # the same warm checker goes on
    assert checker.check(quick_mse, path, SOLVED).passed


def test_printing_10_mb_is_captured_and_capped(checker, quick_mse, tmp_path):
    source = "print('x' * 10_000_000)\n" + SOLVED
    path = tmp_path / "ex-mse.py"
    path.write_text(source)
    result = checker.check(quick_mse, path)
    assert result.passed
    assert len(result.output) < 10_000 and "more bytes of output not shown" in result.output


def test_a_file_that_is_not_utf8_is_named(checker, quick_mse, tmp_path):
    path = tmp_path / "ex-mse.py"
    data = "# café\n".encode("latin-1") + SOLVED.encode()
    path.write_bytes(data)
    result = checker.check(quick_mse, path)
    assert result.error == (
        "ex-mse.py is not UTF-8 text (byte 0xe9 on line 1): save it as UTF-8 in your editor"
    )
    assert path.read_bytes() == data


def test_a_missing_file_is_named(checker, quick_mse, tmp_path):
    result = checker.check(quick_mse, tmp_path / "gone.py")
    assert result.error == f"{tmp_path / 'gone.py'} does not exist"


def test_a_dead_checker_is_replaced(checker, quick_mse, tmp_path):
    import os
    import signal

    os.kill(checker.pid, signal.SIGKILL)
    time.sleep(0.2)
    assert checker.check(quick_mse, tmp_path / "x.py", SOLVED).passed


def test_a_broken_check_blames_the_lesson_not_the_learner(checker, tmp_path):
    from lab.catalog.exercise_schema import Exercise

    broken = Exercise.model_validate(
        {
            "id": "ex-broken",
            "title": "Broken",
            "task": "Write f.",
            "starter": "def f(x):\n    return x\n",
            "solution": "def f(x):\n    return undefined\n",
            "checks": [
                {"call": "f", "args": [{"tensor": [[1, 2], [3]]}], "expect": 1},
                {"call": "f", "args": [1], "same_as_solution": True},
            ],
        }
    )
    result = checker.check(broken, tmp_path / "f.py", "def f(x):\n    return x\n")
    assert result.error is None
    assert [c.passed for c in result.checks] == [False, False]
    assert all("this check is broken, not your code" in c.message for c in result.checks)


def test_closing_the_checker_mid_check_stops_it_and_starts_nothing(quick_mse, tmp_path):
    import threading

    from lab.exercises.checker import Checker

    own = Checker()
    results = []
    loop = "def mse(y_hat, y):\n    while True:\n        pass\n"
    thread = threading.Thread(target=lambda: results.append(own.check(quick_mse, tmp_path, loop)))
    thread.start()
    time.sleep(0.5)
    own.close()
    thread.join(20)
    assert results[0].error == "checking was stopped"
    assert own.pid is None


def test_at_the_time_limit_the_line_and_the_call_stack_in_the_file_are_named(
    checker, quick_mse, tmp_path
):
    source = (
        "def add_up(n):\n"
        "    total = 0\n"
        "    while True:\n"
        "        total += n\n"
        "\n"
        "def mse(y_hat, y):\n"
        "    return add_up(1)\n"
    )
    result = checker.check(quick_mse, tmp_path / "ex-mse.py", source)
    (stopped,) = result.failed_checks
    assert stopped.message.startswith("still running after 2 s at line ")
    assert "line 7, in mse\n    return add_up(1)\n  line " in stopped.message
    assert ", in add_up\n" in stopped.message
    assert result.error.startswith(f"{stopped.name}: still running after 2 s at line ")
    assert "never ends?" not in result.error


def test_a_learners_prints_are_cut_to_their_first_lines(checker, quick_mse, tmp_path):
    source = "for i in range(219):\n    print('epoch', i)\n" + SOLVED
    result = checker.check(quick_mse, tmp_path / "ex-mse.py", source)
    assert result.passed
    lines = result.output.splitlines()
    assert lines[:2] == ["epoch 0", "epoch 1"] and len(lines) == 21
    assert lines[-1] == "… 199 more lines not shown"


def test_lines_printed_beyond_the_kept_bytes_are_counted(checker, quick_mse, tmp_path):
    source = "for i in range(5000):\n    print('epoch', i)\n" + SOLVED  # 58 KB: over the cap
    result = checker.check(quick_mse, tmp_path / "ex-mse.py", source)
    assert result.output.splitlines()[-1] == "… 4,980 more lines not shown"


def test_a_process_that_leaves_the_group_does_not_outlive_the_check(checker, quick_mse, tmp_path):
    pid_file = tmp_path / "daemon.pid"
    source = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        open({str(pid_file)!r} + '.tmp', 'w').write(str(os.getpid()))\n"
        f"        os.rename({str(pid_file)!r} + '.tmp', {str(pid_file)!r})\n"
        "        time.sleep(600)\n"
        "    os._exit(0)\n"
        "while not os.path.exists(" + repr(str(pid_file)) + "):\n"
        "    time.sleep(0.01)\n" + SOLVED
    )
    started = time.monotonic()
    result = checker.check(quick_mse, tmp_path / "ex-mse.py", source)
    assert result.passed, result.error or [c.message for c in result.failed_checks]
    assert time.monotonic() - started < 2  # the daemon holding the pipes does not stall it
    daemon = int(pid_file.read_text())
    assert not _alive(daemon)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_check_that_ended_is_not_waited_on_for_the_pipes_its_leftovers_hold():
    # Where the fork server cannot adopt and end them (no subreaper: not Linux), a process the
    # check started may hold its pipes open after it ended: the checker sees it end all the same.
    import subprocess
    import sys

    from lab.exercises.checker import collect

    script = (
        "import os, sys, time\n"
        "sys.stdin.readline()\n"
        "if os.fork() == 0:\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "print('{\"finished\": true}', flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as a check's child leads
    )
    started = time.monotonic()
    (end,) = collect(child, {}, time_limit=10)
    assert time.monotonic() - started < 5
    assert end["finished"] and not end["timed_out"] and end["exit"] == 0


def test_a_checker_for_one_check_runs_code_that_builds_an_optimizer(tmp_path):
    """`lab check`'s server skips the rehearsal (an optimizer's first construction costs about
    1 s there): a learner's file that builds one pays for it in its own child, and passes."""
    from lab.exercises.checker import Checker
    from tests.exercises.conftest import SHIPPED

    ex = SHIPPED.exercise("ex-train-loop").exercise
    assert "optim" in ex.solution
    with Checker(one_check=True) as own:
        result = own.check(ex, tmp_path / "ex-train-loop.py", ex.solution)
    assert result.passed, result.error or [c.message for c in result.failed_checks]
