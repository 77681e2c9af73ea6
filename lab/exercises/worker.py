"""Provides `python -m lab.exercises.worker`: a checking server that forks one child per check.

It imports torch once, then reads requests (JSON lines on stdin) and answers each with JSON
lines on stdout: what the child reports (`running`, `check`, `error`), then one `end` with how
the child ended and what it printed. The child runs the learner's code with stdin closed, its
output captured and capped, its address space limited and a time limit: a learner's infinite
loop, 10 GB allocation or `os._exit(1)` ends the child, never this server. It ends when its
stdin closes (the app or CLI is gone).
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import re
import resource
import select
import selectors
import signal
import sys
import time

from lab.exercises.reaper import become_subreaper, end_descendants

OUTPUT_CAP = 8_000
"""Bytes of the learner's printed output kept; the rest is counted, not kept."""
CHECKER_BUG = 70
"""The exit code of a child whose checking itself failed (its traceback is in the output)."""
WHERE_SIGNAL = signal.SIGUSR1
"""Sent to a check at its time limit: the child writes where its code is, then is killed."""
WHERE_WAIT_S = 0.5
MEMORY_CAP = 2 * 1000**3
"""Memory a check may allocate beyond what the process holds already (and never more than is
free): an exercise needs megabytes; a mistake that asks for gigabytes fails fast and cleanly."""


def memory_allowance() -> int:
    from lab.engine.memory import cpu_available

    free = cpu_available()
    return min(MEMORY_CAP, int(free * 0.8)) if free else MEMORY_CAP


def _address_space() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def warm_up() -> None:
    """Run the kinds of work checks do once here, so that every child starts warm."""
    import torch

    torch.set_num_threads(1)  # exercises are tiny; one thread also keeps fork safe
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = torch.nn.functional.mse_loss(model(torch.randn(4, 3)), torch.randn(4, 1))
    opt.zero_grad()
    loss.backward()
    opt.step()


def _die_with_parent() -> None:
    """Linux: the kernel kills this child if the server dies (killed mid-check by its client)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def child(request: dict, result_fd: int, output_fd: int, stack_fd: int, allowance: int) -> None:
    """In the forked child: close what is not ours, limit it, judge, report on result_fd."""
    os.setpgid(0, 0)  # whatever the learner's code starts is killed with it
    _die_with_parent()
    # at the time limit the server asks where the code is: a dump of the Python stacks, written
    # from C, so it comes even from inside a long library call
    faulthandler.register(WHERE_SIGNAL, file=os.fdopen(stack_fd, "w"), all_threads=True)
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
        signal.signal(sig, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, errors="replace", closefd=False)  # noqa: SIM115
    if allowance:
        limit = _address_space() + allowance
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    folder = os.path.dirname(request.get("path", ""))
    if folder and os.path.isdir(folder):
        os.chdir(folder)  # a learner's relative path means "beside my file"
    results = open(result_fd, "w", buffering=1, encoding="utf-8")  # noqa: SIM115
    from lab.exercises.judge import judge

    def emit(data: dict) -> None:
        results.write(json.dumps(data) + "\n")
        results.flush()

    judge(request, emit)
    emit({"finished": True})


def handle(request: dict, emit, allowance: int, protocol_fd: int) -> None:
    time_limit = float(request.get("time_limit", 10))
    result_r, result_w = os.pipe()
    output_r, output_w = os.pipe()
    stack_r, stack_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(result_r)
            os.close(output_r)
            os.close(stack_r)
            os.close(protocol_fd)
            child(request, result_w, output_w, stack_w, allowance)
        except BaseException:  # noqa: BLE001 - report and end the child, never return
            import traceback

            traceback.print_exc()  # into the captured output, shown with "the checker failed"
            code = CHECKER_BUG
        finally:
            os._exit(code)
    os.close(result_w)
    os.close(output_w)
    os.close(stack_w)
    deadline = time.monotonic() + time_limit
    output = bytearray()
    seen = lines = 0
    pending = b""
    finished = timed_out = False
    status = None
    sel = selectors.DefaultSelector()
    sel.register(result_r, selectors.EVENT_READ, "result")
    sel.register(output_r, selectors.EVENT_READ, "output")
    open_fds = 2
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready = sel.select(timeout=min(left, 0.05))
        for key, _ in ready:
            data = os.read(key.fd, 65536)
            if not data:
                sel.unregister(key.fd)
                open_fds -= 1
                continue
            if key.data == "output":
                seen += len(data)
                lines += data.count(b"\n")
                if len(output) < OUTPUT_CAP:
                    output += data[: OUTPUT_CAP - len(output)]
                continue
            pending += data
            *complete, pending = pending.split(b"\n")
            for line in complete:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if message.get("finished"):
                    finished = True
                else:
                    emit(message)
        if not ready and status is None:
            # the child may be gone while something it started holds the pipes open
            done, status_now = os.waitpid(pid, os.WNOHANG)
            if done:
                status = status_now
                open_fds = 0 if not sel.select(timeout=0) else open_fds
    sel.close()
    where: list = []
    if timed_out:
        where = _where(pid, stack_r, request)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    _kill_group(pid)
    if status is None:
        _, status = os.waitpid(pid, 0)
    _kill_group(pid)  # whatever the learner's code started goes too
    end_descendants()  # and what left the group (setsid) to live on
    for fd in (result_r, output_r, stack_r):
        os.close(fd)
    if output and not output.endswith(b"\n"):
        lines += 1
    emit(
        {
            "end": True,
            "finished": finished,
            "timed_out": timed_out,
            "time_limit": time_limit,
            "where": where,
            "exit": os.waitstatus_to_exitcode(status),
            "output": output.decode("utf-8", errors="replace"),
            "output_bytes": seen,
            "output_lines": lines,
        }
    )


_FRAME = re.compile(rb'^\s*File "(.*)", line (\d+) in (.*)$')


def _where(pid: int, stack_r: int, request: dict) -> list[list]:
    """The learner's frames the child is in, outermost first: [[line, function, text], ...]."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, WHERE_SIGNAL)
    dump = b""
    deadline = time.monotonic() + WHERE_WAIT_S
    while (left := deadline - time.monotonic()) > 0:
        # the dump comes in a few writes: read until it pauses
        ready, _, _ = select.select([stack_r], [], [], min(left, 0.1) if dump else left)
        if not ready:
            break
        data = os.read(stack_r, 65536)
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


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def main() -> int:
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # exercises check on the CPU: same numbers everywhere
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c in a terminal reaches the parent
    become_subreaper()  # what a check's code leaves running comes back here to be ended
    out_fd = os.dup(sys.stdout.fileno())
    out = open(out_fd, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
    sys.stdout = sys.stderr

    def emit(data: dict) -> None:
        out.write(json.dumps(data) + "\n")
        out.flush()

    warm_up()
    import lab.exercises.judge  # noqa: F401 - children inherit it imported

    allowance = memory_allowance()
    emit({"ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as exc:
            emit({"end": True, "finished": False, "error": f"bad request: {exc}"})
            continue
        handle(request, emit, allowance, out_fd)
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except (BrokenPipeError, KeyboardInterrupt):
        code = 0
    os._exit(code)
