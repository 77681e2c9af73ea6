"""Shared fixtures: every test gets its own LAB_HOME, so no test touches a learner's data.

The rest of the environment (terminal, locale, colour, the lab's other settings) is pinned once
for the whole run by tests/environment.py."""

from __future__ import annotations

import functools
import gc
import sys
import time

import pytest
import textual._wait

import lab.catalog.loader

# Pilot's key presses and pauses wait until the app is idle, judged by the CPU time the process
# spends; a run on `tests.fake_worker.InProcessWorker` (the engine in a thread, standing in for
# the worker process) kept the process busy, so each key pressed while it trained waited
# Textual's 1 s maximum, twice. Idle is judged by the event loop's thread, as it is in the lab,
# whose runs train in another process.
textual._wait.process_time = time.thread_time


# Every app and every `lab` command a test starts loads its lessons again: the suite's four
# workers read unchanged files again 3,574 times, 17 CPU-s. What a file's bytes say is kept, by
# its path and bytes (a changed file is read again); what its folder holds is still checked
# each time (`load_file`). Lessons are frozen models: no test can change another's.
lab.catalog.loader.parse_file = functools.lru_cache(maxsize=256)(lab.catalog.loader.parse_file)


# Files whose tests mostly wait on other processes (a cluster's queue, a terminal, a browser, a
# worker going quiet). Each xdist worker starts its share of the list with some of them, so that
# their waits overlap the other workers' busy tests; last in the list, they had the suite's last
# 20 s nearly to themselves, with the machine 19%, then 46% idle.
WAITING = (
    "tests/slurm/test_runner.py",
    "tests/slurm/test_jobs.py",
    "tests/e2e/test_tmux.py",
    "tests/test_environment.py",
    "tests/engine/test_worker_contract.py",
    "tests/slurm/test_cluster.py",
    "tests/serve/test_browser.py",
    "tests/e2e/test_exercise_watch.py",
)


@pytest.hookimpl(trylast=True)  # after `-m` has deselected: xdist splits what is left
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the tests for xdist's worksteal, which hands each worker an equal run of the list
    and later lets an idle worker take the end of the longest run left. Each run starts with
    a share of the WAITING files; the other files follow with the screen tests' spread evenly
    among them: a Pilot test mostly waits for the app, the others mostly keep the CPU busy."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)
    waiting = [f for f in WAITING if f in files]
    screens = [f for f in files if f.startswith("tests/tui/")]
    others = [f for f in files if not f.startswith("tests/tui/") and f not in waiting]
    order = sorted(
        [(i / len(others), f) for i, f in enumerate(others)]
        + [((i + 0.5) / len(screens), f) for i, f in enumerate(screens)]
    )
    rest = [item for _, f in order for item in files[f]]
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    heads: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for i, f in enumerate(waiting):
        heads[i % workers].extend(files[f])
    left = len(items)
    items[:] = []
    for i, head in enumerate(heads):
        share = left // (workers - i)  # the run xdist hands this worker
        take = max(share - len(head), 0)
        items.extend(head + rest[:take])
        del rest[:take]
        left -= len(head) + take
    items.extend(rest)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the collector off what every test shares. The test modules imported torch (and
    the first optimizer step imports torch._dynamo): some 300,000 objects that each full
    collection walked, a quarter of the screen tests' CPU. Frozen, it walks what tests make."""
    if "torch" in sys.modules:
        import torch._dynamo  # noqa: F401

    gc.collect()
    gc.freeze()
    # A full collection walks every object the tests keep (the apps alive, the caches): by
    # default one came after every tenth middle-generation pass, 40-60 per worker, 0.1-0.16 s
    # each. After every hundredth, the four workers' time in the collector fell from 35 s to
    # 25 s (summed).
    gen0, gen1, _ = gc.get_threshold()
    gc.set_threshold(gen0, gen1, 100)


@pytest.fixture(autouse=True)
def _textual_styles_cache():
    """Textual's StylesCache.get_inner_outer is an lru_cache on a method: it keeps the last
    1,024 widgets' style caches, and their rendered lines, alive. In one app that is a bound;
    across the suite's apps it was thousands of objects more per app run, for the collector to
    walk."""
    yield
    styles_cache = sys.modules.get("textual._styles_cache")
    if styles_cache is not None:
        styles_cache.StylesCache.get_inner_outer.cache_clear()


@pytest.fixture(autouse=True)
def lab_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("lab_home")
    monkeypatch.setenv("LAB_HOME", str(home))
    # Tests load the fixture lessons they name, not the shipped course (tests of the course
    # itself use the `shipped_lessons` fixture).
    empty = tmp_path_factory.mktemp("no_shipped_lessons")
    monkeypatch.setenv("LAB_SHIPPED_LESSONS", str(empty))
    return home


@pytest.fixture
def store(lab_home):
    """A progress database of the test's own, in its LAB_HOME."""
    from lab.store import Store

    with Store.open(lab_home / "lab.db") as opened:
        yield opened


@pytest.fixture
def shipped_lessons(monkeypatch):
    """Load the real course from lessons/."""
    monkeypatch.delenv("LAB_SHIPPED_LESSONS", raising=False)


@pytest.fixture
def shipped(shipped_lessons, monkeypatch):
    """The real course, loaded and clean; one intra-op thread in each worker a test runs."""
    from lab.catalog import load_catalog

    monkeypatch.setenv("LAB_THREADS", "1")
    catalog = load_catalog()
    assert not catalog.problems, catalog.problems
    return catalog


@pytest.fixture(scope="session")
def warm_checker():
    """One real exercise checker (its process holds torch) for every test of a worker that checks
    with the real one."""
    from lab.exercises.checker import Checker

    with Checker() as checker:
        yield checker


@pytest.fixture
def download_cache(tmp_path):
    """A data cache holding small stand-ins (200 images) of MNIST and FashionMNIST."""
    from tests.engine.test_datasets import write_mnist

    cache = tmp_path / "cache"
    write_mnist(cache, "MNIST", n=200)
    write_mnist(cache, "FashionMNIST", n=200)
    return cache
