"""BLE failures, per operating system, as errors a technician can act on."""

from __future__ import annotations

import platform
import sys

from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)

from safetool.transport.base import PortNotFound, PortPermissionDenied, TransportError


class BluetoothUnavailable(TransportError):
    """Bluetooth is off, or this computer has no Bluetooth adapter."""


class BluezMissing(TransportError):
    """Linux: the BlueZ service (bluetoothd) or D-Bus is not there."""


class BluetoothPermissionDenied(PortPermissionDenied):
    """The operating system does not let this program use Bluetooth."""


class WindowsUnsupported(TransportError):
    """Windows is too old for BLE, or the threading model conflicts with it."""


class LockNotFound(PortNotFound):
    """No lock with that address, name or serial answered: off, asleep or out of range."""


class PairingRequired(TransportError):
    """The lock wants the laptop paired before it opens its service."""


_BLUEZ_MISSING = (
    "org.bluez",
    "serviceunknown",
    "no such file or directory",
    "dbus_session_bus_address",
    "/run/dbus/system_bus_socket",
    "connection refused",
)


def macos_permission_error() -> BluetoothPermissionDenied:
    return BluetoothPermissionDenied(
        "macOS does not allow this terminal to use Bluetooth.",
        meaning="Without that permission macOS ends the program without a message, so safetool "
        "stopped before touching Bluetooth.",
        next_step="Open System Settings → Privacy & Security → Bluetooth, allow your terminal "
        "app (Terminal, iTerm, VS Code), then quit and reopen it.",
    )


def check_macos_permission() -> None:
    """macOS kills a process that touches Bluetooth without the terminal's permission, with no
    message: ask CoreBluetooth first (restricted = 1, denied = 2) and explain instead."""
    if _os() != "darwin":
        return
    try:
        from CoreBluetooth import CBManager  # type: ignore[import-not-found]  # pyobjc, via bleak
    except ImportError:
        return
    if int(CBManager.authorization()) in (1, 2):
        raise macos_permission_error()


def check_platform() -> None:
    """What must hold before safetool touches the system's Bluetooth at all."""
    check_macos_permission()
    error = windows_version_error()
    if error is not None:
        raise error


def windows_version_error() -> WindowsUnsupported | None:
    """Bleak needs Windows 10 version 1709 (build 16299) or newer."""
    if _os() != "win32":
        return None
    try:
        build = int(platform.version().split(".")[2])
    except (IndexError, ValueError):
        return None
    if build >= 16299:
        return None
    return WindowsUnsupported(
        f"This Windows (build {build}) is too old for Bluetooth Low Energy.",
        meaning="BLE needs Windows 10 version 1709 (build 16299) or newer.",
        next_step="Update Windows, or use the lock's USB service cable.",
    )


def not_found(target: str, timeout_s: float | None = None) -> LockNotFound:
    within = "" if timeout_s is None else f" within {timeout_s:g} s"
    return LockNotFound(
        f"No lock matching {target!r} answered over Bluetooth{within}.",
        meaning="The lock is off, asleep, out of range (BLE reaches about 10 m through a safe "
        "door, less through steel), or already connected to another phone or laptop.",
        next_step="Wake the lock (press a key), come closer, disconnect other apps, and run "
        "`safetool scan` to see the names and addresses in range.",
    )


def describe_ble_error(target: str, exc: BaseException) -> TransportError:
    """Turn bleak's and the OS stack's errors into ones a technician can act on."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, TransportError):
        return exc
    if "SAFETOOL_BLE_HCI=" in text:
        return BluetoothUnavailable(
            f"The Bluetooth controller named by {text.split(' ', 1)[0]} cannot be used.",
            meaning=f"SAFETOOL_BLE_HCI points safetool at an emulated radio; {text}.",
            next_step="Start the emulated board (`safetool emulate --ble`) and set "
            "SAFETOOL_BLE_HCI to its ready line's hci, or unset it to use this computer's "
            "Bluetooth.",
        )
    if isinstance(exc, BleakBluetoothNotAvailableError):
        reason = exc.reason
        if reason in (
            BleakBluetoothNotAvailableReason.DENIED_BY_USER,
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM,
            BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN,
        ):
            if _os() == "darwin":
                return macos_permission_error()
            return _linux_permission(text)
        if reason == BleakBluetoothNotAvailableReason.POWERED_OFF:
            return BluetoothUnavailable(
                "Bluetooth is turned off on this computer.",
                meaning="No lock can be reached over BLE until it is on.",
                next_step="Turn Bluetooth on (system settings or the airplane-mode switch) "
                "and try again.",
            )
        return BluetoothUnavailable(
            f"This computer has no usable Bluetooth adapter ({text}).",
            meaning="BLE needs a Bluetooth 4.0 or newer adapter that can act as central.",
            next_step="Plug in a Bluetooth 4.0+ USB adapter, or use the lock's USB service cable.",
        )
    if isinstance(exc, BleakDBusError) and "accessdenied" in lowered.replace(".", ""):
        return _linux_permission(text)
    if isinstance(exc, BleakDBusError) or (
        _os().startswith("linux") and any(m in lowered for m in _BLUEZ_MISSING)
    ):
        return BluezMissing(
            f"The Linux Bluetooth service is not available ({text}).",
            meaning="safetool talks to BLE through BlueZ (bluetoothd) over D-Bus.",
            next_step="Install and start it: sudo apt install bluez && sudo systemctl enable "
            "--now bluetooth (in a container, share the host's /run/dbus).",
        )
    if "threading model" in lowered or "thread is configured for windows gui" in lowered:
        return WindowsUnsupported(
            "Bluetooth cannot start in this program's thread on Windows.",
            meaning="Another library set the thread to the Windows GUI (STA) threading model, "
            "which bleak cannot use.",
            next_step="Run safetool from a plain terminal (not from a GUI shell that imports "
            "pythoncom/pywin32), or report it to the safetool team.",
        )
    if isinstance(exc, BleakGATTProtocolError) and exc.code in (
        BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION,
        BleakGATTProtocolErrorCode.INSUFFICIENT_ENCRYPTION,
        BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHORIZATION,
    ):
        return PairingRequired(
            f"The lock {target} requires pairing before it opens its service.",
            meaning="Its service characteristics are protected by link encryption.",
            next_step="Pair the laptop with the lock in the system Bluetooth settings (the "
            "lock shows or asks for a PIN), then connect again.",
        )
    if isinstance(exc, (BleakDeviceNotFoundError, TimeoutError)) or "not found" in lowered:
        return not_found(target)
    return TransportError(
        f"Bluetooth connection to {target} failed: {text or type(exc).__name__}",
        meaning="The lock could not be reached over BLE.",
        next_step="Come closer to the lock, wake it with a key press and try again; "
        "`safetool scan` shows what is in range.",
    )


def _os() -> str:
    """The platform, as a call so type checkers keep every branch (they run on one OS)."""
    return str(sys.platform)


def _linux_permission(text: str) -> BluetoothPermissionDenied:
    return BluetoothPermissionDenied(
        f"This user may not use Bluetooth ({text}).",
        meaning="The system's Bluetooth policy refused the request.",
        next_step="Add yourself to the 'bluetooth' group (sudo usermod -aG bluetooth $USER, "
        "then log in again), or ask the administrator to allow BlueZ access over D-Bus.",
    )
