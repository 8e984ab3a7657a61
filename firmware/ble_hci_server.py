"""The tool's Bumble controller, served as HCI over TCP (H4 framing, what Bumble's ``tcp-client:``
transport speaks), one host at a time.

Bumble's own ``tcp-server:`` transport has the same framing but forgets a new host when the old
one's close arrives late (a scan closes, a connect opens at once); this one keeps the newest
host, starts each host with a clean packet parser, and tells the controller when its host goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bumble.transport.common import PacketParser


class _HostConnection(asyncio.Protocol):
    def __init__(self, server: HciServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.parser = PacketParser(server.controller_sink)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.attach(self)

    def data_received(self, data: bytes) -> None:
        if self.server.current is self:
            self.parser.feed_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.detach(self)


class _ToHost:
    """The controller's packets go to whichever host is attached now."""

    def __init__(self, server: HciServer) -> None:
        self.server = server

    def on_packet(self, packet: bytes) -> None:
        current = self.server.current
        if current is not None and current.transport is not None:
            current.transport.write(packet)


class HciServer:
    def __init__(self, on_host_gone: Callable[[], None]) -> None:
        self.controller_sink: Any = None
        """Set by the controller (``set_packet_sink``), as Bumble's sources are."""
        self.host_sink = _ToHost(self)
        self.current: _HostConnection | None = None
        self._on_host_gone = on_host_gone
        self._server: asyncio.Server | None = None

    # what bumble.controller.Controller expects of ``host_source``
    def set_packet_sink(self, sink: Any) -> None:
        self.controller_sink = sink

    def attach(self, connection: _HostConnection) -> None:
        old, self.current = self.current, connection
        if old is not None and old.transport is not None:
            old.transport.close()

    def detach(self, connection: _HostConnection) -> None:
        if self.current is connection:
            self.current = None
            self._on_host_gone()

    async def start(self, host: str, port: int) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _HostConnection(self), host, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self.current is not None and self.current.transport is not None:
            self.current.transport.close()
