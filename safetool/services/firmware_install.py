"""Installing firmware: one action for any version, newer or older (docs/firmware.md).

1. **Pre-check** (:func:`plan_install`), before any byte of the image is sent: the image
   (signature, model, hardware revision, size), the lock's security floor, battery, lock state
   and free slot, and the version change (``2.3.1 → 2.1.0 (older)``). A refusal names the reason
   and what would allow the install.
2. **Transfer** into the free slot (:mod:`safetool.services.firmware_transfer`), resumed from
   what the lock holds after a disconnect, a reset or a crashed tool.
3. **Activate**: the lock reads the image back, checks its hash and signature, and resets into
   it on trial.
4. **Health check** on the new image (version, lock state, the self-test where the firmware
   has one), then **confirm**; an image that is not confirmed is reverted by the lock itself.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from protocols.catalogue import BoltState, ErrorCode, LockState
from protocols.firmware_delta import make_delta_stream
from protocols.firmware_image import Image
from protocols.firmware_messages import (
    Compression,
    FirmwareActivateRequest,
    FirmwareConfirmRequest,
    FirmwareHashRequest,
    FirmwareHealthRequest,
    FirmwareSlot,
    HealthCheck,
    TrialState,
)
from protocols.firmware_stream import DEFAULT_DICT_SIZE, DeltaBase, ImageStream, make_stream
from safetool.client import LockClient
from safetool.client.errors import DeviceSilent, LockRefused, RequestTimeout, SessionLost
from safetool.client.secure import close_session, open_session
from safetool.errors import SafetoolError
from safetool.identity import TechnicianIdentity
from safetool.messages import Message, render
from safetool.services.diagnostics.model_data import ModelDataError, load_model_data
from safetool.services.events import lock_state_message
from safetool.services.firmware_image import (
    FirmwareImageError,
    InstallPrecheck,
    precheck_install,
)
from safetool.services.firmware_status import FirmwareStatus, read_firmware_status
from safetool.services.firmware_transfer import (
    DEFAULT_WINDOW,
    TransferReport,
    begin,
    send_image,
)
from safetool.transport import LinkLost

DEFAULT_RETRIES = 3
REBOOT_TIMEOUT_S = 20.0
MIN_BATTERY_MV = 5200
"""Below this (the model's battery warning level, when its data has none) no install starts:
a battery that dies half-way leaves the old image running, but the visit has to be repeated."""
RESUMABLE = (LinkLost, RequestTimeout, SessionLost, DeviceSilent)
DELTA_PAYS_BELOW = 0.8
"""A patch is sent only when it is smaller than this share of the full (compressed) stream:
below that, the board's extra base reads and the patch's making are not worth it."""
EVERY_COMPRESSION = (1 << Compression.NONE) | (1 << Compression.LZMA2)

Progress = Callable[["InstallProgress"], None]
BaseFinder = Callable[[str, int], Sequence[Image]]
"""(version, size) of the lock's running image → images that may be it (SPEC.md 20.5)."""


class InstallRefused(FirmwareImageError):
    """The pre-check refused the install: nothing of the image was sent."""


class InstallFailed(SafetoolError):
    """The install started but did not end with the new image confirmed."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class InstallProgress:
    port: str
    serial: str
    phase: str
    """precheck, transfer, activate, reboot, health, confirm, done"""
    done_bytes: int = 0
    total_bytes: int = 0
    seconds: float = 0.0

    @property
    def bytes_per_s(self) -> float:
        return self.done_bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        rate = self.bytes_per_s
        return (self.total_bytes - self.done_bytes) / rate if rate > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "progress",
            "port": self.port,
            "serial": self.serial,
            "phase": self.phase,
            "bytes": self.done_bytes,
            "total": self.total_bytes,
            "bytes_per_s": round(self.bytes_per_s),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
        }


@dataclass(slots=True)
class InstallPlan:
    """A lock that passed the pre-check, and what the install will do to it."""

    port: str
    serial: str
    model: str
    installed_version: str
    new_version: str
    precheck: InstallPrecheck
    status: FirmwareStatus
    battery_mv: int
    finish_only: bool = False
    """The image already runs on trial (an install whose tool stopped before confirming):
    only the health check and the confirmation remain."""
    image_size: int = 0
    """The image's bytes as they go to the lock (up to the end of its unprotected TLVs)."""
    delta: DeltaPlan | None = None
    """A patch from the image the lock runs will be sent instead of the image."""

    @property
    def switch_back(self) -> bool:
        """The slot the image goes to still holds this version at this size (the image the
        lock ran before the last install): once the lock proves by its SHA-256 that it is this
        very image, no image byte is sent (SPEC.md 20.1, issue 18)."""
        if self.finish_only:
            return False
        kept = self.status.slot(self.target_slot)
        return (kept.state, kept.version, kept.size) == ("valid", self.new_version, self.image_size)

    @property
    def delta_message(self) -> Message | None:
        """ "delta from slot A (2.4.0): 9.8 KiB to send instead of 256.0 KiB …", or None."""
        if self.delta is None:
            return None
        return Message(
            "firmware.plan.delta",
            {
                "slot": self.delta.base_slot,
                "base": self.delta.base.version,
                "patch": _kib(self.delta.stream_bytes),
                "image": _kib(self.image_size),
                "full": _kib(self.delta.full_bytes),
            },
        )

    @property
    def change(self) -> str:
        return self.precheck.change

    @property
    def target_slot(self) -> str:
        """Where the image goes: the slot not running, or the one it already runs on trial from."""
        if self.finish_only and self.status.active_slot is not None:
            return self.status.active_slot
        return "B" if self.status.active_slot == "A" else "A"

    def as_dict(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "serial": self.serial,
            "model": self.model,
            "change": self.change,
            "from": self.installed_version,
            "to": self.new_version,
            "security_counter": self.precheck.security_counter,
            "security_floor": self.precheck.floor,
            "raises_floor": self.precheck.raises_floor,
            "battery_mv": self.battery_mv,
            "target_slot": self.target_slot,
            "finish_only": self.finish_only,
            "switch_back": self.switch_back,
            "delta": None if self.delta is None else self.delta.as_dict(),
        }


def _kib(size: int) -> str:
    return f"{size / 1024:.1f}"


@dataclass(frozen=True, slots=True)
class DeltaPlan:
    """A delta install (SPEC.md 20.5): the lock runs ``base``, proved by its hash."""

    patch: ImageStream
    """The patch from the running image to the new one, from 0, as it will be sent (the
    transfer sends this one unless it resumes or the lock decodes less than was assumed)."""
    full_bytes: int
    """What the whole image would take (compressed where that pays)."""

    @property
    def base(self) -> DeltaBase:
        assert self.patch.base is not None
        return self.patch.base

    @property
    def stream_bytes(self) -> int:
        """What the patch takes on the link."""
        return len(self.patch.data)

    @property
    def base_slot(self) -> str:
        return FirmwareSlot(self.base.slot).name

    def as_dict(self) -> dict[str, Any]:
        return {
            "base_slot": self.base_slot,
            "base_version": self.base.version,
            "base_sha256": self.base.sha256.hex(),
            "stream_bytes": self.stream_bytes,
            "full_bytes": self.full_bytes,
        }


@dataclass(slots=True)
class InstallOutcome:
    port: str
    serial: str
    change: str
    version: str
    slot: str
    security_floor: int
    seconds: float
    transfers: list[TransferReport] = field(default_factory=list)
    attempts: int = 1
    interruptions: list[str] = field(default_factory=list)
    """Why each attempt before the last one stopped (a lost link, a lost answer...)."""
    bytes_sent: int = 0
    requests: int = 0
    health: Message | None = None
    """What the health check found (the new image's self-test), coded."""

    @property
    def resumed_from(self) -> list[int]:
        return [t.start for t in self.transfers if t.start]

    def as_dict(self) -> dict[str, Any]:
        last = self.transfers[-1] if self.transfers else None
        base = None if last is None else last.stream.base
        return {
            "event": "result",
            "ok": True,
            "port": self.port,
            "serial": self.serial,
            "change": self.change,
            "version": self.version,
            "slot": self.slot,
            "security_floor": self.security_floor,
            "seconds": round(self.seconds, 3),
            "attempts": self.attempts,
            "interruptions": self.interruptions,
            "resumed_from": self.resumed_from,
            "compression": None if last is None else last.stream.compression.name.lower(),
            "delta_from": None if base is None else base.version,
            "stream_bytes": sum(len(t.stream.data) for t in self.transfers),
            "bytes_sent": self.bytes_sent,
            "round_trips": self.requests,
            "health": render(self.health) if self.health else "",
        }


# ---------------------------------------------------------------------------------------------
# the pre-check


async def plan_install(
    client: LockClient,
    identity: TechnicianIdentity,
    image: Image,
    *,
    port: str,
    source: str,
    bases: BaseFinder | None = None,
) -> InstallPlan:
    """Everything checked before any byte of the image goes out; raise :class:`InstallRefused`.

    ``bases`` finds images of the version and size the lock's running slot holds (the one
    given with ``--base``, those this laptop installed before): one the lock proves it runs
    makes the install a delta, when that pays.
    Leaves the client's secure session open (the install continues in it)."""
    ident = await client.identify()
    lock_status = await client.status()
    await open_session(client, identity)
    status = await read_firmware_status(client)
    precheck = precheck_install(
        image,
        identity.firmware_key,
        source=source,
        model=ident.model,
        hardware_revision=ident.hardware_revision,
        installed_version=ident.firmware_version,
        floor=status.security_floor,
    )
    plan = InstallPlan(
        port=port,
        serial=ident.serial,
        model=ident.model,
        installed_version=ident.firmware_version,
        new_version=str(image.version),
        precheck=precheck,
        status=status,
        battery_mv=lock_status.battery_mv,
        image_size=len(image.image_bytes),
    )
    _check_battery(plan, _battery_floor_mv(ident.model))
    _check_lock_state(plan, LockState(lock_status.lock_state), BoltState(lock_status.bolt))
    if status.trial_pending:
        opening = await begin(client, image.image_bytes)
        sha = hashlib.sha256(image.image_bytes).digest()
        if opening.trial == TrialState.RUNNING and opening.held_sha256 == sha:
            plan.finish_only = True
        else:
            raise InstallRefused(
                Message(
                    "install.refused_trial",
                    {"serial": ident.serial, "version": ident.firmware_version},
                ),
                meaning=Message("install.refused_trial.meaning"),
                next_step=Message(
                    "install.refused_trial.next", {"seconds": opening.trial_seconds_left}
                ),
            )
    if not plan.finish_only and not plan.switch_back and bases is not None:
        plan.delta = await _find_delta(client, status, image.image_bytes, bases)
    return plan


async def _find_delta(
    client: LockClient, status: FirmwareStatus, image: bytes, bases: BaseFinder
) -> DeltaPlan | None:
    """A patch from the image the lock runs, if one of ``bases`` is that very image (its
    version and size match the slot's record, then the lock's own SHA-256 of the slot) and
    the patch pays; else ``None`` (a full transfer)."""
    if status.active_slot is None:
        return None
    running = status.slot(status.active_slot)
    slot = FirmwareSlot[status.active_slot]
    for candidate in bases(running.version, running.size):
        data = candidate.image_bytes
        if (str(candidate.version), len(data)) != (running.version, running.size):
            continue
        try:
            held = await client.request(FirmwareHashRequest(slot, len(data)))
        except LockRefused:
            return None  # firmware without delta installs (UNKNOWN_TYPE)
        if held.sha256 != hashlib.sha256(data).digest():
            continue
        base = DeltaBase(slot.value, data, str(candidate.version))
        sizes = {"supported": EVERY_COMPRESSION, "max_dict_size": DEFAULT_DICT_SIZE}
        patch = make_delta_stream(base, image, 0, **sizes)
        full = make_stream(image, 0, **sizes)
        if len(patch.data) < DELTA_PAYS_BELOW * len(full.data):
            return DeltaPlan(patch, len(full.data))
        return None
    return None


def _battery_floor_mv(model: str) -> float:
    try:
        limits = load_model_data(model).limit("battery_mv")
    except (ModelDataError, KeyError):
        return MIN_BATTERY_MV
    return limits.warn_below if limits.warn_below is not None else MIN_BATTERY_MV


def _check_battery(plan: InstallPlan, floor_mv: float) -> None:
    if plan.battery_mv < floor_mv:
        raise InstallRefused(
            Message(
                "install.refused_battery",
                {
                    "serial": plan.serial,
                    "volts": f"{plan.battery_mv / 1000:.2f}",
                    "needed": f"{floor_mv / 1000:.2f}",
                },
            ),
            meaning=Message("install.refused_battery.meaning"),
            next_step=Message("install.refused_battery.next"),
        )


def _check_lock_state(plan: InstallPlan, state: LockState, bolt: BoltState) -> None:
    why = {
        LockState.PENALTY_LOCKOUT: "penalty_lockout",
        LockState.HARD_LOCKOUT: "hard_lockout",
        LockState.TIME_DELAY: "time_delay",
        LockState.OPENING_WINDOW: "opening_window",
    }.get(state)
    if why is None and bolt is BoltState.MOVING:
        why = "bolt_moving"
    if why is not None:
        raise InstallRefused(
            Message(
                "install.refused_busy",
                {"serial": plan.serial, "why": Message(f"install.busy.{why}")},
            ),
            meaning=Message("install.refused_busy.meaning"),
            next_step=Message(f"install.busy.{why}.next"),
        )


# ---------------------------------------------------------------------------------------------
# the install

ACTIVATE_PROCESSING_S = 5.0
"""The lock reads the whole image back, hashes it and checks its signature before it answers
ACTIVATE: no resend meanwhile (a resend that reaches the rebooted lock finds no session)."""


async def install(
    client: LockClient,
    identity: TechnicianIdentity,
    image: Image,
    plan: InstallPlan,
    *,
    progress: Progress | None = None,
    retries: int = DEFAULT_RETRIES,
    window: int = DEFAULT_WINDOW,
) -> InstallOutcome:
    """Transfer, activate, health-check and confirm on a lock that passed :func:`plan_install`
    (its session still open). Link failures are retried ``retries`` times, resuming."""
    started = asyncio.get_running_loop().time()
    sent_before, requests_before = client.bytes_sent, client.requests_sent
    outcome = InstallOutcome(
        port=plan.port,
        serial=plan.serial,
        change=plan.change,
        version=plan.new_version,
        slot="",
        security_floor=plan.precheck.floor,
        seconds=0.0,
    )

    def tell(phase: str, done: int = 0, total: int = 0, seconds: float = 0.0) -> None:
        if progress is not None:
            progress(InstallProgress(plan.port, plan.serial, phase, done, total, seconds))

    data = image.image_bytes
    if not plan.finish_only:
        restarts: list[int | None] = []

        async def work() -> None:
            restarts.append(
                await _transfer_and_activate(client, data, outcome, tell, window, plan.delta)
            )

        await _with_resume(client, identity, retries, outcome, work)
        tell("reboot")
        if restarts[-1] is not None:
            await _wait_for_reboot(client, restarts[-1])
    tell("health")
    await _open_session_retrying(client, identity, outcome)
    outcome.health = await _health_check(client, plan)
    tell("confirm")
    confirmed = await client.request(FirmwareConfirmRequest())
    outcome.slot = confirmed.slot.name
    outcome.security_floor = confirmed.security_floor
    await close_session(client)
    outcome.seconds = asyncio.get_running_loop().time() - started
    outcome.bytes_sent = client.bytes_sent - sent_before
    outcome.requests = client.requests_sent - requests_before
    tell("done", len(data), len(data), outcome.seconds)
    return outcome


async def _transfer_and_activate(
    client: LockClient,
    data: bytes,
    outcome: InstallOutcome,
    tell: Callable[[str, int, int, float], None],
    window: int,
    delta: DeltaPlan | None = None,
) -> int | None:
    """Send and activate; return the lock's restart count before ACTIVATE (``None`` if it had
    already activated this image and restarted into it: an answer lost on the way)."""
    sha = hashlib.sha256(data).digest()
    opening = await begin(client, data)
    if opening.trial == TrialState.RUNNING:
        if opening.held_sha256 == sha:
            outcome.slot = opening.slot.name
            return None
        raise InstallFailed(
            Message("install.failed.other_trial", {"serial": outcome.serial}),
            next_step=Message("install.failed.other_trial.next"),
        )
    report = await send_image(
        client,
        data,
        opening,
        window=window,
        progress=lambda done, total, seconds: tell("transfer", done, total, seconds),
        delta=None if delta is None else delta.patch,
    )
    outcome.transfers.append(report)
    tell("activate", len(data), len(data), report.seconds)
    restarts = client.board_restarts
    try:
        answer = await client.request(
            FirmwareActivateRequest(sha),
            timeout_s=client.timeout_s + ACTIVATE_PROCESSING_S,
            processing_s=ACTIVATE_PROCESSING_S,
        )
    except LockRefused as refusal:
        raise InstallFailed(
            Message(
                "install.failed.not_activated", {"serial": outcome.serial, "detail": refusal.detail}
            ),
            meaning=Message("install.failed.not_activated.meaning"),
            next_step=Message("install.failed.not_activated.next"),
        ) from None
    if answer.image_sha256 != sha:
        raise InstallFailed(
            Message("install.failed.read_back", {"serial": outcome.serial}),
            next_step=Message("install.failed.again"),
        )
    outcome.slot = answer.slot.name
    return restarts


async def _with_resume(
    client: LockClient,
    identity: TechnicianIdentity,
    retries: int,
    outcome: InstallOutcome,
    work: Callable[[], Awaitable[None]],
) -> None:
    for attempt in range(retries + 1):
        try:
            await work()
            return
        except RESUMABLE as error:
            if attempt == retries:
                raise InstallFailed(
                    Message(
                        "install.failed.interrupted",
                        {"serial": outcome.serial, "error": error.coded[0]},
                    ),
                    meaning=Message("install.failed.interrupted.meaning"),
                    next_step=Message("install.failed.interrupted.next"),
                ) from None
            outcome.attempts += 1
            outcome.interruptions.append(str(error))
            await asyncio.sleep(0.2 * (attempt + 1))
            await _reconnect(client)
            await _open_session_retrying(client, identity, outcome)


async def _reconnect(client: LockClient, timeout_s: float = REBOOT_TIMEOUT_S) -> None:
    loop = asyncio.get_running_loop()  # the clock the loop's own timers keep
    deadline = loop.time() + timeout_s
    while True:
        try:
            await client.reconnect()
            return
        except SafetoolError:
            if loop.time() >= deadline:
                raise
            await asyncio.sleep(0.2)


async def _open_session_retrying(
    client: LockClient, identity: TechnicianIdentity, outcome: InstallOutcome
) -> None:
    """A new session after a reconnect, with the lock the install was planned for: a port can
    come back as another lock's (a cable moved, a USB adapter renumbered), whose checks
    (battery, floor, state) were never made, so the install stops there, sending it nothing."""
    for attempt in range(3):
        try:
            session = await open_session(client, identity)
        except RESUMABLE:
            if attempt == 2:
                raise
            await _reconnect(client)
            continue
        if session.serial != outcome.serial:
            raise InstallFailed(
                Message(
                    "install.failed.another_lock",
                    {"port": outcome.port, "found": session.serial, "serial": outcome.serial},
                ),
                meaning=Message("install.failed.another_lock.meaning", {"serial": outcome.serial}),
                next_step=Message("install.failed.another_lock.next", {"serial": outcome.serial}),
            )
        return


async def _wait_for_reboot(client: LockClient, restarts: int) -> None:
    """The lock resets into the new image: reconnect until its boot id has changed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REBOOT_TIMEOUT_S
    while client.board_restarts == restarts:
        if loop.time() >= deadline:
            raise InstallFailed(
                Message("install.failed.no_restart"),
                meaning=Message("install.failed.no_restart.meaning"),
                next_step=Message("install.failed.no_restart.next"),
            )
        await asyncio.sleep(0.1)
        try:
            await client.reconnect()
        except SafetoolError:
            continue


async def _health_check(client: LockClient, plan: InstallPlan) -> Message:
    """The new image must run, on trial, with the lock in a sane state; return a summary."""
    ident = await client.identify()
    status = await read_firmware_status(client)
    if ident.firmware_version != plan.new_version or not status.trial_pending:
        raise InstallFailed(
            Message(
                "install.failed.not_booted",
                {
                    "serial": plan.serial,
                    "version": ident.firmware_version,
                    "result": status.last_result_message,
                },
            ),
            meaning=Message("install.failed.not_booted.meaning"),
            next_step=Message("install.failed.not_booted.next"),
        )
    lock = await client.status()
    if lock.lock_state not in (LockState.LOCKED, LockState.UNLOCKED):
        raise InstallFailed(
            Message(
                "install.failed.bad_state",
                {"serial": plan.serial, "state": lock_state_message(LockState(lock.lock_state))},
            ),
            meaning=Message("install.failed.bad_state.meaning"),
            next_step=Message("install.failed.bad_state.next"),
        )
    try:
        health = await client.request(FirmwareHealthRequest())
    except LockRefused as refusal:
        if refusal.code == ErrorCode.UNKNOWN_TYPE:
            return Message("firmware.health.no_selftest", {"version": plan.new_version})
        raise
    failed = [
        Message(f"install.health_check.{check.name.lower()}")
        for check in HealthCheck
        if health.failed & check
    ]
    if failed:
        raise InstallFailed(
            Message("install.failed.self_test", {"serial": plan.serial, "checks": failed}),
            meaning=Message("install.failed.self_test.meaning"),
            next_step=Message("install.failed.self_test.next"),
        )
    return Message("firmware.health.passed", {"errors": health.errors})
