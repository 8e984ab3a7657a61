"""Errors of the conversation with a lock (the link itself reports TransportError)."""

from __future__ import annotations

from protocols.catalogue import ErrorCode
from safetool.errors import SafetoolError
from safetool.messages import Message


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
            Message("lock.refused", {"request": request_name, "code": name, "detail": detail}),
            meaning=Message("lock.refused.meaning"),
            next_step=Message(_next_step(code, detail)),
        )
        self.code = code
        self.detail = detail


_NEXT_STEPS: dict[int, str] = {
    ErrorCode.UNKNOWN_TYPE: "lock.refused.next_unknown_type",
    ErrorCode.BUSY: "lock.refused.next_busy",
    ErrorCode.NOT_ALLOWED: "lock.refused.next_not_allowed",
    ErrorCode.UNSUPPORTED_VERSION: "lock.refused.next_version",
}
"""The next step's message key for the error codes that have their own."""

_PRIVILEGE_REASONS = {
    "list_out_of_date": "lock.refused.next_list_out_of_date",
    "expired": "lock.refused.next_expired",
}
"""Privileged refusals whose next step differs from the usual: the lock's ``detail`` names the
reason in parentheses, ``CONFIG_GET refused (expired): …`` (SPEC.md 11.8, B-11.8.1)."""


def _next_step(code: int, detail: str) -> str:
    if code == ErrorCode.NOT_ALLOWED:
        for reason, key in _PRIVILEGE_REASONS.items():
            if f" refused ({reason}):" in detail:
                return key
    return _NEXT_STEPS.get(code, "lock.refused.next")
