"""What the service authority refuses, and why, in words a technician or an operator can act on.

Every error carries an HTTP status for the API and an exit code for the CLI (1: the authority
refused; 2: usage, configuration or connection). The HTTP body is ``as_dict()``, and the client
turns that body back into the same error class by its ``error`` name.
"""

from __future__ import annotations

from typing import ClassVar

from safetool.errors import SafetoolError, Text


class AuthorityError(SafetoolError):
    """Base of the authority's errors."""

    http_status: ClassVar[int] = 400
    exit_code = 1


class RequestInvalid(AuthorityError):
    """A request that cannot be read: missing field, wrong type, bad hex."""

    http_status = 400
    exit_code = 2


class MisheardDigits(AuthorityError):
    """Digits whose check digit does not agree: one was misheard, mistyped or swapped."""

    http_status = 422
    exit_code = 2


class NotAuthenticated(AuthorityError):
    """No or wrong operator token, or a request signature that does not verify."""

    http_status = 401


class CertificateRefused(AuthorityError):
    """The technician's certificate is foreign, expired, revoked or lacks a qualification."""

    http_status = 403


class StaleRequest(AuthorityError):
    """The request's timestamp is too far from the authority's clock."""

    http_status = 403


class SealRefused(AuthorityError):
    """A close seal that does not match what the lock would show."""

    http_status = 403


class RecoveryNotFound(AuthorityError):
    http_status = 404


class Conflict(AuthorityError):
    """A request that clashes with the ledger: a different live authorisation, a wrong state."""

    http_status = 409


class RateLimited(AuthorityError):
    """Too many authorisations for this technician or this lock in the last hour."""

    http_status = 429

    def __init__(
        self, message: Text, *, retry_after_s: int, meaning: Text = "", next_step: Text = ""
    ) -> None:
        super().__init__(message, meaning=meaning, next_step=next_step)
        self.retry_after_s = retry_after_s

    def as_dict(self) -> dict[str, str]:
        return {**super().as_dict(), "retry_after_s": str(self.retry_after_s)}


class AuthorityUnavailable(AuthorityError):
    """The authority or its database cannot be reached."""

    http_status = 503
    exit_code = 2


class BadAnswer(AuthorityError):
    """An answer from the authority that does not fit the request (tool side)."""

    http_status = 502
    exit_code = 2


class AuthorityConfigError(AuthorityError):
    """A PKI folder, key file or database URL the authority cannot use."""

    http_status = 500
    exit_code = 2


ERRORS_BY_NAME: dict[str, type[AuthorityError]] = {
    cls.__name__: cls
    for cls in (
        AuthorityError,
        RequestInvalid,
        MisheardDigits,
        NotAuthenticated,
        CertificateRefused,
        StaleRequest,
        SealRefused,
        RecoveryNotFound,
        Conflict,
        RateLimited,
        AuthorityUnavailable,
        BadAnswer,
        AuthorityConfigError,
    )
}
