"""Serial transport for any pyserial URL: ``/dev/ttyUSB0``, ``COM3``, ``socket://``, ``rfc2217://``.

Ports with a file descriptor (local serial ports, ptys) and ``socket://`` run on
pyserial-asyncio-fast's event-loop transport. URL handlers without one (``rfc2217://``,
``loop://``) are read by a helper thread that hands bytes to the loop. URL options such as
``rfc2217://host:port?ign_set_control`` pass to pyserial untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import serial
import serial_asyncio_fast

from safetool.messages import Message
from safetool.transport.base import (
    LinkLost,
    PortBusy,
    PortNotFound,
    PortPermissionDenied,
    TransportError,
)

DEFAULT_BAUD = 115200
_CLOSED = object()


class _QueueProtocol(asyncio.Protocol):
    """Hands received bytes (and the end of the link) to a queue."""

    def __init__(self, queue: asyncio.Queue[object]) -> None:
        self.queue = queue

    def data_received(self, data: bytes) -> None:
        self.queue.put_nowait(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.queue.put_nowait(exc if exc is not None else _CLOSED)


class _FdTransport(serial_asyncio_fast.SerialTransport):
    """pyserial-asyncio-fast 0.16's transport, with its writer removed once the buffer is empty.

    After a partial write (a frame larger than the pty's or UART driver's buffer) the library
    leaves its writer callback registered when the rest has gone out, so every later loop turn
    calls ``_write_ready`` on an empty buffer, which fails an assertion and spins.
    """

    def _write_ready(self) -> None:
        if self._write_buffer:
            super()._write_ready()
        if not self._write_buffer:
            self._remove_writer()


class SerialTransport:
    def __init__(self, url: str, *, baudrate: int = DEFAULT_BAUD) -> None:
        self.url = url
        self.baudrate = baudrate
        self.description = f"{url} at {baudrate} baud"
        self.line_rate_bytes_per_s: float | None = baudrate / 10  # 8N1: 10 bits a byte
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._asyncio_transport: asyncio.Transport | None = None
        self._serial: serial.SerialBase | None = None
        self._thread: threading.Thread | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._stop = threading.Event()
        self._lost: LinkLost | None = None

    async def open(self) -> None:
        """Open the port (again, after ``close``: a transport may be reopened)."""
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._stop = threading.Event()
        self._lost = None
        self._asyncio_transport = None
        self._serial = None
        self._thread = None
        protocol = _QueueProtocol(self._queue)
        try:
            if self.url.startswith("socket://"):
                transport, _ = await serial_asyncio_fast.create_serial_connection(
                    loop, lambda: protocol, self.url, baudrate=self.baudrate
                )
                self._asyncio_transport = transport
                return
            opener = functools.partial(
                serial.serial_for_url,
                self.url,
                baudrate=self.baudrate,
                timeout=0,
                exclusive=True if sys.platform != "win32" else None,
            )
            self._serial = await loop.run_in_executor(None, opener)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise describe_open_error(self.url, exc) from None
        if _has_fileno(self._serial):
            self._asyncio_transport = _FdTransport(loop, protocol, self._serial)
        else:
            self._serial.timeout = 0.05
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"write {self.url}")
            self._thread = threading.Thread(
                target=_read_in_thread,
                args=(loop, self._serial, self._queue, self._stop),
                name=f"read {self.url}",
                daemon=True,
            )
            self._thread.start()

    async def write(self, data: bytes) -> None:
        if self._lost is not None:
            raise self._lost
        if self._asyncio_transport is not None:
            if self._asyncio_transport.is_closing():
                raise self._link_lost(None)
            self._asyncio_transport.write(data)
            return
        if self._serial is None or self._writer is None:
            raise LinkLost(Message("link.not_open", {"port": self.url}))
        try:
            # One writer thread per port: writes reach the wire in the order they were made.
            # (The loop's shared pool ran them side by side, so two sealed frames could swap
            # places and the lock, seeing a counter go back, ended the secure session.)
            await asyncio.get_running_loop().run_in_executor(self._writer, self._serial.write, data)
        except (serial.SerialException, OSError) as exc:
            raise self._link_lost(exc) from None

    async def read(self) -> bytes:
        if self._lost is not None:
            raise self._lost
        item = await self._queue.get()
        if isinstance(item, bytes):
            return item
        raise self._link_lost(item if isinstance(item, BaseException) else None)

    def _link_lost(self, cause: BaseException | None) -> LinkLost:
        if self._lost is None:
            detail = f" ({cause})" if cause else ""
            self._lost = LinkLost(
                Message("link.lost", {"url": self.url, "detail": detail}),
                meaning=Message("link.lost.meaning"),
                next_step=Message("link.lost.next"),
            )
        return self._lost

    async def close(self) -> None:
        self._stop.set()
        if self._asyncio_transport is not None:
            self._asyncio_transport.close()
            await asyncio.sleep(0)
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 1.0)
        if self._writer is not None:
            self._writer.shutdown(wait=False, cancel_futures=True)
            self._writer = None
        if self._serial is not None:
            with contextlib.suppress(Exception):
                self._serial.close()
        if self._lost is None:
            self._lost = LinkLost(Message("link.closed", {"port": self.url}))


def _read_in_thread(
    loop: asyncio.AbstractEventLoop,
    port: Any,
    queue: asyncio.Queue[object],
    stop: threading.Event,
) -> None:
    """Read ``port`` into ``queue`` until ``stop``. The port, queue and event are this opening's
    own, never looked up on the transport: a thread that outlives its ``close`` (slow to notice
    the stop) must not read into, or report its port's closing as the loss of, the link that a
    reopen made since (seen as "reader thread died" on a fresh RFC 2217 link)."""
    while not stop.is_set():
        try:
            data = port.read(max(1, port.in_waiting))
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            if not stop.is_set():  # a port closed under a stopping thread is no loss
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(queue.put_nowait, exc)
            return
        if data:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(queue.put_nowait, data)


def _has_fileno(port: Any) -> bool:
    if sys.platform == "win32":
        return True  # pyserial-asyncio-fast polls Windows ports instead of using a descriptor
    try:
        port.fileno()
    except (AttributeError, NotImplementedError, OSError, TypeError):
        return False
    return isinstance(port, serial.Serial)


def describe_open_error(url: str, exc: BaseException) -> TransportError:
    """Turn pyserial's open errors into ones a technician can act on, per operating system."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    lowered = text.lower()
    if (
        code == errno.ENOENT
        or "no such file" in lowered
        or "filenotfounderror" in lowered
        or ("could not find port" in lowered)
    ):
        macos_tty = sys.platform == "darwin" and "/dev/tty." in url
        return PortNotFound(
            Message("port.not_found", {"url": url}),
            meaning=Message("port.not_found.meaning"),
            next_step=Message("port.list_ports_macos" if macos_tty else "port.list_ports"),
        )
    if (
        code in (errno.EACCES, errno.EPERM)
        or "permission" in lowered
        or "access is denied" in lowered
    ):
        if sys.platform == "win32":
            return PortBusy(
                Message("port.held", {"url": url}),
                meaning=Message("port.held.meaning_windows"),
                next_step=Message("port.held.next_windows"),
            )
        if sys.platform.startswith("linux"):
            step = Message("port.denied.next_linux")
        else:
            step = Message("port.denied.next")
        return PortPermissionDenied(
            Message("port.denied", {"url": url}),
            meaning=Message("port.denied.meaning"),
            next_step=step,
        )
    if code == errno.EBUSY or "exclusively lock" in lowered or "busy" in lowered:
        return PortBusy(
            Message("port.busy", {"url": url}),
            meaning=Message("port.busy.meaning"),
            next_step=Message("port.busy.next"),
        )
    if "connection refused" in lowered or code == errno.ECONNREFUSED:
        return PortNotFound(
            Message("port.not_listening", {"url": url}),
            meaning=Message("port.not_listening.meaning"),
            next_step=Message("port.not_listening.next"),
        )
    return TransportError(
        Message("port.open_failed", {"url": url, "error": text}),
        meaning=Message("port.open_failed.meaning"),
        next_step=Message("port.open_failed.next"),
    )
