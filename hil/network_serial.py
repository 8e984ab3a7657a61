"""Share a local serial port over the network, as ser2net does: with RFC 2217 (pyserial's own
server parts) for ``rfc2217://host:port``, or raw for ``socket://host:port``.

The rig uses this (or ser2net) to run the suite over the network. It serves one client at a
time, in two threads, as pyserial's ``rfc2217_server.py`` example does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any, cast

import serial
import serial.rfc2217


class _LenientSerial(serial.Serial):
    """A local port whose modem lines read as idle where the device has none (a pty),
    instead of failing the RFC 2217 negotiation as ser2net's users know it to."""

    def _modem_line(self, name: str) -> bool:
        try:
            return bool(getattr(serial.Serial, name).fget(self))
        except OSError:
            return False

    @property
    def cts(self) -> bool:
        return self._modem_line("cts")

    @property
    def dsr(self) -> bool:
        return self._modem_line("dsr")

    @property
    def ri(self) -> bool:
        return self._modem_line("ri")

    @property
    def cd(self) -> bool:
        return self._modem_line("cd")

    def _update_dtr_state(self) -> None:
        with contextlib.suppress(OSError):
            super()._update_dtr_state()  # type: ignore[misc]

    def _update_rts_state(self) -> None:
        with contextlib.suppress(OSError):
            super()._update_rts_state()  # type: ignore[misc]


class _SocketWriter:
    """PortManager writes its telnet answers with ``write``; a socket calls it ``sendall``."""

    def __init__(self, connection: socket.socket) -> None:
        self.write = connection.sendall


class NetworkSerialServer:
    """A serial port served to one network client at a time: over RFC 2217 (telnet with the
    port's settings), or ``raw`` (the bytes alone, as ser2net's raw mode and labgrid's
    ``NetworkSerialPort`` with ``protocol: raw``), which a client opens as ``socket://``."""

    def __init__(
        self, serial_url: str, host: str = "127.0.0.1", port: int = 0, *, raw: bool = False
    ) -> None:
        self.serial_url = serial_url
        self.raw = raw
        self._listener = socket.create_server((host, port))
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The URL a client opens. A pty cannot set modem lines, hence ``ign_set_control``."""
        if self.raw:
            return f"socket://{self.host}:{self.port}"
        return f"rfc2217://{self.host}:{self.port}?ign_set_control"

    def start(self) -> NetworkSerialServer:
        self._thread = threading.Thread(target=self._serve, name="rfc2217-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() alone does not
        with contextlib.suppress(OSError):
            self._listener.close()
        if self._thread is not None:
            self._thread.join(2)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with connection:
                self._bridge(connection)

    def _bridge(self, connection: socket.socket) -> None:
        if "://" in self.serial_url:
            port = serial.serial_for_url(self.serial_url, timeout=0.05, do_not_open=True)
        else:
            # Held as the tool holds a port (an exclusive lock, as ser2net's lock files): a
            # program that opens the same device meanwhile is told it is busy, rather than
            # reading half of what the board says (seen when a pty's number came back as
            # another board's while a stale tool still reopened it by path).
            port = _LenientSerial(None, timeout=0.05, exclusive=True)
            port.port = self.serial_url
        port.dtr = port.rts = False
        port.open()
        manager = (
            None
            if self.raw
            else serial.rfc2217.PortManager(cast(Any, port), cast(Any, _SocketWriter(connection)))
        )
        done = threading.Event()

        def serial_to_network() -> None:
            while not done.is_set():
                try:
                    data = port.read(port.in_waiting or 1)
                    if data and manager is not None:
                        data = b"".join(manager.escape(data))
                    if data:
                        connection.sendall(data)
                except (OSError, serial.SerialException):
                    break
            done.set()

        reader = threading.Thread(target=serial_to_network, daemon=True)
        reader.start()
        connection.settimeout(0.2)
        try:
            while not done.is_set() and not self._stop.is_set():
                try:
                    data = connection.recv(4096)
                except TimeoutError:
                    continue
                if not data:
                    break
                port.write(data if manager is None else b"".join(manager.filter(data)))
        except (OSError, serial.SerialException):
            pass
        finally:
            done.set()
            reader.join(1)
            port.close()
