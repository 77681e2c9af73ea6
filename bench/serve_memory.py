"""Provides the memory of one `lab serve` session, for a teacher sizing a server.

    .venv/bin/python bench/serve_memory.py

Starts `lab serve circles-activation`, opens it in Debian's chromium (Playwright), waits for the
experiment, presses `r` and, once the run has trained, prints the resident memory (RSS, and PSS
where the kernel gives it: shared pages counted once across processes) of each process under
the server: the tab's `lab` (the app, no torch), its run fork server and the run's worker (torch).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.proc.child import descendants  # noqa: E402
from tests.procs import free_port  # noqa: E402

TOKEN = "bench"


def _memory(pid: int) -> tuple[str, float, float]:
    """(command, RSS MB, PSS MB) of a process."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:70]
    rss = pss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    if rollup.exists():
        for line in rollup.read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    return command, rss, pss


async def main() -> None:
    from playwright.async_api import async_playwright

    port = free_port()
    os.environ.setdefault("LAB_HOME", tempfile.mkdtemp(prefix="lab-bench-"))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab",
            "serve",
            "circles-activation",
            "--port",
            str(port),
            "--token",
            TOKEN,
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}static/js/textual.js", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox"]
            )
            page = await browser.new_page(viewport={"width": 1100, "height": 700})
            await page.goto(f"{url}?token={TOKEN}")
            await page.wait_for_selector("body.-first-byte", timeout=60_000)
            await asyncio.sleep(3)
            before = {pid: _memory(pid) for pid in descendants(server.pid)}
            await page.click("#terminal")
            await page.keyboard.press("r")
            await asyncio.sleep(20)  # the worker imports torch (once warm, the fork server's)
            during = {pid: _memory(pid) for pid in descendants(server.pid)}
            await browser.close()
        server_memory = _memory(server.pid)
        print(f"{'process':70}  {'RSS MB':>7}  {'PSS MB':>7}")
        print(f"{server_memory[0]:70}  {server_memory[1]:7.0f}  {server_memory[2]:7.0f}")
        print("a tab, before r:")
        for command, rss, pss in before.values():
            print(f"  {command:68}  {rss:7.0f}  {pss:7.0f}")
        print("a tab, with a run going:")
        for command, rss, pss in during.values():
            print(f"  {command:68}  {rss:7.0f}  {pss:7.0f}")
        total = sum(pss for _, _, pss in during.values())
        print(f"one session with a run: {total:.0f} MB PSS (the server itself once for all tabs)")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
