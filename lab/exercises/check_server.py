"""Provides the exercise check server's two halves, run by a fork server (`lab.proc.forkserver`):
`prepare()`, once, and `main()`, in a child forked per check.

The server imports torch and the judge once, so every check starts warm. A check's child reads
its request (one JSON line) on stdin, then runs the learner's code with stdin empty, its
printed output going to stderr (captured and capped by the checker), its address space limited:
a learner's 10 GB allocation or `os._exit(1)` ends the child, never the server. It reports on
stdout as JSON lines: `running`, `check`, `error`, then `finished` once judged. The checker
(`lab.exercises.checker`) holds the time limit and kills the child's process group; at the
limit it first sends WHERE_SIGNAL, on which the child writes its Python stacks to stdout.
"""

from __future__ import annotations

import faulthandler
import json
import os
import resource
import signal
import sys

CHECKER_BUG = 70
"""The exit code of a child whose checking itself failed (its traceback is in the output)."""
MEMORY_CAP = 2 * 1000**3
"""Memory a check may allocate beyond what the process holds already (and never more than is
free): an exercise needs megabytes; a mistake that asks for gigabytes fails fast and cleanly."""
WHERE_SIGNAL = signal.SIGUSR1
"""Sent to a check at its time limit: the child writes where its code is, then is killed."""
ENV = {"CUDA_VISIBLE_DEVICES": ""}
"""The server's and its children's environment beyond the app's: checks run on the CPU, with
the same numbers everywhere."""

_allowance = 0  # set by prepare(), inherited by every child


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


def prepare() -> dict:
    """Run the kinds of work checks do once here, so that every child starts warm (an
    optimizer's first construction alone imports a good part of torch, about 1 s)."""
    import torch

    settings = prepare_one()
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = torch.nn.functional.mse_loss(model(torch.randn(4, 3)), torch.randn(4, 1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return settings


def prepare_one() -> dict:
    """For one check (`lab check`): torch and the judge, no rehearsal, so that the child pays
    only for what the learner's code uses."""
    global _allowance
    import torch

    torch.set_num_threads(1)  # exercises are tiny; one thread also keeps fork safe
    import lab.exercises.judge  # noqa: F401 - children inherit it imported

    _allowance = memory_allowance()
    return {"allowance": _allowance}


def main() -> int:
    """In the forked child: read the request, limit the child, judge, report on stdout."""
    try:
        _check(json.loads(sys.stdin.readline()))
    except BaseException:  # noqa: BLE001 - report and end the child
        import traceback

        traceback.print_exc()  # into the captured output, shown with "the checker failed"
        return CHECKER_BUG
    return 0


def _check(request: dict) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
        signal.signal(sig, signal.SIG_DFL)
    results = open(os.dup(1), "w", buffering=1, encoding="utf-8")  # noqa: SIM115
    # where the code is, asked at the time limit: a dump of the Python stacks, written from C,
    # so it comes even from inside a long library call
    faulthandler.register(WHERE_SIGNAL, file=results, all_threads=True)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # what the learner's code prints is output, beside its errors
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, errors="replace", closefd=False)  # noqa: SIM115
    if _allowance:
        limit = _address_space() + _allowance
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    folder = os.path.dirname(request.get("path", ""))
    if folder and os.path.isdir(folder):
        os.chdir(folder)  # a learner's relative path means "beside my file"
    from lab.exercises.judge import judge

    def emit(data: dict) -> None:
        results.write(json.dumps(data) + "\n")
        results.flush()

    judge(request, emit)
    emit({"finished": True})
