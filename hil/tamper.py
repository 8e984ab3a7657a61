"""A man in the middle of the link, for the attacks: records what the tool writes (one frame per
write) and can change the next frame before it goes out."""

from __future__ import annotations

from collections.abc import Callable

from safetool.client import LockClient
from safetool.transport import Transport


class Tamper:
    """A man in the middle of the link: records what the tool writes (one frame per write) and
    can change the next frame before it goes out."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.description = inner.description
        self.line_rate_bytes_per_s = inner.line_rate_bytes_per_s
        self.written: list[bytes] = []
        self.mangle_next: Callable[[bytes], bytes] | None = None

    async def open(self) -> None:
        await self.inner.open()

    async def write(self, data: bytes) -> None:
        if self.mangle_next is not None:
            data, self.mangle_next = self.mangle_next(data), None
        self.written.append(data)
        await self.inner.write(data)

    async def read(self) -> bytes:
        return await self.inner.read()

    async def close(self) -> None:
        await self.inner.close()


def tap(client: LockClient) -> Tamper:
    """Put a :class:`Tamper` between the connected ``client`` and its (open) link."""
    tamper = Tamper(client.transport)
    client.transport = tamper
    return tamper
