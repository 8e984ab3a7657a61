"""Boards from a labgrid environment file (``--lg-env``), for labs that share them through
labgrid's coordinator (docs/hil.md, "labgrid").

Each target of the environment is one board. Where a target names a ``RemotePlace``, the place
is acquired through labgrid's client API before the target is made (labgrid's remote
resources need it) and released when the run ends, also after a failure or Ctrl-C. The
target's serial resource becomes the port safetool opens itself (a ``NetworkSerialPort`` is
RFC 2217 → ``rfc2217://host:port``, or raw TCP → ``socket://host:port``; a local
``RawSerialPort`` or ``USBSerialPort`` its device path); labgrid's ``SerialDriver`` is not
activated, since a port serves one client. The target's power driver (any ``PowerProtocol``
driver: ``ExternalPowerDriver``, ``NetworkPowerDriver``...) gives ``power_cycle``.

A labgrid board has no side channel: keys, door, clock, link model and faults are not among its
capabilities, so the scenarios that need them skip with the reason.

labgrid runs its remote client on an event loop of its own (``run_until_complete``), which
cannot run inside the test's loop; every labgrid call therefore runs in one dedicated thread.
labgrid is imported only there, so this module imports without it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hil.link_trace import tracer_for
from hil.lock_handle import Lock, NotOnThisBoard, Wrap
from safetool.client import LockClient
from safetool.errors import SafetoolError

PKI_PATH = "safetool_pki"
"""The ``paths:`` entry of the environment naming the PKI its boards were provisioned from."""
DEFAULT_COORDINATOR = "127.0.0.1:20408"
NETWORK_PROTOCOLS = {"rfc2217": "rfc2217", "raw": "tcp"}
"""``NetworkSerialPort.protocol`` to the suite's transport name."""

T = TypeVar("T")


class LabgridSetupError(RuntimeError):
    """The environment file, the coordinator or a target cannot give us a board."""


def labgrid_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("labgrid") is not None


@dataclass
class LabgridBoard:
    """One target of the environment, as the suite can use it."""

    role: str
    place: str | None
    port: str
    """What safetool opens: ``rfc2217://host:port?ign_set_control``, ``/dev/ttyUSB0``..."""
    transport: str
    baudrate: int
    power: Any | None = None
    """The target's labgrid ``PowerProtocol`` driver, active; ``None`` when it has none."""
    has_pki: bool = False

    def provides(self) -> frozenset[str]:
        caps = {f"transport:{self.transport}"}
        if self.power is not None:
            caps.add("power_cycle")
        if self.has_pki:
            caps.add("pki")
        return frozenset(caps)

    @property
    def label(self) -> str:
        where = f"place {self.place}" if self.place else "local"
        return f"labgrid {self.role} ({where}) over {self.transport}"


class LabgridBench:
    """The boards of one labgrid environment, with the places this run holds."""

    def __init__(self, env_file: str | Path, coordinator: str | None = None) -> None:
        self.env_file = str(env_file)
        self.name = Path(env_file).name
        self.coordinator = coordinator
        self.pki: Path | None = None
        self.acquired: list[str] = []
        """Places this run acquired (and so releases); places already held are left held."""
        self.held_before: list[str] = []
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="labgrid")
        self._env: Any = None
        self._session: Any = None
        self._boards: list[LabgridBoard] | None = None
        self._failure: str | None = None
        self._closed = False

    # --- running labgrid in its thread ---------------------------------------------------------

    def call(self, work: Callable[..., T], *args: Any) -> T:
        return self._executor.submit(work, *args).result()

    async def acall(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    # --- life cycle ----------------------------------------------------------------------------

    def load(self) -> LabgridBench:
        """Read the environment file (no coordinator yet); raise LabgridSetupError if bad."""
        try:
            self.call(self._load)
        except Exception as exc:
            raise LabgridSetupError(f"--lg-env {self.env_file}: {exc}") from None
        return self

    def _load(self) -> None:
        from labgrid import Environment

        env = Environment(config_file=self.env_file)
        if self.coordinator:
            env.config.set_option("coordinator_address", self.coordinator)
        if not env.config.get_targets():
            raise LabgridSetupError("the environment has no targets")
        pki = env.config.get_paths().get(PKI_PATH)
        self.pki = Path(pki) if pki else None
        self._env = env

    def boards(self) -> list[LabgridBoard]:
        """The boards, acquiring the places the first time; LabgridSetupError if it cannot."""
        if self._boards is None and self._failure is None:
            try:
                self._boards = self.call(self._prepare)
            except Exception as exc:
                self._failure = f"{type(exc).__name__}: {exc}"
        if self._failure is not None:
            raise LabgridSetupError(f"--lg-env {self.env_file}: {self._failure}")
        assert self._boards is not None
        return self._boards

    def provides(self) -> frozenset[str]:
        caps: set[str] = set()
        for board in self.boards():
            caps |= board.provides()
        return frozenset(caps)

    def choose(
        self, needs: list[str], transport: str, busy: list[LabgridBoard]
    ) -> LabgridBoard | None:
        """The first free board that offers everything the test needs over ``transport``."""
        for board in self.boards():
            if board in busy or board.transport != transport:
                continue
            if all(n in board.provides() for n in needs):
                return board
        return None

    def transports(self) -> list[str]:
        return sorted({board.transport for board in self.boards()})

    def close(self) -> None:
        """Deactivate the drivers and release what this run acquired (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.call(self._release)
        finally:
            self._executor.shutdown(wait=True)

    # --- in the labgrid thread -----------------------------------------------------------------

    def _places(self) -> dict[str, str]:
        """Role to the RemotePlace its target names (targets without one are left out)."""
        from labgrid.factory import target_factory

        places: dict[str, str] = {}
        for role, role_config in self._env.config.get_targets().items():
            resources, _ = target_factory.normalize_config(role_config)
            for name in resources.get("RemotePlace", {}):
                places[role] = name
        return places

    def _acquire(self, names: list[str]) -> None:
        from labgrid.remote.client import start_session

        address = self._env.config.get_option(
            "coordinator_address", os.environ.get("LG_COORDINATOR", DEFAULT_COORDINATOR)
        )
        # what labgrid-client's own argument parser would hand the session
        args = argparse.Namespace(place=None, allow_unmatched=False, kick=False)
        self._session = session = start_session(address, extra={"env": self._env, "args": args})
        me = f"{session.gethostname()}/{session.getuser()}"
        for name in names:
            place = session.get_place(name)  # labgrid's UserError names a missing place
            if place.acquired == me:
                self.held_before.append(name)  # acquired by hand before the run: left held
                continue
            session.loop.run_until_complete(session._acquire_place(name))
            self.acquired.append(name)
        # the targets' RemotePlaces expand through this same session, as labgrid-client does
        from labgrid.resource.remote import RemotePlaceManager

        manager = RemotePlaceManager.get()
        manager.session, manager.loop = session, session.loop

    def _prepare(self) -> list[LabgridBoard]:
        places = self._places()
        if places:
            self._acquire(sorted(set(places.values())))
        boards = []
        for role in self._env.config.get_targets():
            target = self._env.get_target(role)
            port, transport, baudrate = _serial_of(target)
            boards.append(
                LabgridBoard(
                    role,
                    places.get(role),
                    port,
                    transport,
                    baudrate,
                    _power_of(target),
                    has_pki=self.pki is not None,
                )
            )
        return boards

    def _release(self) -> None:
        errors: list[str] = []
        if self._env is not None:
            try:
                self._env.cleanup()  # deactivates the drivers (power, ...)
            except Exception as exc:
                errors.append(f"cleanup: {exc}")
        session = self._session
        if session is not None:
            for name in reversed(self.acquired):
                try:
                    session.loop.run_until_complete(session._release_place(name))
                except Exception as exc:
                    errors.append(f"release {name}: {exc}")
            self.acquired = []
            with contextlib.suppress(Exception):
                session.loop.run_until_complete(session.stop())
                session.loop.run_until_complete(session.close())
            self._session = None
        if errors:
            raise LabgridSetupError("; ".join(errors))

    # --- boards as the suite's Locks -----------------------------------------------------------

    async def open(self, board: LabgridBoard) -> LabgridLock:
        client = await _connect(board.port, board.baudrate)
        return LabgridLock(
            client=client,
            port=board.port,
            transport=board.transport,
            label=f"{board.label} [{self.name}]",
            capabilities=board.provides(),
            bench=self,
            source=board,
        )


def _serial_of(target: Any) -> tuple[str, str, int]:
    """The port safetool opens for the target's serial resource, its transport and baud."""
    from labgrid.exceptions import NoResourceFoundError
    from labgrid.resource import NetworkSerialPort, SerialPort
    from labgrid.util.proxy import proxymanager

    try:
        network = target.get_resource(NetworkSerialPort)
    except NoResourceFoundError:
        network = None
    if network is not None:
        transport = NETWORK_PROTOCOLS.get(network.protocol)
        if transport is None:
            raise LabgridSetupError(
                f"target {target.name}: NetworkSerialPort protocol {network.protocol!r} "
                f"(use one of {sorted(NETWORK_PROTOCOLS)})"
            )
        host, port = proxymanager.get_host_and_port(network)  # through LG_PROXY if set
        url = (
            f"rfc2217://{host}:{port}?ign_set_control"
            if transport == "rfc2217"
            else f"socket://{host}:{port}"
        )
        return url, transport, int(network.speed)
    try:
        local = target.get_resource(SerialPort)
    except NoResourceFoundError:
        raise LabgridSetupError(
            f"target {target.name} has no NetworkSerialPort, RawSerialPort or USBSerialPort"
        ) from None
    if not local.port:
        raise LabgridSetupError(f"target {target.name}: serial resource {local} has no port")
    return str(local.port), "serial", int(local.speed)


def _power_of(target: Any) -> Any | None:
    from labgrid.exceptions import NoDriverFoundError
    from labgrid.protocol import PowerProtocol

    try:
        return target.get_driver(PowerProtocol)  # activates it
    except NoDriverFoundError:
        return None


async def _connect(port: str, baudrate: int, attempts: int = 20) -> LockClient:
    """Connect, retrying while the port comes back (a board that was just powered on)."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return await LockClient.connect(
                port, baudrate=baudrate, hello_timeout_s=5, tracer=tracer_for(port)
            )
        except Exception as exc:
            last = exc
            await asyncio.sleep(0.25)
    assert last is not None
    raise last


@dataclass
class LabgridLock(Lock):
    """A board of a labgrid target: power through labgrid, the console held across it."""

    bench: LabgridBench | None = None
    source: LabgridBoard | None = None
    power_cycles: int = 0
    reopened_after_power: int = 0
    """Power cycles after which the link had gone (a USB adapter powered by the board)."""

    async def power_cycle(self, wrap: Wrap | None = None) -> None:
        """Cut the power and restore it with the console open, then say HELLO again (``wrap``
        goes round the link first, as :meth:`Lock.power_cycle` says).

        Opening a port drops what is pending on it (pyserial purges the input; over RFC 2217
        it asks the server to purge), so the console stays open across the power cycle; the
        port is reopened only if the link itself went away.
        """
        if self.bench is None or self.source is None or self.source.power is None:
            raise NotOnThisBoard(f"{self.label}: the labgrid target has no power driver")
        await self.bench.acall(self.source.power.cycle)
        self.power_cycles += 1
        if wrap is not None:
            self.client.transport = wrap(self.client.transport)
        try:
            await self.client.say_hello()  # on the open link: no reopen, nothing purged
            return
        except SafetoolError:  # LinkLost too: the link went with the power
            pass
        deadline = time.monotonic() + 30
        while True:  # reopen it, as Lock.power_cycle does for a rig board
            try:
                await self.client.reconnect()
                self.reopened_after_power += 1
                return
            except SafetoolError:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.25)
