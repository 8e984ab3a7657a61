"""The authority's HTTP API (Starlette): JSON in, JSON out, errors as {error, message, next_step}.

Technician endpoints are authenticated by the technician's signature inside the request;
operator endpoints by ``Authorization: Bearer <operator token>`` (compared in constant time,
never logged). Database work runs in Starlette's worker threads.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from protocols.recovery import RevocationList
from safetool.authority.desk import Desk
from safetool.authority.errors import (
    AuthorityError,
    AuthorityUnavailable,
    NotAuthenticated,
    RateLimited,
    RequestInvalid,
)
from safetool.authority.export import parse_ledger_filter, to_csv, to_json
from safetool.authority.ledger import LedgerEntry
from safetool.authority.operators import OperatorDesk
from safetool.authority.service import Authority
from safetool.authority.settings import OPERATOR_TOKEN_ENV
from safetool.authority.wire import (
    U32_MAX,
    CloseReport,
    OnlineRequest,
    ResultReport,
    field_optional_int,
    field_str,
)
from safetool.errors import SafetoolError
from safetool.messages import Message

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 16 * 1024

Endpoint = Callable[[Request], Awaitable[Response]]


def _json(document: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(document, status_code=status, headers=headers)


def error_response(error: SafetoolError, status: int | None = None) -> Response:
    headers: dict[str, str] = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_s)
    code = status if status is not None else getattr(error, "http_status", 400)
    return _json(error.as_dict(), code, headers)


async def read_json(request: Request) -> object:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise RequestInvalid(
                Message("authority.request.too_large", {"size": MAX_BODY_BYTES}),
                next_step=Message("authority.request.too_large.next"),
            )
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting: not a request of ours
        raise RequestInvalid(
            Message("authority.request.not_json"),
            next_step=Message("authority.request.send_object"),
        ) from None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).digest()


class OperatorGate:
    """Checks the operator's bearer token in constant time; keeps only its SHA-256."""

    def __init__(self, token: str | None) -> None:
        self._digest = None if not token else _digest(token)

    @property
    def enabled(self) -> bool:
        return self._digest is not None

    def is_operator(self, request: Request) -> bool:
        if self._digest is None:
            return False
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            _digest(given.strip()), self._digest
        )

    def require(self, request: Request) -> None:
        if self._digest is None:
            raise NotAuthenticated(
                Message("authority.operator.off"),
                meaning=Message("authority.operator.off.meaning"),
                next_step=Message("authority.operator.off.next", {"variable": OPERATOR_TOKEN_ENV}),
            )
        if not self.is_operator(request):
            raise NotAuthenticated(
                Message("authority.operator.token_needed"),
                meaning=Message("authority.operator.nothing_shown"),
                next_step=Message("authority.operator.send_bearer"),
            )


def _recovery_id(request: Request) -> int:
    value = int(request.path_params["recovery_id"])
    if not 0 < value <= U32_MAX:
        raise RequestInvalid(
            Message("authority.request.recovery_out_of_range", {"recovery": value}),
            next_step=Message("authority.ledger.check_recovery"),
        )
    return value


def _entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {"recovery": entry.as_dict()}


def create_app(authority: Authority, *, operator_token: str | None = None) -> Starlette:
    """The ASGI application for ``authority``."""
    gate = OperatorGate(operator_token)

    async def issue_online(request: Request) -> Response:
        online = OnlineRequest.from_json(await read_json(request))
        issued = await run_in_threadpool(authority.issue_online, online)
        return _json(issued.to_json())

    async def phone_response(request: Request) -> Response:
        gate.require(request)
        document = await read_json(request)
        if not isinstance(document, dict):
            raise RequestInvalid(
                Message("authority.request.not_object"),
                next_step=Message("authority.request.send_object"),
            )
        serial = field_str(document, "serial")
        challenge = field_str(document, "challenge", max_length=32)
        technician_id = field_str(document, "technician_id")
        counter = field_optional_int(document, "counter")
        answer = await run_in_threadpool(
            lambda: authority.issue_phone(
                serial, challenge, technician_id, counter=counter, via="operator-api"
            )
        )
        return _json(answer.to_json())

    async def report_result(request: Request) -> Response:
        report = ResultReport.from_json(_recovery_id(request), await read_json(request))
        entry = await run_in_threadpool(authority.report_result, report)
        return _json(_entry_json(entry))

    async def close(request: Request) -> Response:
        report = CloseReport.from_json(_recovery_id(request), await read_json(request))
        if not report.signed:
            gate.require(request)
        entry = await run_in_threadpool(
            lambda: authority.close(
                report.serial,
                report.recovery_id,
                report.seal,
                counter=report.counter,
                signed=report if report.signed else None,
            )
        )
        return _json(_entry_json(entry))

    async def ledger(request: Request) -> Response:
        gate.require(request)
        params = dict(request.query_params)
        wanted = parse_ledger_filter(params)
        entries = await run_in_threadpool(authority.ledger.entries, wanted)
        output = params.get("format", "json")
        if output == "csv":
            return Response(to_csv(entries), media_type="text/csv; charset=utf-8")
        if output != "json":
            raise RequestInvalid(Message("authority.request.format", {"text": output}))
        return Response(to_json(entries), media_type="application/json")

    async def revocations(_request: Request) -> Response:
        raw = await run_in_threadpool(authority.revocations)
        crl = RevocationList.decode(raw)
        return _json(
            {
                "revocations": raw.hex(),
                "issued_at": crl.issued_at,
                "next_update": crl.next_update,
                "serials": list(crl.serials),
            }
        )

    async def time_statement(request: Request) -> Response:
        document = await read_json(request)
        if not isinstance(document, dict):
            raise RequestInvalid(
                Message("authority.request.not_object"),
                next_step=Message("authority.request.send_object"),
            )
        statement = authority.time_statement(field_str(document, "serial"))
        return _json(
            {
                "statement": statement.encode().hex(),
                "serial": statement.serial,
                "time_s": statement.time_s,
            }
        )

    async def health(_request: Request) -> Response:
        def probe() -> None:
            with authority.ledger.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        await run_in_threadpool(probe)
        return _json(
            {
                "ok": True,
                "authority_key_id": authority.keys.key_id.hex(),
                "technicians": len(authority.register),
                "operator_endpoints": gate.enabled,
            }
        )

    async def no_icon(_request: Request) -> Response:
        return Response(status_code=204)  # browsers ask; the desk has none

    async def to_desk(_request: Request) -> Response:
        return RedirectResponse("/desk/", status_code=303)

    async def on_safetool_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, SafetoolError)
        if not isinstance(error, AuthorityError):
            return error_response(error, 400)
        if error.http_status >= 500:
            log.error("%s: %s", type(error).__name__, error.message)
        return error_response(error)

    async def on_http_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        name = {404: "NotFound", 405: "MethodNotAllowed"}.get(error.status_code, "HTTPError")
        problem = {404: "not_found", 405: "method"}.get(error.status_code)
        document = SafetoolError(
            Message(f"authority.http.{problem}")
            if problem
            else Message("authority.http_error", {"status": error.status_code}),
            next_step=Message("authority.http.see_docs"),
        ).as_dict()
        return _json({**document, "error": name}, error.status_code)

    async def on_database_error(_request: Request, error: Exception) -> Response:
        log.error("ledger database error: %s", type(error).__name__)
        unavailable = AuthorityUnavailable(
            Message("authority.db.busy"),
            meaning=Message("authority.nothing_issued"),
            next_step=Message("authority.db.busy.next"),
        )
        return _json(unavailable.as_dict(), 503)

    async def on_internal_error(_request: Request, error: Exception) -> Response:
        log.exception("internal error")
        document = SafetoolError(
            Message("authority.internal"),
            meaning=Message("authority.internal.meaning"),
            next_step=Message("authority.internal.next"),
        ).as_dict()
        return _json({**document, "error": "InternalError"}, 500)

    routes = [
        Route("/v1/authorisations", issue_online, methods=["POST"]),
        Route("/v1/phone-responses", phone_response, methods=["POST"]),
        Route("/v1/recoveries/{recovery_id:int}/result", report_result, methods=["POST"]),
        Route("/v1/recoveries/{recovery_id:int}/close", close, methods=["POST"]),
        Route("/v1/ledger", ledger, methods=["GET"]),
        Route("/v1/revocations", revocations, methods=["GET"]),
        Route("/v1/time", time_statement, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/", to_desk, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
        *Desk(authority, OperatorDesk(authority.ledger.engine, authority.clock)).routes(),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        SafetoolError: on_safetool_error,
        HTTPException: on_http_error,
        DBAPIError: on_database_error,
        Exception: on_internal_error,
    }
    return Starlette(routes=routes, exception_handlers=handlers)
