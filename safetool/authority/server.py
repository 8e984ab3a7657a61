"""Running the API with uvicorn: on a socket bound first (so port 0 and "port in use" are clear),
announcing the URL once the server accepts connections."""

from __future__ import annotations

import asyncio
import copy
import errno
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn

from safetool.authority.app import create_app
from safetool.authority.errors import AuthorityConfigError
from safetool.authority.service import Authority
from safetool.authority.settings import DEFAULT_HOST, DEFAULT_PORT
from safetool.messages import Message, os_error_message

BACKLOG = 2048


def stderr_logging() -> dict[str, Any]:
    """uvicorn's logging, with the access log on stderr too: stdout carries only the ready
    line (a supervisor reading just that line must not block the server on a full pipe)."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    return config


def bind_socket(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise AuthorityConfigError(
            Message("authority.listen.no_host", {"host": host, "reason": str(error.strerror)}),
            next_step=Message("authority.listen.no_host.next"),
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        in_use = error.errno == errno.EADDRINUSE
        raise AuthorityConfigError(
            Message(
                "authority.listen.in_use" if in_use else "authority.listen.failed",
                {"host": host, "port": port, "reason": os_error_message(error)},
            ),
            next_step=Message(
                "authority.listen.in_use.next" if in_use else "authority.listen.failed.next"
            ),
        ) from None
    sock.listen(BACKLOG)
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: :func:`serve` handles SIGINT and
    SIGTERM in the event loop (so Ctrl-C ends ``authority serve`` cleanly, exit code 0), and
    :func:`running` leaves signals alone."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def request_exit(self) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def _server(
    authority: Authority, operator_token: str | None, log_config: Any, access_log: bool
) -> _Server:
    config = uvicorn.Config(
        create_app(authority, operator_token=operator_token),
        lifespan="off",
        log_config=log_config,
        access_log=access_log,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
    return _Server(config)


async def _wait_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    while not server.started:
        if task.done():
            task.result()
            raise AuthorityConfigError(Message("authority.listen.stopped"))
        await asyncio.sleep(0.01)


async def serve(
    authority: Authority,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    operator_token: str | None = None,
    on_ready: Callable[[str], None] | None = None,
    log_config: Any = None,
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); ``on_ready(url)`` once accepting.

    Logs (uvicorn's, access log included) go to stderr unless ``log_config`` says otherwise."""
    sock = bind_socket(host, port)
    server = _server(authority, operator_token, log_config or stderr_logging(), access_log=True)
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, server.request_exit)
            handled.append(signum)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await _wait_started(server, task)
        if on_ready is not None:
            on_ready(url_of(sock))
        await task
    finally:
        if not task.done():
            server.should_exit = True
            await task
        for signum in handled:
            loop.remove_signal_handler(signum)
        sock.close()


@asynccontextmanager
async def running(
    authority: Authority,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    operator_token: str | None = None,
) -> AsyncIterator[str]:
    """The API in this event loop, for tests and benchmarks: yields its URL."""
    sock = bind_socket(host, port)
    server = _server(authority, operator_token, None, access_log=False)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await _wait_started(server, task)
        yield url_of(sock)
    finally:
        server.should_exit = True
        await task
        sock.close()
