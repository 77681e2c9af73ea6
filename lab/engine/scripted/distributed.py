"""Provides the data-parallel experiments: ddp-digits and ddp-batch-sizes.

The worker becomes the launcher, as torchrun's agent is: it starts one process per rank
(`python -m lab.engine.scripted.ddp_rank`) with the environment variables torchrun sets, reads
every rank's lines, and turns them into the lab's events: each rank's loss as its own series,
and the mean over the ranks as the run's `train` series. Stopping, a signal to the worker, a
rank that dies or fails: every process of the run ends (SIGTERM, then SIGKILL after 2 s), and a
rank's stdin closing ends it too, so none outlives the worker.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Generator
from typing import IO, TYPE_CHECKING, Any, Protocol, TypedDict

from lab.engine.client import death_reason
from lab.engine.divergence import Diverged, DivergenceWatch, diverged_reason
from lab.engine.events import EpochEnd, Event, Log, Progress
from lab.engine.scripted.base import Context, Script, ScriptError, Stopped
from lab.proc.child import PipedProcess, child_env

if TYPE_CHECKING:
    from torch.distributed import TCPStore

MAX_WORLD = 8
KILL_AFTER_S = 2.0


class Plan(TypedDict):
    """One training run the ranks make, as `ddp_rank` reads it from its settings."""

    name: str
    world: int
    """1: rank 0 trains it alone; the world size: every rank, with DDP."""
    batch_size: int


def ddp_digits(args: dict[str, Any], ctx: Context) -> Script:
    """The digits MLP on `world_size` processes with DistributedDataParallel."""
    world = int(args["world_size"])
    runs: list[Plan] = [{"name": "train", "world": world, "batch_size": int(args["batch_size"])}]
    result = yield from launch(args, ctx, runs, world, validate=True, train_run="train")
    metrics = {k: v for k, v in result.final["train"].items() if k != "rank_weight_gap"}
    metrics["world_size"] = float(world)
    metrics["rank_weight_gap"] = result.final["train"].get("rank_weight_gap", 0.0)
    return metrics


def ddp_batch_sizes(args: dict[str, Any], ctx: Context) -> Script:
    """One process with batch 64, two with 32 each, one with 32: which curves match?"""
    runs: list[Plan] = [
        {"name": "1x64", "world": 1, "batch_size": 64},
        {"name": "2x32", "world": 2, "batch_size": 32},
        {"name": "1x32", "world": 1, "batch_size": 32},
    ]
    parallel = runs[1]["name"]  # the run whose loss is the experiment's train_loss
    result = yield from launch(args, ctx, runs, 2, validate=False, train_run=parallel)
    one, two = result.curves[runs[0]["name"]], result.curves[runs[1]["name"]]
    common = min(len(one), len(two))
    gap = max((abs(a - b) for a, b in zip(one[:common], two[:common], strict=True)), default=0.0)
    metrics = {f"loss_{r['name']}": result.last[r["name"]] for r in runs}
    metrics["curve_gap"] = gap
    metrics["rank_weight_gap"] = result.final[runs[1]["name"]].get("rank_weight_gap", 0.0)
    metrics["train_loss"] = result.last[parallel]
    return metrics


class Result:
    """What the ranks reported: final metrics, each run's averaged step losses, last epoch's."""

    def __init__(self) -> None:
        self.final: dict[str, dict[str, float]] = {}
        self.curves: dict[str, list[float]] = collections.defaultdict(list)
        self.last: dict[str, float] = {}
        self.by_epoch: dict[int, dict[str, float]] = collections.defaultdict(dict)
        """Each epoch's mean loss of each run, until every run has finished that epoch."""


def choose_backend(wanted: str, world: int) -> str:
    """nccl with one GPU per process when there are enough GPUs, else gloo on the CPUs."""
    if wanted != "auto":
        return wanted
    import torch

    return "nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= world else "gloo"


def launch(
    args: dict[str, Any],
    ctx: Context,
    runs: list[Plan],
    world: int,
    validate: bool,
    train_run: str,
) -> Generator[Event, None, Result]:
    """Start the ranks and follow them; `train_run` names the run whose epoch loss is the
    experiment's train_loss (what a stop reports)."""
    if not 1 <= world <= MAX_WORLD:
        raise ScriptError(f"world_size must be between 1 and {MAX_WORLD}, not {world}")
    backend = choose_backend(str(args.get("backend", "auto")), world)
    if backend not in ("gloo", "nccl"):
        raise ScriptError(f"backend must be auto, gloo or nccl, not {backend!r}")
    lr = float(args["lr"])
    settings = {
        "runs": runs,
        "epochs": ctx.limit(args["epochs"], smoke_n=1),
        "lr": lr,
        "seed": int(args["seed"]),
        "backend": backend,
        "validate": validate,
    }
    ranks = Ranks(world)
    try:
        ranks.start(settings)
        yield Log(
            f"{world} process{'es' if world > 1 else ''} (ranks 0-{world - 1}), backend "
            f"{backend}, pids {', '.join(str(p.pid) for p in ranks.processes)}"
        )
        result = yield from follow(ranks, ctx, runs, world, lr, train_run)
    finally:
        ranks.end()
    return result


def follow(
    ranks: Ranks, ctx: Context, runs: list[Plan], world: int, lr: float, train_run: str
) -> Generator[Event, None, Result]:
    """The ranks' lines as the lab's events, until every rank is done."""
    sizes = {r["name"]: r["world"] for r in runs}
    several = len(runs) > 1
    steps: dict[tuple[str, int, int], dict[int, float]] = collections.defaultdict(dict)
    epochs: dict[tuple[str, int], dict[int, dict[str, float]]] = collections.defaultdict(dict)
    counters = dict.fromkeys(sizes, 0)
    rank_steps: dict[tuple[str, int], int] = collections.Counter()
    watches = {name: DivergenceWatch() for name in sizes}
    result, epoch = Result(), 0
    done: set[int] = set()
    while len(done) < world:
        if ctx.should_stop():
            raise Stopped(ctx.metrics, f"stopped at epoch {max(epoch, 1)}")
        try:
            rank, line = ranks.lines.get(timeout=0.1)
        except queue.Empty:
            continue
        if line is None:  # a rank's output ended
            if rank not in done:
                raise ScriptError(ranks.failure())
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "failed" in message:
            raise ScriptError(ranks.failure(rank, message["failed"]))
        if "done" in message:
            done.add(rank)
            for name, metrics in message["done"].items():
                merged = result.final.setdefault(name, {})
                for key, value in metrics.items():
                    merged[key] = max(merged.get(key, value), value)  # gaps: the largest
            continue
        name, epoch = message["run"], message["epoch"]
        if "loss" in message:
            key = (name, epoch, message["step"])
            steps[key][rank] = message["loss"]
            if not several:
                # the run's step count, as the averaged series has it: counted per rank, since
                # one rank's lines may arrive a step or two before another's
                rank_steps[name, rank] += 1
                step = rank_steps[name, rank]
                yield Progress(epoch, step, message["loss"], 0.0, series=f"rank {rank}")
            if len(steps[key]) == sizes[name]:
                values = steps.pop(key).values()
                mean = sum(values) / len(values)
                counters[name] += 1
                result.curves[name].append(mean)
                if watches[name].diverged(mean):
                    what = "the loss" if not several else f"the {name} loss"
                    raise Diverged(diverged_reason(mean, counters[name], lr, what), ctx.metrics)
                yield Progress(epoch, counters[name], mean, 0.0, series=name)
            continue
        epochs[name, epoch][rank] = message["metrics"]
        if len(epochs[name, epoch]) == sizes[name]:
            event = epoch_end(name, epoch, epochs.pop((name, epoch)), result, several, runs)
            if event is not None:
                ctx.metrics.update(event.metrics, train_loss=result.last[train_run])
                yield event
    return result


def epoch_end(
    name: str,
    epoch: int,
    per_rank: dict[int, dict[str, float]],
    result: Result,
    several: bool,
    runs: list[Plan],
) -> EpochEnd | None:
    """One EpochEnd per epoch: the mean train loss over the ranks, and each rank's own."""
    # every rank trains on as many samples an epoch (DistributedSampler, drop_last), so the
    # mean of the ranks' sample means is the mean over all the epoch's samples
    mean = sum(m["train_loss"] for m in per_rank.values()) / len(per_rank)
    result.last[name] = mean
    if not several:
        metrics = {"train_loss": mean}
        if len(per_rank) > 1:
            metrics |= {f"train_loss_rank{r}": m["train_loss"] for r, m in sorted(per_rank.items())}
        metrics |= {k: v for k, v in per_rank[0].items() if k != "train_loss"}
        return EpochEnd(epoch, metrics)
    # The comparison reports once every run has finished this epoch, whatever the order the
    # ranks' lines arrive in (rank 1's 2x32 line may come after rank 0's 1x32 one).
    finished = result.by_epoch[epoch]
    finished[name] = mean
    if len(finished) < len(runs):
        return None
    del result.by_epoch[epoch]
    return EpochEnd(epoch, {f"loss_{r['name']}": finished[r["name"]] for r in runs})


class Ranks:
    """The run's processes: started with torchrun's variables, read on threads, always ended."""

    def __init__(self, world: int):
        self.world = world
        self.processes: list[RankProcess] = []
        self.lines: queue.Queue[tuple[int, str | None]] = queue.Queue()
        """(rank, line) as the ranks write them; (rank, None) when a rank's output ends."""
        self.stderr: list[collections.deque[str]] = [
            collections.deque(maxlen=20) for _ in range(world)
        ]
        self.store: TCPStore | None = None

    def start(self, settings: dict[str, Any]) -> None:
        # Every rank is made before anything here runs a thread of its own: a rank forked while
        # the store's server thread held a lock waited on it forever (seen under load). The
        # ranks meet at a store this process serves (as torchrun's agent does), on a port the
        # system picks and that stays bound; each rank learns it with its settings.
        import torch.distributed as dist

        fork = settings["backend"] == "gloo" and can_fork()
        if fork:
            _import_once()
        for rank in range(self.world):
            env = dict(
                MASTER_ADDR="127.0.0.1",
                WORLD_SIZE=str(self.world),
                RANK=str(rank),
                LOCAL_RANK=str(rank),
                LOCAL_WORLD_SIZE=str(self.world),
                GROUP_RANK="0",
                ROLE_RANK=str(rank),
                ROLE_WORLD_SIZE=str(self.world),
                TORCHELASTIC_RESTART_COUNT="0",
                TORCHELASTIC_USE_AGENT_STORE="True",  # every rank a client of the store below
                OMP_NUM_THREADS="1",
                PYTHONUNBUFFERED="1",
            )
            process: RankProcess
            if fork:
                process = Forked(env, self.processes)
            else:
                process = subprocess.Popen(
                    [sys.executable, "-m", "lab.engine.scripted.ddp_rank"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=child_env(env),
                    text=True,
                    encoding="utf-8",
                    bufsize=1,
                )
            self.processes.append(process)
        self.store = store = dist.TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False)
        line = json.dumps({**settings, "master_port": store.port}) + "\n"
        for rank, process in enumerate(self.processes):
            stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
            assert stdin is not None and stdout is not None and stderr is not None  # all piped
            threading.Thread(target=self._read, args=(rank, stdout), daemon=True).start()
            threading.Thread(target=self._drain, args=(rank, stderr), daemon=True).start()
            stdin.write(line)
            stdin.flush()

    def _read(self, rank: int, stdout: IO[str]) -> None:
        for line in stdout:
            self.lines.put((rank, line))
        self.lines.put((rank, None))

    def _drain(self, rank: int, stderr: IO[str]) -> None:
        for line in stderr:
            self.stderr[rank].append(line)

    def failure(self, rank: int | None = None, reason: str | None = None) -> str:
        """Why the run failed, naming the rank: a killed rank first (the others then fail on
        the broken connection, which is not the cause)."""
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and any(p.poll() is None for p in self.processes):
            time.sleep(0.05)
        for r, process in enumerate(self.processes):
            code = process.poll()
            if code is not None and code < 0:
                died = death_reason(code).replace("the training process", f"rank {r}")
                return f"{died}; the other ranks were stopped"
        if rank is not None and reason:
            return f"rank {rank}: {reason}; the other ranks were stopped"
        for r, process in enumerate(self.processes):
            code = process.poll()
            if code not in (None, 0):
                tail = "".join(self.stderr[r]).strip().splitlines()
                last = f": {tail[-1]}" if tail else ""
                return f"rank {r} ended with exit code {code}{last}; the other ranks were stopped"
        return "a rank ended without finishing; the other ranks were stopped"

    def end(self) -> None:
        """Every process of the run ends: stdin closed, SIGTERM, then SIGKILL."""
        for process in self.processes:
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        deadline = time.monotonic() + KILL_AFTER_S
        for process in self.processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.store = None  # the store's server closes with it


def can_fork() -> bool:
    """Fork ranks from this warm process (torch already imported: ~0.1 s instead of seconds of
    imports per rank) on Linux and macOS, unless CUDA is initialised here (a forked child
    cannot use it); nccl ranks always start fresh."""
    import torch

    return hasattr(os, "fork") and not torch.cuda.is_initialized()


def _import_once() -> None:
    """What every rank imports, imported here once so that forked ranks inherit it: DDP's
    constructor imports torch._dynamo (measured 6.4 s under load; seconds per rank else)."""
    import torch._dynamo  # noqa: F401
    import torch.distributed  # noqa: F401
    from torch.nn.parallel import DistributedDataParallel  # noqa: F401


class RankProcess(PipedProcess, Protocol):
    """What Ranks uses of a rank's process: a part of `subprocess.Popen`, which Forked has too."""

    def terminate(self) -> None: ...
    def kill(self) -> None: ...


class Forked:
    """A rank forked from the launcher, with the part of Popen's interface Ranks uses."""

    def __init__(self, env: dict[str, str], others: list[RankProcess]):
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the rank: never returns
            code = 1
            try:
                for fd in (in_w, out_r, err_r):
                    os.close(fd)
                for other in others:  # the earlier ranks' pipes are not this rank's business
                    for stream in (other.stdin, other.stdout, other.stderr):
                        with contextlib.suppress(OSError):
                            if stream is not None:
                                os.close(stream.fileno())
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)  # not the worker's stdin, nor its event stream below
                os.dup2(err_w, 1)
                os.dup2(err_w, 2)
                os.environ.update(env)
                from lab.engine.scripted import ddp_rank

                stdin = os.fdopen(in_r, encoding="utf-8")
                code = ddp_rank.serve(stdin, os.fdopen(out_w, "w", encoding="utf-8", buffering=1))
            finally:
                os._exit(code)
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = os.fdopen(in_w, "w", encoding="utf-8", buffering=1)
        self.stdout = os.fdopen(out_r, encoding="utf-8")
        self.stderr = os.fdopen(err_r, encoding="utf-8")

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        start = time.monotonic()
        while (code := self.poll()) is None:
            if timeout is not None and time.monotonic() - start > timeout:
                raise subprocess.TimeoutExpired("rank", timeout)
            time.sleep(0.02)
        return code

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)
