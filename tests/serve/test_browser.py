"""`lab serve` in a real browser: Debian's chromium driven by Playwright. The page opens with its
token and is refused without it, the screen (read from the websocket's terminal bytes with pyte)
answers keys, an experiment draws its curve, and a closed tab leaves no `lab` behind."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pyte
import pytest

from lab.proc.child import descendants
from tests.procs import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOKEN = "test-token-123"
TRAINED = re.compile(r"epoch [1-9]\d*/\d+")
"""The status line of a run that has trained an epoch."""

if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("no chromium here (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def served(shipped_lessons):
    """`lab serve circles-activation` on a free port: (url, process)."""
    port = free_port()
    process = subprocess.Popen(
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
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}static/js/textual.js", timeout=1).close()
            break
        except (urllib.error.URLError, ConnectionError):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "lab serve did not start"
            time.sleep(0.1)
    yield url, process
    process.terminate()
    process.wait(10)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_page_needs_its_token(served):
    url, _ = served
    assert _status(url) == 403
    assert _status(f"{url}?token=wrong") == 403
    assert _status(f"{url}ws") == 403
    assert _status(f"{url}?token={TOKEN}") == 200


def test_another_address_without_a_token_is_refused(shipped_lessons):
    result = subprocess.run(
        [sys.executable, "-m", "lab", "serve", "--host", "0.0.0.0", "--no-token"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "lab: lab serve listens on 0.0.0.0 only with a token: other machines could reach it"
    )


class Screen:
    """The served terminal, rebuilt from the bytes the websocket carries."""

    def __init__(self, columns: int, rows: int) -> None:
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)

    def feed(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.stream.feed(payload)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)


async def _until(check, timeout: float, what: str, screen: Screen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        shown = f"; the screen:\n{screen.text}" if screen is not None else ""
        assert time.monotonic() < deadline, f"timed out waiting for {what}{shown}"
        await asyncio.sleep(0.1)


async def test_a_tab_draws_answers_keys_runs_and_leaves_nothing_when_closed(served):
    from playwright.async_api import async_playwright

    url, server = served
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1100, "height": 700})
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
        screens: list[Screen] = []

        def on_websocket(ws) -> None:
            screens.append(Screen(200, 60))
            ws.on("framereceived", screens[-1].feed)

        page.on("websocket", on_websocket)
        await page.goto(f"{url}?token={TOKEN}")
        await page.wait_for_selector("body.-first-byte", timeout=60_000)
        await _until(lambda: screens and "Try this" in screens[0].text, 60, "the experiment")
        assert outside == []  # nothing from the internet: fonts and scripts are served here
        await page.click("#terminal")  # keys go to the focused terminal, as for a learner

        await page.keyboard.press("/")  # the glossary's search, then a term in Chinese
        await _until(lambda: "search terms" in screens[0].text, 20, "the glossary", screens[0])
        await asyncio.sleep(0.5)  # its search box takes the focus once it is drawn
        await page.keyboard.insert_text("梯度下降")
        await _until(
            lambda: "gradient descent" in screens[0].text, 20, "the English headword", screens[0]
        )
        await page.keyboard.press("Escape")
        await _until(lambda: "Try this" in screens[0].text, 20, "the experiment again")

        before = await page.screenshot()
        await page.keyboard.press("r")
        await _until(lambda: TRAINED.search(screens[0].text), 90, "a run", screens[0])
        await asyncio.sleep(1)
        after = await page.screenshot(path=os.environ.get("LAB_SERVE_SHOT") or None)
        assert after != before  # the curve drew itself

        apps = descendants(server.pid)
        assert apps, "no lab process for the tab"
        await page.close()
        await browser.close()
    await _until(lambda: not descendants(server.pid), 5, "the tab's lab to end")
