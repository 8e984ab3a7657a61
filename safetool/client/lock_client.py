"""``LockClient``: an async conversation with one lock over any transport.

The sans-IO :class:`~protocols.tool.ToolConnection` decides everything (sequence numbers,
matching, resends, deadlines); this class only moves bytes between it and the transport, runs
its timers, and turns its events into awaited results and an event stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TypeVar, cast

from protocols.catalogue import ErrorCode
from protocols.events import (
    FrameRejected,
    LockEventReceived,
    RequestAborted,
    RequestTimedOut,
    ResponseReceived,
    SessionEnded,
    StaleResponse,
)
from protocols.messages import (
    ErrorResponse,
    HelloResponse,
    IdentifyRequest,
    IdentifyResponse,
    PingRequest,
    PingResponse,
    Request,
    Response,
    StatusRequest,
    StatusResponse,
)
from protocols.retransmit import RetransmitPolicy
from protocols.tool import ToolConnection
from safetool.client.errors import (
    DeviceSilent,
    LockRefused,
    ProtocolMismatch,
    RequestTimeout,
    SessionLost,
)
from safetool.messages import Message
from safetool.transport import DEFAULT_BAUD, LinkLost, Tracer, Transport, make_transport

R = TypeVar("R", bound=Response)

DEFAULT_TIMEOUT_S = 3.0
HELLO_TIMEOUT_S = 2.0
EVENT_QUEUE_SIZE = 1000
SHORTEST_WAIT_S = 1e-6


def loop_time() -> float:
    """The running event loop's clock, which its timers keep (``time.monotonic`` outside a
    loop, as the loop's own is): resends are scheduled and waited for on one clock, so a test
    that fast-forwards the loop (looptime) fast-forwards them too."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()


def _sooner(deadline: float | None, than: float | None) -> bool:
    """Whether ``deadline`` comes before ``than`` (``None``: no deadline, never)."""
    return deadline is not None and (than is None or deadline < than)


class LockClient:
    def __init__(
        self,
        transport: Transport,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        hello_timeout_s: float = HELLO_TIMEOUT_S,
        clock: Callable[[], float] | None = None,
        policy: RetransmitPolicy | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.transport = transport
        self.timeout_s = timeout_s
        self.hello_timeout_s = hello_timeout_s
        self._clock = clock or loop_time
        self._policy = policy
        self._tracer = tracer
        self.connection = ToolConnection(self._clock, policy=policy)
        self.connection.line_rate_bytes_per_s = transport.line_rate_bytes_per_s
        self.hello: HelloResponse | None = None
        self.board_restarts = 0
        """Times the board's boot id changed between link sessions (it reset or lost power)."""
        self._waiting: dict[int, asyncio.Future[Response]] = {}
        self._subscribers: list[asyncio.Queue[LockEventReceived | LinkLost]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._timer_wakeup = asyncio.Event()
        self._lost: LinkLost | None = None
        self.session_end_reason: str | None = None
        """Why the last secure session ended, if one did."""
        self.bytes_sent = 0
        self.bytes_received = 0
        self.requests_sent = 0
        """Requests sent (resends not counted): the round trips a job took."""

    # --- life cycle ----------------------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        port: str,
        *,
        baudrate: int = DEFAULT_BAUD,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        hello_timeout_s: float = HELLO_TIMEOUT_S,
        tracer: Tracer | None = None,
    ) -> LockClient:
        """Open ``port`` (any pyserial URL) and say HELLO; raise a technician-facing error."""
        client = cls(
            make_transport(port, baudrate=baudrate),
            timeout_s=timeout_s,
            hello_timeout_s=hello_timeout_s,
            tracer=tracer,
        )
        await client.open()
        return client

    async def open(self) -> None:
        await self.transport.open()
        # a link may learn its rate only once connected (BLE: the negotiated ATT MTU)
        self.connection.line_rate_bytes_per_s = self.transport.line_rate_bytes_per_s
        self._lost = None
        self._tasks = [
            asyncio.create_task(self._read_forever(), name="lock-client-reader"),
            asyncio.create_task(self._run_timers(), name="lock-client-timers"),
        ]
        try:
            await self.say_hello()
        except BaseException:
            await self.close()
            raise

    async def say_hello(self) -> None:
        """Open a new link session with HELLO on the open link: what ``open`` does, and what a
        bench does after power-cycling a board under a console it kept open (reopening a port
        drops the bytes pending on it)."""
        self.connection.end_session("a new link session (HELLO)")
        previous_boot = self.connection.boot_id
        try:
            hello = await self.request(self.connection.hello(), timeout_s=self.hello_timeout_s)
        except RequestTimeout:
            raise DeviceSilent(
                Message("link.silent", {"port": self.transport.description}),
                meaning=Message("link.silent.meaning"),
                next_step=Message("link.silent.next"),
            ) from None
        except LockRefused as refusal:
            if refusal.code == ErrorCode.UNSUPPORTED_VERSION:
                raise ProtocolMismatch(
                    Message("link.no_common_version"),
                    meaning=Message("link.lock_said", {"detail": refusal.detail}),
                    next_step=Message("link.no_common_version.next"),
                ) from None
            raise
        if previous_boot is not None and hello.boot_id != previous_boot:
            self.board_restarts += 1
        self.hello = hello

    async def reconnect(self) -> None:
        """Close and reopen the link (e.g. after the board reset), then say HELLO again."""
        await self._stop_tasks()
        with contextlib.suppress(Exception):
            await self.transport.close()
        self._fail_everything(LinkLost(Message("link.reconnecting")))
        await self.open()

    async def close(self) -> None:
        await self._stop_tasks()
        with contextlib.suppress(Exception):
            await self.transport.close()
        self._fail_everything(LinkLost(Message("link.connection_closed")))

    async def _stop_tasks(self) -> None:
        pending = {task for task in self._tasks if not task.done()}
        while pending:  # a task that swallowed its cancel is cancelled again
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        for task in self._tasks:
            if not task.cancelled():
                task.exception()  # retrieved, so none is reported as never retrieved
        self._tasks = []

    async def __aenter__(self) -> LockClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- requests ------------------------------------------------------------------------------

    async def request(
        self, request: Request[R], *, timeout_s: float | None = None, processing_s: float = 0.0
    ) -> R:
        """Send ``request`` and wait for its answer, typed by the request (``Request[R]``);
        resends happen underneath. A refusal raises :class:`LockRefused`."""
        if self._lost is not None:
            raise self._lost
        timeout = self.timeout_s if timeout_s is None else timeout_s
        seq = self.connection.send_request(request, timeout_s=timeout, processing_s=processing_s)
        self.requests_sent += 1
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._waiting[seq] = future
        self._timer_wakeup.set()
        try:
            await self._flush()
            response = await future
        finally:
            self._waiting.pop(seq, None)
            self.connection.cancel(seq)
        if isinstance(response, ErrorResponse):
            raise LockRefused(response.code, response.detail, type(request).__name__)
        # The connection delivers only the request's RESPONSE or an ErrorResponse (tool.py).
        return cast(R, response)

    async def identify(self) -> IdentifyResponse:
        return await self.request(IdentifyRequest())

    async def status(self) -> StatusResponse:
        return await self.request(StatusRequest())

    async def ping(self, data: bytes = b"") -> PingResponse:
        return await self.request(PingRequest(data))

    # --- events --------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[LockEventReceived]:
        """Lock events as they arrive, until the link is lost (then :class:`LinkLost`)."""
        queue: asyncio.Queue[LockEventReceived | LinkLost] = asyncio.Queue(EVENT_QUEUE_SIZE)
        self._subscribers.append(queue)
        try:
            while True:
                if self._lost is not None and queue.empty():
                    raise self._lost
                item = await queue.get()
                if isinstance(item, LinkLost):
                    raise item
                yield item
        finally:
            self._subscribers.remove(queue)

    # --- the pump ------------------------------------------------------------------------------

    async def _flush(self) -> None:
        data = self.connection.data_to_send()
        if not data:
            return
        if self._tracer is not None:
            self._tracer("tx", data)
        self.bytes_sent += len(data)
        try:
            await self.transport.write(data)
        except LinkLost as lost:
            self._fail_everything(lost)
            raise

    async def _read_forever(self) -> None:
        try:
            while True:
                data = await self.transport.read()
                self.bytes_received += len(data)
                if self._tracer is not None:
                    self._tracer("rx", data)
                waiting_until = self.connection.next_deadline()
                self.connection.receive_data(data)
                if _sooner(self.connection.next_deadline(), waiting_until):
                    # the timer task sleeps until the deadline it last read: what came brought
                    # one forward (a damaged frame hurries the resend, SPEC.md 7.1)
                    self._timer_wakeup.set()
                self._dispatch()
                await self._flush()
        except LinkLost as lost:
            self._fail_everything(lost)

    async def _run_timers(self) -> None:
        with contextlib.suppress(LinkLost):
            while True:
                deadline = self.connection.next_deadline()
                self._timer_wakeup.clear()
                if deadline is None:
                    await self._timer_wakeup.wait()
                    continue
                delay = deadline - self._clock()
                if delay > 0:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
                    # lands as the event is set, and close() then waits for this task forever
                    # at least a microsecond: a deadline a rounding error ahead is otherwise
                    # already due for the loop, and on a fast-forwarded clock (looptime) the
                    # wait would end and begin again with the clock never moving
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(max(delay, SHORTEST_WAIT_S)):
                            await self._timer_wakeup.wait()
                    continue
                self.connection.handle_timers()
                self._dispatch()
                await self._flush()

    def _dispatch(self) -> None:
        while (event := self.connection.next_event()) is not None:
            if isinstance(event, ResponseReceived):
                future = self._waiting.get(event.seq)
                if future is not None and not future.done():
                    future.set_result(event.response)
            elif isinstance(event, RequestTimedOut):
                future = self._waiting.get(event.seq)
                if future is not None and not future.done():
                    future.set_exception(
                        RequestTimeout(
                            Message(
                                "link.no_answer",
                                {"request": type(event.request).__name__, "count": event.attempts},
                            ),
                            meaning=Message("link.no_answer.meaning"),
                            next_step=Message("link.no_answer.next"),
                        )
                    )
            elif isinstance(event, LockEventReceived):
                for queue in self._subscribers:
                    if queue.full():
                        queue.get_nowait()  # a slow reader loses the oldest, never blocks us
                    queue.put_nowait(event)
            elif isinstance(event, RequestAborted):
                future = self._waiting.get(event.seq)
                if future is not None and not future.done():
                    future.set_exception(
                        SessionLost(
                            Message(
                                "session.lost",
                                {"request": type(event.request).__name__, "reason": event.reason},
                            ),
                            meaning=Message("session.lost.meaning"),
                            next_step=Message("session.lost.next"),
                        )
                    )
            elif isinstance(event, SessionEnded):
                self.session_end_reason = event.reason
            elif isinstance(event, (StaleResponse, FrameRejected)):
                pass  # counted in connection.stats / stale_responses; never delivered

    def _fail_everything(self, lost: LinkLost) -> None:
        """The link is gone: every waiting request ends now, not at its timeout."""
        if self._lost is None:
            self._lost = lost
        self.connection.cancel_all()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(lost)
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(lost)
