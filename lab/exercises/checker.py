"""Provides `Checker`: the learner's file checked in a warm worker process, never in this one.

No torch here. `Checker()` starts `python -m lab.exercises.worker` at once; it imports torch
while the learner reads the task, then forks a child per check, so a check after a save takes
a fraction of a second. Also `read_source`, which turns an unreadable file into one message.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from lab.catalog.exercise_schema import Exercise
from lab.exercises.result import CheckOutcome, Result
from lab.exercises.worker import CHECKER_BUG  # the module imports torch only when it runs

_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding the `lab` package
MAX_SOURCE_BYTES = 1_000_000
OUTPUT_LINES = 20
"""Lines of the learner's printed output shown: the verdict after them stays on the screen."""


class SourceError(Exception):
    """The learner's file cannot be read as Python text; `str()` says why in one line."""


def read_source(path: Path) -> str:
    """The file's text; SourceError for a missing, unreadable, huge or non-UTF-8 file."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist") from None
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"{path.name} is over 1 MB: an exercise needs a few lines")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{path.name} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}): "
            "save it as UTF-8 in your editor"
        ) from None


class CheckerDied(Exception):
    pass


class Checker:
    """One warm checking process; `check` may be called from any thread, one check at a time."""

    def __init__(self, python: str = sys.executable, start: bool = True):
        self._python = python
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=30)
        self._closed = False
        if start:
            self._spawn()

    def _spawn(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        self._process = subprocess.Popen(
            [self._python, "-m", "lab.exercises.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
            start_new_session=True,  # ctrl+c in the terminal is for `lab`, not for the checker
        )
        self._stderr.clear()
        threading.Thread(target=self._drain, args=(self._process,), daemon=True).start()

    def _drain(self, process: subprocess.Popen) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self._stderr.append(line)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def check(self, exercise: Exercise, path: Path, source: str | None = None) -> Result:
        """Check the file at `path` (or `source`, shown as that path) against the exercise."""
        started = time.monotonic()
        if source is None:
            try:
                source = read_source(path)
            except SourceError as exc:
                return Result(error=str(exc), seconds=time.monotonic() - started)
        request = {
            "exercise": exercise.model_dump(mode="json", by_alias=True, exclude_unset=True),
            "path": str(path),
            "source": source,
            "time_limit": exercise.time_limit,
        }
        with self._lock:
            for attempt in (1, 2):
                if self._closed:  # closed meanwhile (the app is quitting): start nothing
                    return Result(error="checking was stopped", seconds=time.monotonic() - started)
                if self._process is None or self._process.poll() is not None:
                    self._spawn()
                try:
                    messages = self._ask(request)
                    break
                except CheckerDied:
                    if attempt == 2:
                        tail = "".join(self._stderr).strip().splitlines()[-3:]
                        detail = f": {' / '.join(tail)}" if tail else ""
                        return Result(
                            error=f"the checking process could not run{detail}",
                            seconds=time.monotonic() - started,
                        )
                    self._kill()
        result = assemble(messages)
        result.seconds = time.monotonic() - started
        return result

    def _ask(self, request: dict) -> list[dict]:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise CheckerDied from None
        messages = []
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("ready"):
                continue
            messages.append(message)
            if message.get("end"):
                return messages
        raise CheckerDied

    def close(self) -> None:
        """End the checking process (closing its stdin ends it; a kill if it lingers)."""
        self._closed = True
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if process.stdin:
                process.stdin.close()
        try:
            process.wait(2)
        except subprocess.TimeoutExpired:
            _kill(process)

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            _kill(process)

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, OSError):
        process.send_signal(signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(2)


def assemble(messages: list[dict]) -> Result:
    """The worker's messages for one check -> a Result with one message per problem."""
    result = Result()
    running = None
    running_index = -1
    end: dict = {}
    for message in messages:
        if "error" in message and not message.get("end"):
            result.error = message["error"]
        elif "check" in message:
            result.checks.append(
                CheckOutcome(
                    message["name"], bool(message["passed"]), message["message"], message["check"]
                )
            )
            running = None
        elif "running" in message:
            running, running_index = message["name"], message["running"]
        elif message.get("end"):
            end = message
    result.output = _output(end)
    if end.get("finished") or result.error:
        return result
    if end.get("timed_out"):
        text, stack = _still_running(end)
        if running:
            result.checks.append(CheckOutcome(running, False, text + stack, running_index))
            result.error = f"{running}: {text}"
        else:
            result.error = f"your file was {text} while loading{stack}"
        return result
    code = end.get("exit")
    if end.get("error"):
        result.error = f"the checker failed: {end['error']}"
    elif code == CHECKER_BUG:
        last = [line for line in result.output.splitlines() if line.strip()][-1:]
        detail = f": {last[0].strip()}" if last else ""
        result.error = f"the checker itself failed (a bug in lab, not in your code){detail}"
    elif isinstance(code, int) and code < 0:
        if -code == signal.SIGKILL:
            result.error = "the check was killed: did it use far too much memory?"
        else:
            result.error = f"the check crashed ({_signal_name(-code)})"
    else:
        where = f" while checking {running}" if running else " while loading your file"
        result.error = (
            f"your code ended the checking process{where} (exit code {code}): "
            "the checks call your functions, so leave out exit(), sys.exit() and os._exit()"
        )
    return result


def _still_running(end: dict) -> tuple[str, str]:
    """("still running after 10 s at line 7", its call stack in the learner's file)."""
    limit = float(end.get("time_limit", 0))
    where = end.get("where") or []
    text = f"still running after {limit:g} s"
    if not where:
        return text + " (slow, or a loop that never ends)", ""
    text += f" at line {where[-1][0]}"
    stack = "".join(
        f"\n  line {line}, in {function}" + (f"\n    {code}" if code else "")
        for line, function, code in where[-6:]
    )
    return text, ":" + stack


def _output(end: dict) -> str:
    """What the learner's code printed: its first OUTPUT_LINES lines, and how much was left."""
    text = end.get("output", "")
    lines = text.splitlines()
    total_lines = int(end.get("output_lines", len(lines)))
    if total_lines > OUTPUT_LINES:
        kept = "\n".join(lines[:OUTPUT_LINES])
        return f"{kept}\n… {total_lines - OUTPUT_LINES:,} more lines not shown"
    total = int(end.get("output_bytes", 0))
    kept_bytes = len(text.encode("utf-8", errors="replace"))
    if total > kept_bytes:
        text += f"\n… {total - kept_bytes:,} more bytes of output not shown"
    return text


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
