"""The board's flash: two firmware slots (A and B) of 4 KiB pages, and the bootloader's state.

Each slot is a file in the board's state directory (``flash-slot-a.bin``, ``flash-slot-b.bin``),
so what is programmed survives power cycles as real flash does. It behaves as NOR flash: an
erase sets a whole page to 0xFF, programming can only clear bits (new = old AND data), and every
operation costs time (``erase_page_s``, ``program_page_s``), added to :attr:`Flash.busy_s`
rather than slept, so a caller decides what the time means.

The bootloader's own small state (active slot, trial state, security floor, last install
result) lives beside the slots in ``bootloader-state.json``, and the install's resume record in
``transfer-record.json``; both are written atomically like :mod:`firmware.storage`: a new file,
fsync, rename.

Power-cut fault: :meth:`Flash.arm_power_cut` makes the K-th operation from now (page erase, page
program, state or record write) fail half-way and raise :class:`PowerCut`: half the page erased
or programmed, a state write not done at all (its rename never happened).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

PAGE_SIZE = 4096
DEFAULT_SLOT_SIZE = 0x60000
"""SL-100's slot size (as ``safetool.services.firmware_image.SLOT_SIZES``)."""
SLOTS = ("A", "B")
ERASED = 0xFF
BOOT_STATE_FILE = "bootloader-state.json"
RECORD_FILE = "transfer-record.json"


class FlashError(ValueError):
    """An operation outside a slot, or on a slot that does not exist."""


class PowerCut(Exception):
    """Power failed during a flash operation (the fault hook); the board is off."""


def other_slot(slot: str | None) -> str:
    """The slot that is not ``slot`` (A when none runs: the factory image)."""
    return "B" if slot == "A" else "A"


@dataclass(slots=True)
class BootState:
    """What the bootloader keeps between resets."""

    active: str | None = None
    """The slot the board runs from; ``None`` runs the built-in factory image."""
    trial: bool = False
    """The active slot's image is on trial: unless confirmed before the next reset, revert."""
    next_boot: str | None = None
    """A slot to activate at the next boot (programmed since the last boot)."""
    next_boot_trial: bool = False
    security_floor: int = 0
    """The highest SEC_CNT of any confirmed image."""
    last_result: int = 0
    """``protocols.firmware_messages.InstallResult`` of the last activation."""


class Flash:
    def __init__(
        self,
        directory: Path | None,
        *,
        slot_size: int = DEFAULT_SLOT_SIZE,
        erase_page_s: float = 0.025,
        program_page_s: float = 0.008,
    ) -> None:
        """``directory`` of ``None`` keeps the flash in memory (it dies with the process)."""
        if slot_size <= 0 or slot_size % PAGE_SIZE:
            raise FlashError(
                f"slot size {slot_size} is not a whole number of {PAGE_SIZE}-byte pages"
            )
        self.directory = directory
        self.slot_size = slot_size
        self.erase_page_s = erase_page_s
        self.program_page_s = program_page_s
        self.busy_s = 0.0
        self.operations = 0
        self.audit_appends = 0
        self._memory: dict[str, bytearray] = {}
        self._memory_state: BootState | None = None
        self._memory_record: dict[str, object] | None = None
        self._cut_at_operation: int | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    @property
    def pages_per_slot(self) -> int:
        return self.slot_size // PAGE_SIZE

    # --- slots ---------------------------------------------------------------------------------

    def slot_path(self, slot: str) -> Path | None:
        self._check(slot, 0, 0)
        return None if self.directory is None else self.directory / f"flash-slot-{slot.lower()}.bin"

    def read(self, slot: str, offset: int = 0, length: int | None = None) -> bytes:
        length = self.slot_size - offset if length is None else length
        self._check(slot, offset, length)
        path = self.slot_path(slot)
        if path is None:
            memory = self._memory.get(slot)
            return (
                bytes([ERASED]) * length
                if memory is None
                else bytes(memory[offset : offset + length])
            )
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(length)
        except FileNotFoundError:
            data = b""
        return data + bytes([ERASED]) * (length - len(data))

    # --- power-cut fault -------------------------------------------------------------------------

    def arm_power_cut(self, operation: int) -> None:
        """Cut power during the ``operation``-th flash operation from now (1 = the next)."""
        if operation < 1:
            raise FlashError("the power cut must come at operation 1 or later")
        self._cut_at_operation = self.operations + operation

    def disarm_power_cut(self) -> None:
        self._cut_at_operation = None

    @property
    def power_cut_armed(self) -> bool:
        return self._cut_at_operation is not None

    def count_audit_append(self) -> bool:
        """An append to the audit trail: a flash operation the power-cut fault strikes like any
        other, counted apart too (``operations - audit_appends`` are the slot and state work)."""
        self.audit_appends += 1
        return self.count_operation()

    def count_operation(self) -> bool:
        """Count one operation; ``True`` if power fails during it."""
        self.operations += 1
        if self._cut_at_operation is not None and self.operations >= self._cut_at_operation:
            self._cut_at_operation = None
            return True
        return False

    # --- erase and program -------------------------------------------------------------------

    def erase_page(self, slot: str, page: int) -> None:
        if not 0 <= page < self.pages_per_slot:
            raise FlashError(f"slot {slot} has no page {page}")
        if self.count_operation():
            self._write(slot, page * PAGE_SIZE, bytes([ERASED]) * (PAGE_SIZE // 2))
            raise PowerCut(f"power cut while erasing page {page} of slot {slot}")
        self._write(slot, page * PAGE_SIZE, bytes([ERASED]) * PAGE_SIZE)
        self.busy_s += self.erase_page_s

    def program(self, slot: str, offset: int, data: bytes) -> None:
        """Program ``data`` at ``offset``: bits only go from 1 to 0, as on NOR flash."""
        self._check(slot, offset, len(data))
        cut = self.count_operation()
        if cut:
            data = data[: len(data) // 2]
        old = self.read(slot, offset, len(data))
        cleared = int.from_bytes(old, "big") & int.from_bytes(data, "big")
        self._write(slot, offset, cleared.to_bytes(len(data), "big"))
        if cut:
            raise PowerCut(f"power cut while programming slot {slot} at {offset}")
        first, last = offset // PAGE_SIZE, (offset + max(len(data), 1) - 1) // PAGE_SIZE
        self.busy_s += self.program_page_s * (last - first + 1)

    def erase_slot(self, slot: str, length: int | None = None) -> None:
        """Erase the pages that hold the first ``length`` bytes (default: the whole slot)."""
        length = self.slot_size if length is None else length
        self._check(slot, 0, length)
        for page in range(-(-length // PAGE_SIZE)):
            self.erase_page(slot, page)

    def write_image(self, slot: str, data: bytes) -> None:
        """Erase what ``data`` needs, then program it page by page (a production programmer)."""
        self._check(slot, 0, len(data))
        self.erase_slot(slot, len(data))
        for offset in range(0, len(data), PAGE_SIZE):
            self.program(slot, offset, data[offset : offset + PAGE_SIZE])

    def is_erased(self, slot: str, length: int = 32) -> bool:
        return self.read(slot, 0, length) == bytes([ERASED]) * length

    def _check(self, slot: str, offset: int, length: int) -> None:
        if slot not in SLOTS:
            raise FlashError(f"no slot {slot!r} (slots: {', '.join(SLOTS)})")
        if offset < 0 or length < 0 or offset + length > self.slot_size:
            raise FlashError(
                f"{length} bytes at {offset} do not fit slot {slot} ({self.slot_size} bytes)"
            )

    def _write(self, slot: str, offset: int, data: bytes) -> None:
        path = self.slot_path(slot)
        if path is None:
            memory = self._memory.setdefault(slot, bytearray([ERASED]) * self.slot_size)
            memory[offset : offset + len(data)] = data
            return
        if not path.exists():
            path.write_bytes(bytes([ERASED]) * self.slot_size)
        with open(path, "r+b") as handle:
            handle.seek(offset)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    # --- bootloader state ----------------------------------------------------------------------

    def load_state(self) -> BootState:
        if self.directory is None:
            return (
                BootState()
                if self._memory_state is None
                else BootState(**asdict(self._memory_state))
            )
        try:
            saved = json.loads((self.directory / BOOT_STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return BootState()
        known = BootState.__dataclass_fields__
        return BootState(**{k: v for k, v in saved.items() if k in known})

    def save_state(self, state: BootState) -> None:
        if self.count_operation():
            raise PowerCut("power cut while saving the bootloader state")
        if self.directory is None:
            self._memory_state = BootState(**asdict(state))
            return
        self._save_json(BOOT_STATE_FILE, asdict(state))

    # --- the install's resume record -----------------------------------------------------------

    def load_record(self) -> dict[str, object] | None:
        """What an unfinished install has recorded (``firmware.updater``), if anything."""
        if self.directory is None:
            return None if self._memory_record is None else dict(self._memory_record)
        try:
            saved = json.loads((self.directory / RECORD_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return saved if isinstance(saved, dict) else None

    def save_record(self, record: dict[str, object] | None) -> None:
        if self.count_operation():
            raise PowerCut("power cut while saving the install record")
        if self.directory is None:
            self._memory_record = None if record is None else dict(record)
            return
        if record is None:
            (self.directory / RECORD_FILE).unlink(missing_ok=True)
            return
        self._save_json(RECORD_FILE, record)

    def _save_json(self, name: str, data: dict[str, object]) -> None:
        assert self.directory is not None
        path = self.directory / name
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
