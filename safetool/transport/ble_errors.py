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

from safetool.messages import Message
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
        Message("ble.macos_denied"),
        meaning=Message("ble.macos_denied.meaning"),
        next_step=Message("ble.macos_denied.next"),
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
        Message("ble.windows_old", {"build": build}),
        meaning=Message("ble.windows_old.meaning"),
        next_step=Message("ble.windows_old.next"),
    )


def not_found(target: str, timeout_s: float | None = None) -> LockNotFound:
    said = (
        Message("ble.not_found", {"target": target})
        if timeout_s is None
        else Message("ble.not_found_within", {"target": target, "seconds": f"{timeout_s:g}"})
    )
    return LockNotFound(
        said, meaning=Message("ble.not_found.meaning"), next_step=Message("ble.not_found.next")
    )


def describe_ble_error(target: str, exc: BaseException) -> TransportError:
    """Turn bleak's and the OS stack's errors into ones a technician can act on."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, TransportError):
        return exc
    if "SAFETOOL_BLE_HCI=" in text:
        return BluetoothUnavailable(
            Message("ble.emulated_radio", {"name": text.split(" ", 1)[0]}),
            meaning=Message("ble.emulated_radio.meaning", {"error": text}),
            next_step=Message("ble.emulated_radio.next"),
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
                Message("ble.off"),
                meaning=Message("ble.off.meaning"),
                next_step=Message("ble.off.next"),
            )
        return BluetoothUnavailable(
            Message("ble.no_adapter", {"error": text}),
            meaning=Message("ble.no_adapter.meaning"),
            next_step=Message("ble.no_adapter.next"),
        )
    if isinstance(exc, BleakDBusError) and "accessdenied" in lowered.replace(".", ""):
        return _linux_permission(text)
    if isinstance(exc, BleakDBusError) or (
        _os().startswith("linux") and any(m in lowered for m in _BLUEZ_MISSING)
    ):
        return BluezMissing(
            Message("ble.no_bluez", {"error": text}),
            meaning=Message("ble.no_bluez.meaning"),
            next_step=Message("ble.no_bluez.next"),
        )
    if "threading model" in lowered or "thread is configured for windows gui" in lowered:
        return WindowsUnsupported(
            Message("ble.windows_thread"),
            meaning=Message("ble.windows_thread.meaning"),
            next_step=Message("ble.windows_thread.next"),
        )
    if isinstance(exc, BleakGATTProtocolError) and exc.code in (
        BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION,
        BleakGATTProtocolErrorCode.INSUFFICIENT_ENCRYPTION,
        BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHORIZATION,
    ):
        return PairingRequired(
            Message("ble.pairing", {"target": target}),
            meaning=Message("ble.pairing.meaning"),
            next_step=Message("ble.pairing.next"),
        )
    if isinstance(exc, (BleakDeviceNotFoundError, TimeoutError)) or "not found" in lowered:
        return not_found(target)
    return TransportError(
        Message("ble.failed", {"target": target, "error": text or type(exc).__name__}),
        meaning=Message("ble.failed.meaning"),
        next_step=Message("ble.failed.next"),
    )


def _os() -> str:
    """The platform, as a call so type checkers keep every branch (they run on one OS)."""
    return str(sys.platform)


def _linux_permission(text: str) -> BluetoothPermissionDenied:
    return BluetoothPermissionDenied(
        Message("ble.user_denied", {"error": text}),
        meaning=Message("ble.user_denied.meaning"),
        next_step=Message("ble.user_denied.next"),
    )
