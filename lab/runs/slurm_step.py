"""Provides `python -m lab.runs.slurm_step SRUN_ARGS...`: one run's worker as a Slurm job step,
speaking the worker's protocol on its stdin and stdout.

It starts `srun SRUN_ARGS...` (which starts `python -m lab.engine.worker` on a compute node)
with this process's stdin and stdout, so the run spec, the command lines and the events pass
through untouched. While the job waits in the queue it writes a `queued` event about once a
second, with Slurm's reason (Resources, Priority...). A job Slurm refuses ends as one `done:
failed` line with Slurm's words. No job outlives its reason: a stop while queued, the parent
going (even SIGKILLed: the kernel tells us) or a signal cancel the job (`scancel`).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from lab.proc.child import die_with_parent

QUEUED_EVERY_S = 1.0
STOP_GRACE_S = 5.0
"""A running job asked to stop ends itself (the stop line reaches the worker); after this long it
is cancelled."""
RUNNING = ("RUNNING", "COMPLETING", "CONFIGURING")


class Step:
    def __init__(self, srun_args: list[str]) -> None:
        # A name of its own, so that the job is found (and cancelled) whatever srun says: it
        # names the job only when it has to wait.
        self.name = f"lab-run-{uuid.uuid4().hex[:10]}"
        self.argv = ["srun", f"--job-name={self.name}", *srun_args]
        self.user = getpass.getuser()
        self.started = threading.Event()
        self.errors: list[str] = []
        self.srun: subprocess.Popen[str] | None = None

    def emit(self, event: dict) -> None:
        with contextlib.suppress(OSError):
            os.write(1, (json.dumps(event) + "\n").encode())

    def job(self) -> tuple[str, str, str]:
        """(id, state, reason) of the run's job as squeue has it ("" when it has none)."""
        command = ["squeue", "-h", f"--name={self.name}", f"--user={self.user}", "-o", "%i %T %r"]
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(command, capture_output=True, text=True, timeout=10)
            fields = found.stdout.split(maxsplit=2)
            if len(fields) == 3:
                return fields[0], fields[1], fields[2].strip()
        return "", "", ""

    def cancel(self) -> None:
        if self.srun is not None and self.srun.poll() is None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    ["scancel", f"--name={self.name}", f"--user={self.user}"],
                    capture_output=True,
                    timeout=10,
                )

    def read_stderr(self) -> None:
        assert self.srun is not None and self.srun.stderr is not None
        for line in self.srun.stderr:
            if "error" in line.lower() or line.startswith("srun: fatal: "):
                self.errors.append(line.strip())
            if not line.startswith("srun: job "):  # its queue chatter: the events say it
                sys.stderr.write(line)
                sys.stderr.flush()

    def run(self) -> int:
        parent = os.getpid()
        self.srun = subprocess.Popen(
            self.argv,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a Ctrl+C in the terminal is lab's to handle, not srun's
            preexec_fn=lambda: die_with_parent(parent, signal.SIGTERM),  # we go: srun ends
        )
        reader = threading.Thread(target=self.read_stderr, daemon=True)
        reader.start()
        began = time.monotonic()
        while self.srun.poll() is None and not self.started.is_set():
            job, state, reason = self.job()
            if state in RUNNING:
                self.started.set()
            elif job:
                waited = round(time.monotonic() - began)
                self.emit({"type": "queued", "job": job, "reason": reason, "waited_s": waited})
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.srun.wait(QUEUED_EVERY_S)
        code = self.srun.wait()
        reader.join(2)
        if code != 0 and not self.started.is_set():
            # what ended srun, rather than the errors on its way there
            fatal = [line for line in self.errors if line.startswith("srun: fatal: ")]
            said = (fatal or self.errors or [f"srun ended with exit code {code}"])[-1]
            said = said.removeprefix("srun: error: ").removeprefix("srun: fatal: ")
            reason = f"Slurm refused the run: {said}"
            self.emit({"type": "done", "status": "failed", "reason": reason})
        return code

    def stop(self, signum: int, frame: object) -> None:
        if signum != signal.SIGINT or not self.started.is_set():
            self.cancel()  # queued, or the parent gone: the job goes now
            return
        # running: the stop line on stdin reaches the worker, which ends with its figures
        timer = threading.Timer(STOP_GRACE_S, self.cancel)
        timer.daemon = True
        timer.start()


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: python -m lab.runs.slurm_step SRUN_ARGS...", file=sys.stderr)
        return 2
    die_with_parent(os.getppid(), signal.SIGTERM)  # lab killed: the job is cancelled
    step = Step(sys.argv[1:])
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, step.stop)
    try:
        return step.run()
    except FileNotFoundError:
        step.emit({"type": "done", "status": "failed", "reason": "srun is not installed here"})
        return 1
    finally:
        step.cancel()


if __name__ == "__main__":
    sys.exit(main())
