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
import json
import os
import resource
import selectors
import signal
import sys
import time

OUTPUT_CAP = 8_000
"""Bytes of the learner's printed output kept; the rest is counted, not kept."""
CHECKER_BUG = 70
"""The exit code of a child whose checking itself failed (its traceback is in the output)."""
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


def child(request: dict, result_fd: int, output_fd: int, allowance: int) -> None:
    """In the forked child: close what is not ours, limit it, judge, report on result_fd."""
    os.setpgid(0, 0)  # whatever the learner's code starts is killed with it
    _die_with_parent()
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
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(result_r)
            os.close(output_r)
            os.close(protocol_fd)
            child(request, result_w, output_w, allowance)
        except BaseException:  # noqa: BLE001 - report and end the child, never return
            import traceback

            traceback.print_exc()  # into the captured output, shown with "the checker failed"
            code = CHECKER_BUG
        finally:
            os._exit(code)
    os.close(result_w)
    os.close(output_w)
    deadline = time.monotonic() + time_limit
    output = bytearray()
    seen = 0
    pending = b""
    finished = timed_out = False
    sel = selectors.DefaultSelector()
    sel.register(result_r, selectors.EVENT_READ, "result")
    sel.register(output_r, selectors.EVENT_READ, "output")
    open_fds = 2
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        for key, _ in sel.select(timeout=left):
            data = os.read(key.fd, 65536)
            if not data:
                sel.unregister(key.fd)
                open_fds -= 1
                continue
            if key.data == "output":
                seen += len(data)
                if len(output) < OUTPUT_CAP:
                    output += data[: OUTPUT_CAP - len(output)]
                continue
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if message.get("finished"):
                    finished = True
                else:
                    emit(message)
    sel.close()
    if timed_out:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    _kill_group(pid)
    _, status = os.waitpid(pid, 0)
    _kill_group(pid)  # whatever the learner's code started goes too
    os.close(result_r)
    os.close(output_r)
    emit(
        {
            "end": True,
            "finished": finished,
            "timed_out": timed_out,
            "time_limit": time_limit,
            "exit": os.waitstatus_to_exitcode(status),
            "output": output.decode("utf-8", errors="replace"),
            "output_bytes": seen,
        }
    )


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def main() -> int:
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # exercises check on the CPU: same numbers everywhere
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c in a terminal reaches the parent
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
