"""Provides `LabServer`: textual-serve's server with a token, a base path for a proxy, a page that
loads nothing from the internet, and a tab's `lab` ended (with its runs) when the tab closes.

A page is opened as `BASE/?token=T`; the token then lives in a cookie for the websocket. URLs in
the page are paths (`BASE/ws`, `BASE/static/...`), so the page works behind a proxy that serves
it under any host (JupyterHub's `/user/NAME/lab/`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import os
import secrets
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

TEMPLATES = Path(__file__).parent / "templates"
COOKIE = "lab_token"
QUIT_WAIT_S = 3.0
"""How long a tab's `lab` has to quit after its tab closed before it is killed."""


class ServeError(ValueError):
    """Settings `lab serve` refuses: one line."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_command(lessons: list[Path], target: str | None = None) -> str:
    """The shell command textual-serve runs for each tab: this Python's `lab` (at `target`, a
    lesson, experiment or exercise, when given), exec'd so that the process textual-serve holds
    is the app itself, not a shell around it."""
    args = [sys.executable, "-m", "lab"]
    for folder in lessons:
        args += ["--lessons", str(folder)]
    if target:
        args += ["open", target]
    return "exec " + shlex.join(args)


class LabServer(Server):
    def __init__(
        self,
        command: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        socket: Path | None = None,
        base_url: str = "/",
        token: str | None = None,
    ) -> None:
        if token is None and socket is None and not is_loopback(host):
            raise ServeError(
                f"lab serve listens on {host} only with a token: other machines could reach it"
            )
        super().__init__(
            command,
            host=host,
            port=port,
            title="lab",
            statics_path=Path(textual_serve.__file__).parent / "static",
            templates_path=TEMPLATES,
        )
        self.socket = socket
        self.base = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
        self.token = token

    def url(self) -> str:
        """Where a browser on this machine opens the app (with its token)."""
        where = f"unix:{self.socket}" if self.socket else f"http://{self.host}:{self.port}"
        query = f"?token={self.token}" if self.token else ""
        return f"{where}{self.base}{query}"

    # --- the web application ------------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._check_token])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        return app

    @web.middleware
    async def _check_token(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.token is None or request.path.startswith("/static/"):
            return await handler(request)
        given = request.query.get("token") or request.cookies.get(COOKIE, "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise web.HTTPForbidden(
                text="lab: this page needs its token: open the address `lab serve` printed\n"
            )
        response = await handler(request)
        if request.query.get("token") and isinstance(response, web.Response):
            response.set_cookie(
                COOKIE, self.token, path=self.base, httponly=True, samesite="Strict"
            )
        return response

    async def on_startup(self, app: web.Application) -> None:
        print(f"lab serve: open {self.url()}  (Ctrl+C stops it)", flush=True)

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{self.base}ws",
            "config": {"static": {"url": f"{self.base}static/"}},
            "application": {"name": "lab"},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab: its own `lab` process, ended when the tab goes (asked to quit, then killed
        with its process group if it has not after QUIT_WAIT_S)."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: AppService | None = None
        try:
            await websocket.prepare(request)

            async def close() -> None:
                await websocket.close()

            service = AppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        finally:
            if service is not None:
                await _end(service)
        return websocket

    def serve(self, debug: bool = False) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, self.request_exit)
            loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        if self.socket is not None:
            self.socket.unlink(missing_ok=True)
        web.run_app(
            self._make_app(),
            host=None if self.socket else self.host,
            port=None if self.socket else self.port,
            path=str(self.socket) if self.socket else None,
            handle_signals=False,
            loop=loop,
            print=lambda *args: None,
        )


async def _end(service: AppService) -> None:
    process = service._process
    with contextlib.suppress(Exception):
        await asyncio.wait_for(service.stop(), QUIT_WAIT_S)
    if process is not None and process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(process.wait(), QUIT_WAIT_S)


def new_token() -> str:
    return secrets.token_urlsafe(24)
