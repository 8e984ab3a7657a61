"""The tool's side of the authority's HTTP API (httpx, asyncio).

Every failure is a :class:`~safetool.errors.SafetoolError` a technician can act on: the
authority unreachable or slow (:class:`AuthorityUnavailable`, exit 2), refused (the error it
sent, exit 1), rate limited (:class:`RateLimited` with ``retry_after_s``), or an answer that
does not fit the request (:class:`BadAnswer`). An authorisation is checked against the request
(and against the authority's public key, when given) before it is handed to a lock.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from protocols.certificates import Certificate
from protocols.recovery import RecoveryError, RevocationList, TimeStatement
from safetool.authority.errors import (
    AuthorityError,
    AuthorityUnavailable,
    BadAnswer,
    RateLimited,
)
from safetool.authority.wire import (
    CloseReport,
    IssuedAuthorisation,
    OnlineRequest,
    PhoneResponse,
    Result,
    build_close_report,
    build_online_request,
    build_result_report,
    error_from_json,
)
from safetool.authority.wire import EnrolmentRequest as EnrolmentRequest
from safetool.messages import Message

DEFAULT_TIMEOUT_S = 10.0
NO_NETWORK_STEP = Message("authority.unreachable.next")


def _bad_answer(problem: str, **values: object) -> BadAnswer:
    """``authority.answer.<problem>``: an answer the tool will not pass on to the lock."""
    return BadAnswer(
        Message(
            "authority.answer.unusable", {"problem": Message(f"authority.answer.{problem}", values)}
        ),
        meaning=Message("authority.answer.unusable.meaning"),
        next_step=Message("authority.answer.unusable.next"),
    )


class AuthorityClient:
    """``async with AuthorityClient(url) as authority: await authority.authorise(...)``."""

    def __init__(
        self,
        base_url: str,
        *,
        operator_token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_connections: int = 100,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._operator_token = operator_token
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
            trust_env=False,
        )

    async def __aenter__(self) -> AuthorityClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"AuthorityClient({self.base_url!r})"

    # --- plumbing ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        operator: bool = False,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        if operator:
            if not self._operator_token:
                raise AuthorityError(
                    Message("authority.operator.token_needed"),
                    next_step=Message("authority.operator.token_needed.next"),
                )
            headers["Authorization"] = f"Bearer {self._operator_token}"
        try:
            response = await self._http.request(
                method, path, json=body, params=params, headers=headers
            )
        except httpx.TimeoutException:
            raise AuthorityUnavailable(
                Message(
                    "authority.unreachable.timeout",
                    {"url": self.base_url, "seconds": f"{self.timeout_s:g}"},
                ),
                meaning=Message("authority.unreachable.meaning"),
                next_step=NO_NETWORK_STEP,
            ) from None
        except httpx.HTTPError as error:
            raise AuthorityUnavailable(
                Message(
                    "authority.unreachable", {"url": self.base_url, "error": type(error).__name__}
                ),
                meaning=Message("authority.unreachable.meaning"),
                next_step=NO_NETWORK_STEP,
            ) from None
        if response.status_code >= 400:
            try:
                document: object = response.json()
            except ValueError:
                document = {}
            refusal = error_from_json(response.status_code, document)
            if isinstance(refusal, RateLimited):
                header = response.headers.get("retry-after", "")
                if header.isdigit():
                    refusal.retry_after_s = int(header)
            raise refusal
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._call(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise _bad_answer("not_json") from None

    # --- technician -------------------------------------------------------------------------

    async def request_authorisation(
        self, request: OnlineRequest, *, authority_key: Ed25519PublicKey | None = None
    ) -> IssuedAuthorisation:
        """Send a signed request; check the authorisation is bound to what was asked."""
        answer = IssuedAuthorisation.from_json(
            await self._json("POST", "/v1/authorisations", body=request.to_json())
        )
        token = answer.authorisation
        certificate = Certificate.decode(request.certificate)
        if (
            token.serial != request.serial
            or token.nonce != request.nonce
            or token.counter != request.counter
            or token.technician_id != certificate.subject_id
            or token.certificate_serial != certificate.serial_number
        ):
            raise _bad_answer("not_bound")
        if authority_key is not None:
            try:
                token.verify_signature(authority_key)
            except RecoveryError as error:
                raise _bad_answer("bad_signature", detail=str(error)) from None
        return answer

    async def authorise(
        self,
        technician_key: Ed25519PrivateKey,
        certificate: Certificate | bytes,
        serial: str,
        nonce: bytes,
        counter: int,
        challenge: str,
        *,
        now: float | None = None,
        authority_key: Ed25519PublicKey | None = None,
    ) -> IssuedAuthorisation:
        """Sign a request for the lock's challenge and get its authorisation."""
        request = build_online_request(
            technician_key,
            certificate,
            serial,
            nonce,
            counter,
            challenge,
            time.time() if now is None else now,
        )
        return await self.request_authorisation(request, authority_key=authority_key)

    async def report_result(
        self,
        technician_key: Ed25519PrivateKey,
        certificate: Certificate | bytes,
        recovery_id: int,
        result: Result,
        detail: str = "",
        *,
        now: float | None = None,
    ) -> dict[str, Any]:
        report = build_result_report(
            technician_key,
            certificate,
            recovery_id,
            result,
            detail,
            time.time() if now is None else now,
        )
        document = await self._json(
            "POST", f"/v1/recoveries/{recovery_id}/result", body=report.to_json()
        )
        return dict(document.get("recovery", {})) if isinstance(document, dict) else {}

    async def close(
        self,
        serial: str,
        recovery_id: int,
        seal: str,
        *,
        counter: int | None = None,
        technician_key: Ed25519PrivateKey | None = None,
        certificate: Certificate | bytes | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        """Report the close seal: signed by the technician, or (no key) as the operator."""
        if technician_key is not None and certificate is not None:
            report = build_close_report(
                technician_key,
                certificate,
                serial,
                recovery_id,
                seal,
                time.time() if now is None else now,
                counter,
            )
        else:
            report = CloseReport(recovery_id, serial, seal, counter)
        document = await self._json(
            "POST",
            f"/v1/recoveries/{recovery_id}/close",
            body=report.to_json(),
            operator=not report.signed,
        )
        return dict(document.get("recovery", {})) if isinstance(document, dict) else {}

    async def revocations(self, *, authority_key: Ed25519PublicKey | None = None) -> RevocationList:
        document = await self._json("GET", "/v1/revocations")
        try:
            crl = RevocationList.decode(bytes.fromhex(str(document["revocations"])))
            if authority_key is not None:
                crl.verify_signature(authority_key)
        except (KeyError, TypeError, ValueError, RecoveryError) as error:
            raise _bad_answer("bad_crl", detail=str(error)) from None
        return crl

    async def time_statement(
        self, serial: str, *, authority_key: Ed25519PublicKey | None = None
    ) -> TimeStatement:
        """The authority's signed time for the lock ``serial`` (SPEC.md 12.6)."""
        document = await self._json("POST", "/v1/time", body={"serial": serial})
        try:
            statement = TimeStatement.decode(bytes.fromhex(str(document["statement"])))
            if authority_key is not None:
                statement.verify_signature(authority_key)
        except (KeyError, TypeError, ValueError, RecoveryError) as error:
            raise _bad_answer("bad_time", detail=str(error)) from None
        if statement.serial != serial:
            raise _bad_answer("time_other_lock")
        return statement

    # --- operator ---------------------------------------------------------------------------

    async def phone_response(
        self, serial: str, challenge: str, technician_id: str, *, counter: int | None = None
    ) -> PhoneResponse:
        body: dict[str, Any] = {
            "serial": serial,
            "challenge": challenge,
            "technician_id": technician_id,
        }
        if counter is not None:
            body["counter"] = counter
        return PhoneResponse.from_json(
            await self._json("POST", "/v1/phone-responses", body=body, operator=True)
        )

    async def ledger(self, **filters: str) -> list[dict[str, Any]]:
        document = await self._json("GET", "/v1/ledger", params=filters, operator=True)
        entries = document.get("entries") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise _bad_answer("no_entries")
        return [dict(entry) for entry in entries]

    async def ledger_csv(self, **filters: str) -> str:
        response = await self._call(
            "GET", "/v1/ledger", params={**filters, "format": "csv"}, operator=True
        )
        return response.text

    async def health(self) -> dict[str, Any]:
        document = await self._json("GET", "/healthz")
        return dict(document) if isinstance(document, dict) else {}
