"""Provides the terminal bytes benchmark: bytes/s the real `lab` writes while a run plots live.

    .venv/bin/python bench/terminal_bytes.py [--train 10]

Starts `lab open bench-moons` under a pseudo-terminal of 100x30 (TERM=xterm-256color, UTF-8),
counts every byte it writes: idle on the experiment screen, then while a run trains at full
speed (the loss plot redrawing, and under it the model view's decision boundary, the heaviest
view: a shaded plane of some 66x12 cells, new about 4 times a second), and prints bytes per
second for both. A slow SSH link has
to carry exactly these bytes.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _long_lesson import write_lesson  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class Counter:
    """Reads the pty's master side on a thread, keeping (time, bytes) for each read."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.reads: list[tuple[float, int]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.reads.append((time.monotonic(), len(data)))

    def between(self, start: float, end: float) -> int:
        return sum(n for t, n in self.reads if start <= t < end)


def main(train_s: float, ascii_plot: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="lab-bytes-"))
    lessons = write_lesson(tmp / "lessons")
    env = dict(os.environ)
    env.update(
        LAB_HOME=str(tmp / "home"),
        LAB_LESSONS=str(lessons),
        TERM="xterm-256color",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        COLUMNS="100",
        LINES="30",
    )
    env.pop("NO_COLOR", None)
    if ascii_plot:
        env["LAB_ASCII"] = "1"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    lab = str(Path(sys.executable).parent / "lab")
    proc = subprocess.Popen(
        [lab, "open", "bench-moons"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    counter = Counter(master)
    try:
        time.sleep(float(os.environ.get("BENCH_WARM_S", "15")))  # torch imports in the spare
        idle_start = time.monotonic()
        time.sleep(3)
        idle_end = time.monotonic()
        os.write(master, b"r")
        time.sleep(2)  # the run starts
        train_start = time.monotonic()
        time.sleep(train_s)
        train_end = time.monotonic()
        os.write(master, b"s")
        time.sleep(1.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    idle = counter.between(idle_start, idle_end) / (idle_end - idle_start)
    training = counter.between(train_start, train_end) / (train_end - train_start)
    writes = sum(1 for t, _ in counter.reads if train_start <= t < train_end) / train_s
    total = sum(n for _, n in counter.reads)
    marker = "ascii" if ascii_plot else "braille"
    print(
        f"terminal 100x30 xterm-256color, {marker} markers, real `lab` under a pty, "
        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus"
    )
    print(f"idle      {idle / 1024:7.2f} KB/s")
    print(f"training  {training / 1024:7.2f} KB/s   ({writes:.1f} reads/s from the pty)")
    print(f"total     {total / 1024:7.1f} KB in the whole session")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=float, default=10.0)
    parser.add_argument("--ascii", action="store_true", help="plain ASCII plot markers")
    args = parser.parse_args()
    main(args.train, args.ascii)
