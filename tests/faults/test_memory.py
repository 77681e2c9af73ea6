"""Too big for memory: refused before training with the size named; a real allocation failure
during training ends as `failed` with one clear line, never a traceback in front of the learner.
"""

from __future__ import annotations

import re
import resource
import time

import pytest
import torch
from typer.testing import CliRunner

from lab.engine.events import Start
from lab.engine.loop import run_events
from lab.engine.memory import Need, check_fits, cpu_available, estimate, size
from lab.engine.models import build_model, parameter_count
from lab.store import Store
from tests.engine.conftest import digits_mlp, done_of, run_all, train_run
from tests.faults.conftest import GOOD, patched_worker

pytestmark = pytest.mark.slow

GB = 1000**3

LESSON = """\
id: memory-example
title: Memory
order: 3
summary: Models that do not fit.
sections:
  - title: Sizes
    body: Parameters take memory.
experiments:
  - id: huge-mlp
    title: Far too many weights
    description: 750 billion weights.
    train:
      dataset: {name: digits}
      model:
        layers:
          - Flatten
          - Linear: [64, 10000000000]
          - Linear: [10000000000, 10]
      loss: cross_entropy
      optimizer: {name: adam, lr: 0.001}
      epochs: 1
  - id: wide-batch
    title: One wide layer, one big batch
    description: Fits the estimate, not a memory limit of about 600 MB.
    train:
      dataset: {name: digits}
      model:
        layers:
          - Flatten
          - Linear: [64, 100000]
          - ReLU
          - Linear: [100000, 10]
      loss: cross_entropy
      optimizer: {name: sgd, lr: 0.01}
      epochs: 1
      batch_size: 1024
"""

HUGE_LAYERS = [{"Flatten": {}}, {"Linear": [64, 10**10]}, {"Linear": [10**10, 10]}]

# A worker whose address space is capped just above what it holds once torch is imported: a
# real allocation failure, from the kernel, without risking the machine's memory.
LIMITED = """
import resource
import torch
from lab.engine.loop import warm_up
warm_up()
def _vm_bytes():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
_limit = _vm_bytes() + {extra}
resource.setrlimit(resource.RLIMIT_AS, (_limit, _limit))
"""

# No GPU here: a CUDA out-of-memory error as torch raises it, planted in the training step
# (the forward of the first Linear, after the checks, the summary and the start loss).
CUDA_OOM = torch.cuda.OutOfMemoryError(
    "CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 79.10 GiB "
    "of which 1.25 GiB is free."
)


@pytest.fixture
def lessons(tmp_path, fresh_cli):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-gradient-descent.yaml").write_text(
        (GOOD / "01-gradient-descent.yaml").read_text()
    )
    (folder / "03-memory.yaml").write_text(LESSON)
    return folder


def _lab(lessons, *args):
    from lab.cli import app

    return CliRunner().invoke(app, ["--lessons", str(lessons), *args])


def _use_worker(monkeypatch, prelude: str) -> None:
    """`lab run` in this test gets a patched worker instead of a plain one."""
    from tests.fake_worker import use_runner

    use_runner(monkeypatch, lambda: patched_worker(prelude))


def _in_process(monkeypatch) -> None:
    """`lab run` in this test trains in this process: the fault is the engine's, not the
    process's."""
    from tests.fake_worker import InProcessWorker, use_runner

    use_runner(monkeypatch, InProcessWorker)


@pytest.mark.serial  # measures the memory and time of this process: alone
def test_a_model_too_big_for_memory_is_refused_before_anything_is_allocated():
    done_of(run_all(train_run(digits_mlp(epochs=1), smoke=True)))  # imports, digits: paid once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    spec = digits_mlp(model={"layers": HUGE_LAYERS}, optimizer={"name": "adam", "lr": 0.001})
    events = list(run_events(train_run(spec), lambda: False))
    elapsed = time.perf_counter() - started
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    done = done_of(events)
    assert not any(isinstance(e, Start) for e in events)  # refused before the run began
    assert done.status == "failed" and done.traceback is None
    assert re.fullmatch(
        r"too big for this computer's memory: 750,000,000,010 parameters need about 14\.6 TB "
        r"to train \(weights, gradients and adam's two moment estimates\), but only "
        r"\d+\.\d [MGT]B is free: make the layers smaller or use fewer of them",
        done.reason,
    ), done.reason
    print(
        f"\ntoo big: refused in {elapsed:.2f} s, peak memory grew {grew_mb:.0f} MB: {done.reason}"
    )
    assert elapsed < 5 and grew_mb < 200


def test_lab_run_refuses_it_in_one_line_with_no_traceback(lessons, monkeypatch):
    """Refused before training, like a missing download: recorded failed, with the reason."""
    _in_process(monkeypatch)
    result = _lab(lessons, "run", "huge-mlp")
    assert result.exit_code == 1
    assert "failed: too big for this computer's memory: 750,000,000,010 parameters" in result.output
    assert "Traceback" not in result.output
    with Store.open() as store:
        [run] = store.runs()
    assert run.status == "failed" and run.reason.startswith("too big for this computer's memory")


def test_the_estimate_counts_weights_gradients_state_and_one_batch():
    spec = digits_mlp()  # Flatten, Linear(64, 64), ReLU, Linear(64, 10), adam, batch 32
    need = estimate(spec["model"], (1, 8, 8), 10, 32, spec["optimizer"])
    real = parameter_count(build_model(spec["model"], (1, 8, 8), 10))
    assert need.parameters == real == 4810
    assert need.weights_bytes == real * 4 * (1 + 1 + 2)  # weights, gradients, two moments
    assert need.activation_bytes == 32 * (64 + 64 + 64 + 10) * 4 * 2
    sgd = estimate(spec["model"], (1, 8, 8), 10, 32, {"name": "sgd", "lr": 0.1})
    momentum = estimate(spec["model"], (1, 8, 8), 10, 32, {"name": "sgd", "momentum": 0.9})
    assert sgd.weights_bytes == real * 8 and momentum.weights_bytes == real * 12
    # A wide layer: evaluation takes fewer samples at a time than its usual 4096.
    wide = {"layers": [{"type": "Flatten"}, {"type": "Linear", "args": [784, 100_000]}]}
    need = estimate(wide, (1, 28, 28), 10, 32, {"name": "sgd"}, eval_batch=4096)
    assert need.eval_batch == 256 * 1000**2 // ((784 + 100_000) * 4) == 635  # input + output


def test_the_gpu_and_a_big_batch_are_named_when_they_are_the_problem():
    need = Need(
        parameters=1_000_000,
        weights_bytes=16 * 10**6,
        activation_bytes=30 * GB,
        data_bytes=2 * GB,
        state="adam's two moment estimates",
    )
    with pytest.raises(ValueError) as err:
        check_fits(need, torch.device("cuda"), available=8 * GB)
    assert str(err.value) == (
        "too big for the GPU's memory: 1,000,000 parameters need about 32.0 GB to train "
        "(weights, gradients and adam's two moment estimates, and mostly the activations of "
        "one batch), but only 8.0 GB is free on the GPU: use a smaller batch size or smaller "
        "layers"
    )
    check_fits(need, torch.device("cuda"), available=40 * GB)  # fits: no error
    check_fits(need, torch.device("mps"))  # free memory unknown: no check, no error
    assert [size(n) for n in (999, 1500, 2.5e9, 1.46e13)] == [
        "999 bytes",
        "1.5 KB",
        "2.5 GB",
        "14.6 TB",
    ]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_free_memory_is_memavailable_capped_by_the_cgroup(tmp_path, version):
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal: 24000000 kB\nMemAvailable: 8000000 kB\n")
    if version == "v2":
        (proc / "self" / "cgroup").write_text("0::/user.slice/lab\n")
        folder = cgroup / "user.slice" / "lab"
        files = {"memory.max": "2000000000", "memory.current": "500000000"}
        stat = "anon 400000000\ninactive_file 100000000\n"
    else:
        (proc / "self" / "cgroup").write_text("5:cpu:/\n4:memory:/job/7\n")
        folder = cgroup / "memory" / "job" / "7"
        files = {"memory.limit_in_bytes": "2000000000", "memory.usage_in_bytes": "500000000"}
        stat = "total_inactive_file 100000000\ninactive_file 5\n"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text + "\n")
    (folder / "memory.stat").write_text(stat)
    # the cgroup's room: its limit less what it uses, the reclaimable page cache not counted
    assert cpu_available(proc, cgroup) == 2_000_000_000 - 400_000_000
    (folder / next(iter(files))).write_text("max\n" if version == "v2" else f"{2**63 - 4096}\n")
    assert cpu_available(proc, cgroup) == 8_000_000 * 1024  # no limit: MemAvailable alone
    real = cpu_available()
    print(f"\nfree memory here: {size(real)}")
    assert real is None or real > 0


def test_a_real_allocation_failure_mid_training_fails_in_one_line(lessons, monkeypatch):
    _use_worker(monkeypatch, LIMITED.format(extra=600 * 1000**2))
    started = time.perf_counter()
    result = _lab(lessons, "run", "wide-batch")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("failed: "))
    assert line == (
        "failed: the computer ran out of memory (one step asked for 409.6 MB more): "
        "try a smaller batch size or a smaller model"
    )
    assert "Traceback" not in result.output and "DefaultCPUAllocator" not in result.output
    with Store.open() as store:
        [run] = store.runs()
        assert (run.experiment, run.status, run.reason) == ("wide-batch", "failed", line[8:])
    # the next run gets a plain worker, at once (the engine in-process); not undo(), which
    # would also take back the test's LAB_HOME and lessons (set on the same monkeypatch)
    _in_process(monkeypatch)
    again = time.perf_counter()
    result = _lab(lessons, "run", "gd-example-fit")
    assert result.exit_code == 0 and "completed: trained 200 epochs" in result.output
    print(
        f"\nreal allocation failure (RLIMIT_AS): failed in {elapsed:.1f} s, next run completed "
        f"in {time.perf_counter() - again:.1f} s: {line}"
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (CUDA_OOM, "the GPU ran out of memory (one step asked for 21.5 GB more)"),
        (
            MemoryError("Unable to allocate 3.2 GiB"),
            "the computer ran out of memory (one step asked for 3.4 GB more)",
        ),
    ],
    ids=["cuda-oom", "memory-error"],
)
def test_an_out_of_memory_error_in_the_loop_fails_in_one_line(
    lessons, monkeypatch, error, expected
):
    calls = [0]
    forward = torch.nn.Linear.forward

    def failing_forward(self, x):
        calls[0] += 1
        if calls[0] >= 6:
            raise error
        return forward(self, x)

    monkeypatch.setattr(torch.nn.Linear, "forward", failing_forward)
    _in_process(monkeypatch)
    result = _lab(lessons, "run", "gd-example-fit")
    assert result.exit_code == 1, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("failed: "))
    assert line == f"failed: {expected}: try a smaller batch size or a smaller model"
    assert "Traceback" not in result.output
    with Store.open() as store:
        [run] = store.runs()
        assert (run.status, run.reason) == ("failed", line[8:])
    print(f"\n{type(error).__name__}: {line}")
