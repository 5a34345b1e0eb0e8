"""Serving the sandbox: in a background thread for tests and the demo, or in the foreground.

``SandboxServer`` binds 127.0.0.1 on a free port itself and hands the socket to uvicorn, so
the URL is known before the first request and two test runs never race for a port.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from rowpush.sandbox.app import CONNECTIONS, SandboxState, create_app
from rowpush.sandbox.clock import Clock, monotonic
from rowpush.sandbox.gateway import hide_dropped_connections
from rowpush.sandbox.options import SandboxOptions

STARTUP_TIMEOUT = 10.0


class SandboxServer:
    """The sandbox on real HTTP in a background thread; use as a context manager.

    ``url`` is the server root (``http://127.0.0.1:54321``); a Halo client's base URL is
    ``url + "/halopsa"``. ``state`` is the live state (records, tokens, request log).
    """

    def __init__(
        self,
        options: SandboxOptions | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = monotonic,
    ) -> None:
        self.options = options or SandboxOptions()
        self.app: Starlette = create_app(self.options, clock=clock)
        self._host = host
        self._port = port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.url = ""

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.app.state.sandbox
        return state

    def start(self) -> SandboxServer:
        """Bind, start serving, and return once requests are answered."""
        if self._thread is not None:
            raise RuntimeError("the sandbox server is already running")
        self._socket = bind_socket(self._host, self._port)
        host, port = self._socket.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self._server = uvicorn.Server(quiet_config(self.app))
        self._thread = threading.Thread(target=self._run, name="rowpush-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"the sandbox server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def _run(self) -> None:
        assert self._server is not None
        assert self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as error:  # reported by start(); a thread cannot raise to it
            self._error = error

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it Nagle plus delayed ACKs add ~40 ms to every keep-alive request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def quiet_config(app: Any) -> uvicorn.Config:
    """Uvicorn settings without access logs or changes to the process's logging setup
    (beyond keeping injected connection drops out of uvicorn's error log)."""
    hide_dropped_connections()
    return uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        http="h11",
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    options: SandboxOptions | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the sandbox in the foreground until interrupted (``rowpush sandbox``).

    ``on_ready`` receives the root URL once the port is bound (port 0 picks a free one),
    e.g. to print ``render_config(url, options)``.
    """
    options = options or SandboxOptions()
    sock = bind_socket(host, port)
    try:
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        if on_ready is not None:
            on_ready(f"http://{shown}:{bound_port}")
        uvicorn.Server(quiet_config(create_app(options))).run(sockets=[sock])
    finally:
        sock.close()


def render_config(
    base_url: str, options: SandboxOptions | None = None, *, with_rate: bool = False
) -> str:
    """A ready ``rowpush.toml`` with one connection per emulated API, named after the API.

    ``base_url`` is the server root. The credentials are the sandbox's own demo ones.
    ``with_rate`` adds each connection's `rate` for this sandbox (``local_rate``), as
    ``rowpush sandbox`` prints and writes it: without one, rowpush keeps each vendor's
    real limit, and the README's round trip would take Halo's 5 minutes a step.
    """
    options = options or SandboxOptions()
    root = base_url.rstrip("/")
    lines = [f"# rowpush sandbox at {root} (demo credentials, the sandbox's own)"]
    rate = local_rate(options) if with_rate else None
    for name, connection in CONNECTIONS.items():
        lines += ["", f"[connections.{name}]"]
        lines += [
            f"{key} = {toml_string(value)}" for key, value in connection(root, options).items()
        ]
        if rate is not None:
            lines.append(f"rate = {toml_string(rate)}  {RATE_COMMENT}")
    return "\n".join(lines) + "\n"


LOCAL_RATE = "50/s"
"""The rate a config for a sandbox without a limit names: what a local emulator serves
comfortably, so that the README's round trip takes seconds, not Halo's 5 minutes."""
RATE_COMMENT = (
    "# suited to this local emulator only; a real instance has its own limit "
    "(leave rate out for the vendor's default)"
)


def local_rate(options: SandboxOptions) -> str | None:
    """The `rate` a connection to this sandbox should use: its own limit where one is
    set, else `LOCAL_RATE`; None where each API keeps its vendor's limit (`vendor`),
    which rowpush's defaults already follow."""
    if options.vendor_limits and options.window() is None:
        return None
    window = options.window()
    if window is None:
        return LOCAL_RATE
    if window.seconds >= 60 and window.seconds % 60 == 0:
        return f"{window.limit}/{int(window.seconds // 60)}min"
    return f"{window.limit}/{window.seconds:g}s"


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    escapes = {
        '"': '\\"',
        "\\": "\\\\",
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\f": "\\f",
        "\r": "\\r",
    }
    out = []
    for char in value:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
