"""Errors of the conversation with a lock (the link itself reports TransportError)."""

from __future__ import annotations

from protocols.catalogue import ErrorCode
from safetool.errors import SafetoolError


class DeviceSilent(SafetoolError):
    """Nothing answered HELLO on an open port."""


class ProtocolMismatch(SafetoolError):
    """The lock and safetool share no protocol version."""


class RequestTimeout(SafetoolError):
    """The lock answered HELLO but not this request, resends included."""


class SessionLost(SafetoolError):
    """The secure session ended while a request made in it was outstanding."""


class LockRefused(SafetoolError):
    """The lock answered the request with an ERROR."""

    exit_code = 1

    def __init__(self, code: ErrorCode | int, detail: str, request_name: str) -> None:
        try:
            name = ErrorCode(code).name
        except ValueError:
            name = f"error {code}"
        super().__init__(
            f"The lock refused {request_name}: {name} ({detail}).",
            meaning="The lock is unchanged by this request.",
            next_step=_NEXT_STEPS.get(code, "Try again; if it repeats, note the error code."),
        )
        self.code = code
        self.detail = detail


_NEXT_STEPS: dict[int, str] = {
    ErrorCode.UNKNOWN_TYPE: "The lock firmware does not know this request: update the firmware.",
    ErrorCode.BUSY: "The lock is busy (motor running or booting): wait a few seconds and retry.",
    ErrorCode.NOT_ALLOWED: "This needs a secure session and the right qualification.",
    ErrorCode.UNSUPPORTED_VERSION: "Update safetool or the lock firmware.",
}
