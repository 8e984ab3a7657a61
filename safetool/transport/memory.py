"""``memory://NAME``: a board running in this same process and event loop.

pyserial has ``loop://`` and python-can a virtual bus for the same reason: where the wire is not
the point, the tool and an emulated board are paired in memory, so a test runs on the event
loop's clock alone (fast-forwarded by ``looptime``) with no process, pty or socket between them.
The board side registers itself under a name; :class:`MemoryTransport` is the tool's end and
behaves as any other transport: bytes in chunks, :class:`LinkLost` when the board drops it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from safetool.messages import Message
from safetool.transport.base import LinkLost, PortNotFound

SCHEME = "memory://"


class BoardEnd(Protocol):
    """The board's side of a memory link (one tool at a time, as on a cable)."""

    @property
    def line_rate_bytes_per_s(self) -> float | None:
        """The link's rate, if the board models one (``--baud``)."""
        ...

    def attach(self, to_tool: Callable[[bytes], None], lost: Callable[[], None]) -> None:
        """A tool plugged in: send it bytes with ``to_tool``; call ``lost`` to pull the cable.
        A new attach replaces the previous tool, whose link is then lost."""
        ...

    def detach(self, to_tool: Callable[[bytes], None]) -> None:
        """The tool that attached with ``to_tool`` let go."""
        ...

    def receive(self, data: bytes) -> None:
        """Bytes from the tool."""
        ...


_BOARDS: dict[str, BoardEnd] = {}


def register(name: str, board: BoardEnd) -> str:
    """Offer ``board`` as ``memory://name``; returns that URL."""
    _BOARDS[name] = board
    return SCHEME + name


def unregister(name: str) -> None:
    _BOARDS.pop(name, None)


class MemoryTransport:
    def __init__(self, url: str) -> None:
        self.url = url
        self.description = url
        self.line_rate_bytes_per_s: float | None = None
        self._board: BoardEnd | None = None
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._lost: LinkLost | None = None

    async def open(self) -> None:
        board = _BOARDS.get(self.url[len(SCHEME) :])
        if board is None:
            raise PortNotFound(
                Message("port.not_found", {"url": self.url}),
                meaning=Message("port.not_found.meaning"),
                next_step=Message("port.list_ports"),
            )
        self._queue = asyncio.Queue()
        self._lost = None
        self._board = board
        self.line_rate_bytes_per_s = board.line_rate_bytes_per_s
        board.attach(self._queue.put_nowait, self._pulled)

    def _pulled(self) -> None:
        self._board = None
        self._queue.put_nowait(None)

    async def write(self, data: bytes) -> None:
        if self._board is None:
            raise self._link_lost()
        self._board.receive(data)
        await asyncio.sleep(0)  # as a real write does: other tasks run before the next one

    async def read(self) -> bytes:
        if self._lost is not None:
            raise self._lost
        data = await self._queue.get()
        if data is None:
            raise self._link_lost()
        return data

    def _link_lost(self) -> LinkLost:
        if self._lost is None:
            self._lost = LinkLost(
                Message("link.lost", {"url": self.url, "detail": ""}),
                meaning=Message("link.lost.meaning"),
                next_step=Message("link.lost.next"),
            )
        return self._lost

    async def close(self) -> None:
        if self._board is not None:
            self._board.detach(self._queue.put_nowait)
            self._board = None
        if self._lost is None:
            self._lost = LinkLost(Message("link.closed", {"port": self.url}))
