"""Provides `Checker`: the learner's file checked in a child of a warm process, never in this one.

No torch here. `Checker()` starts a fork server (`lab.proc.forkserver`, prepared by
`lab.exercises.check_server`) at once; it imports torch while the learner reads the task, then
forks a child per check, so a check after a save takes a fraction of a second. The checker
gives the child its request, keeps what it prints (capped), and at the time limit asks it where
the learner's code is, then ends it and everything it started. Also `read_source`, which turns
an unreadable file into one message.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import selectors
import signal
import threading
import time
from pathlib import Path
from typing import Protocol

from lab.catalog.exercise_schema import Exercise
from lab.exercises.check_server import (  # it imports torch only in its process
    CHECKER_BUG,
    ENV,
    WHERE_SIGNAL,
)
from lab.exercises.result import CheckOutcome, Result
from lab.proc.child import kill_group
from lab.proc.forkclient import ForkedProcess, ForkServer, ForkServerError, StartCancelled

MAX_SOURCE_BYTES = 1_000_000
OUTPUT_CAP = 8_000
"""Bytes of the learner's printed output kept; the rest is counted, not kept."""
OUTPUT_LINES = 20
"""Lines of the learner's printed output shown: the verdict after them stays on the screen."""
WHERE_WAIT_S = 0.5
"""How long the checker waits for a check at its time limit to say where its code is."""


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


class ExerciseChecker(Protocol):
    """What checks a learner's file against an exercise: `Checker`, or a test's fake."""

    def check(self, exercise: Exercise, path: Path, source: str | None = None) -> Result:
        """Check the file at `path` (or `source`, shown as that path); never raises."""
        ...

    def close(self) -> None:
        """End what checks (a check going on ends with it)."""
        ...


class Checker:
    """One warm checking server (an `ExerciseChecker`); `check` may be called from any thread,
    one check at a time."""

    def __init__(self, python: str = "", start: bool = True, one_check: bool = False) -> None:
        """`one_check`: the server is for one check (`lab check`), and skips warming up for
        the checks after it."""
        self._python = python
        self._prepare = "prepare_one" if one_check else "prepare"
        self._lock = threading.Lock()
        self._server: ForkServer | None = None
        self._closed = False
        if start:
            self._server = self._start()

    def _start(self) -> ForkServer:
        return ForkServer(
            f"lab.exercises.check_server:{self._prepare}",
            "lab.exercises.check_server:main",
            env=ENV,
            python=self._python,
        )

    @property
    def pid(self) -> int | None:
        """The server's process id (None once closed)."""
        return self._server.process.pid if self._server else None

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
        }
        with self._lock:
            try:
                child = self._fork()
            except StartCancelled:
                child = None
            except ForkServerError as exc:
                return Result(
                    error=f"the checking process could not run: {exc}",
                    seconds=time.monotonic() - started,
                )
            messages = collect(child, request, exercise.time_limit) if child else []
        # closed meanwhile (the app is quitting): its check was ended
        result = Result(error="checking was stopped") if self._closed else assemble(messages)
        result.seconds = time.monotonic() - started
        return result

    def _fork(self) -> ForkedProcess | None:
        """A child of the server (a new server if the last one ended); None once closed."""
        for attempt in (1, 2):
            server = self._server
            if self._closed:
                return None
            if server is None or not server.alive:
                server = self._server = self._start()
            try:
                return server.fork(lambda: self._closed, group=True)
            except ForkServerError:
                if self._closed:
                    return None
                if attempt == 2:
                    tail = "".join(server.stderr).strip().splitlines()[-3:]
                    raise ForkServerError(" / ".join(tail) or str(server.failure)) from None
                server.close()
        return None

    def close(self) -> None:
        """End the checking server; a check going on ends with it."""
        self._closed = True
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def collect(child: ForkedProcess, request: dict, time_limit: float) -> list[dict]:
    """Give `child` its request and read its messages until it ends or `time_limit` seconds
    pass; then end it and its process group. The last message is the `end`: how it ended, what
    it printed and, at the time limit, where the learner's code was."""
    with contextlib.suppress(OSError, ValueError):
        assert child.stdin is not None
        child.stdin.write(json.dumps(request) + "\n")
        child.stdin.close()
    assert child.stdout is not None and child.stderr is not None
    deadline = time.monotonic() + time_limit
    messages: list[dict] = []
    output = bytearray()
    seen = lines = 0
    pending = b""
    finished = timed_out = ended = False
    selector = selectors.DefaultSelector()
    selector.register(child.stdout.fileno(), selectors.EVENT_READ, "result")
    selector.register(child.stderr.fileno(), selectors.EVENT_READ, "output")
    open_fds = 2
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready = selector.select(timeout=0 if ended else min(left, 0.05))
        if not ready:
            if ended:  # and what it wrote is read: what still holds its pipes is not it
                break
            ended = child.poll() is not None
        for key, _ in ready:
            data = os.read(key.fd, 65536)
            if not data:
                selector.unregister(key.fd)
                open_fds -= 1
            elif key.data == "output":
                seen += len(data)
                lines += data.count(b"\n")
                output += data[: max(0, OUTPUT_CAP - len(output))]
            else:
                pending += data
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    with contextlib.suppress(ValueError):
                        message = json.loads(line)
                        if message.get("finished"):
                            finished = True
                        else:
                            messages.append(message)
    selector.close()
    where = _where(child, request) if timed_out else []
    kill_group(child.pid)  # the child, and whatever the learner's code started
    code = child.wait()
    kill_group(child.pid)
    child.stdout.close()
    child.stderr.close()
    if output and not output.endswith(b"\n"):
        lines += 1
    messages.append(
        {
            "end": True,
            "finished": finished,
            "timed_out": timed_out,
            "time_limit": time_limit,
            "where": where,
            "exit": code,
            "output": output.decode("utf-8", errors="replace"),
            "output_bytes": seen,
            "output_lines": lines,
        }
    )
    return messages


_FRAME = re.compile(rb'^\s*File "(.*)", line (\d+) in (.*)$')


def _where(child: ForkedProcess, request: dict) -> list[list]:
    """The learner's frames the child is in, outermost first: [[line, function, text], ...]
    (empty if it does not say within WHERE_WAIT_S)."""
    assert child.stdout is not None
    with contextlib.suppress(OSError):
        child.send_signal(WHERE_SIGNAL)
    dump = b""
    deadline = time.monotonic() + WHERE_WAIT_S
    while (left := deadline - time.monotonic()) > 0:
        # the dump comes in a few writes: read until it pauses
        ready, _, _ = select.select([child.stdout], [], [], min(left, 0.1) if dump else left)
        data = os.read(child.stdout.fileno(), 65536) if ready else b""
        if not data:
            break
        dump += data
    path = os.fsencode(request.get("path", ""))
    source = request.get("source", "").splitlines()
    frames = []
    for block in dump.split(b"\n\n"):  # one block per thread; the learner's code is in one
        for line in block.splitlines():
            match = _FRAME.match(line)
            if match and match.group(1) == path:
                number = int(match.group(2))
                text = source[number - 1].strip() if 0 < number <= len(source) else ""
                frames.append([number, match.group(3).decode(errors="replace"), text])
        if frames:
            break
    return frames[::-1]


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
