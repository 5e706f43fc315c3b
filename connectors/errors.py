"""One error shape for every endpoint, `{"error": {"code", "message"}}`, and its wording.

The code is for programs; the message is read by people (the widget shows it to the
customer, the console to the agent), so it is the domain response `error_<code>` (or the
key an error names), filled with the error's variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from bot.auth.tokens import TokenError
from bot.dialogue.domain import Domain
from bot.handlers import declared
from bot.handoff.desk import DeskError
from bot.nlu.payload import PayloadError
from bot.ports import (
    ConversationNotFound,
    LockTimeout,
    SeqConflict,
    StoreUnavailable,
    UnstorableEvent,
)
from connectors.deps import DOMAIN, Unwired

SAYS = declared(
    {
        "error_bad_request": ["detail"],
        "error_json_invalid": [],
        "error_sign_in_again": [],
        "error_conversation_not_found": [],
        "error_store_unavailable": [],
        "error_conversation_busy": [],
        "error_http": ["detail"],
        "error_message_too_long": ["max_chars"],
        "error_payload_too_long": ["max_chars"],
        "error_not_unicode": [],
        "error_body_too_large": ["max_bytes"],
        "error_empty_turn": [],
        "error_bad_payload": [],
        "error_unstorable_message": [],
        "error_console_off": [],
        "error_not_signed_in": [],
        "error_bad_credentials": [],
        "error_sign_in_busy": [],
        "error_sign_in_wait": ["seconds"],
        "error_account_disabled": [],
        "error_account_locked": [],
        "error_session_ended": [],
        "error_cross_site_request": [],
        "error_customer_not_found": [],
        # the widget's socket (connectors/websocket.py)
        "error_bad_hello": [],
        "error_bad_message": [],
        "error_bad_client_id": [],
        "error_bad_frame": [],
        "error_busy": [],
        "error_unavailable": [],
        "error_turn_failed": [],
    }
)


# What the engine refuses of what a customer sent, and the code every channel answers it
# with (REST: 400): a payload's entities, a value the store cannot encode.
REFUSED_INPUT: dict[type[Exception], str] = {
    PayloadError: "bad_payload",
    UnstorableEvent: "unstorable_message",
}


def refused_input(exc: Exception) -> str:
    """The code for `exc`, one of the REFUSED_INPUT errors."""
    return next(code for kind, code in REFUSED_INPUT.items() if isinstance(exc, kind))


class ApiError(Exception):
    """Refused: `status` and `code` become the answer; the message is the response `key`
    (default `error_<code>`) filled with `variables`."""

    def __init__(self, status: int, code: str, key: str | None = None, **variables: Any) -> None:
        super().__init__(code)
        self.status, self.code = status, code
        self.key = key or f"error_{code}"
        self.variables = variables


def wording(connection: HTTPConnection, key: str, variables: Mapping[str, Any]) -> str:
    """The message for `key` from the app's domain (before the app is wired: the key)."""
    try:
        domain: Domain = DOMAIN.of(connection)
    except Unwired:
        return key
    return domain.text(key, variables) if key in domain.responses else key


def error_body(
    connection: HTTPConnection, code: str, key: str | None = None, **variables: Any
) -> dict[str, Any]:
    message = wording(connection, key or f"error_{code}", variables)
    return {"error": {"code": code, "message": message}}


def error_response(
    connection: HTTPConnection, status: int, code: str, key: str | None = None, **variables: Any
) -> JSONResponse:
    return JSONResponse(error_body(connection, code, key, **variables), status_code=status)


# A body field over its max_length, answered with the code a client already knows for it.
_TOO_LONG = {("body", "text"): "message_too_long", ("body", "payload"): "payload_too_long"}


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        return error_response(request, 400, "bad_request", "error_json_invalid")
    too_long = _TOO_LONG.get(tuple(first.get("loc", ())))
    if first.get("type") == "string_too_long" and too_long:
        return error_response(request, 400, too_long, max_chars=first["ctx"]["max_length"])
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "body"
    detail = f"{where}: {first.get('msg', 'invalid value')}"
    return error_response(request, 400, "bad_request", detail=detail)


def install_error_handlers(app: FastAPI) -> None:
    """Map engine and framework errors to the API's status codes and wording."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError | DeskError)
        key = exc.key if isinstance(exc, ApiError) else f"error_{exc.code}"
        return error_response(request, exc.status, exc.code, key, **exc.variables)

    async def bad_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation(request, exc)

    async def unauthorised(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TokenError)
        return error_response(request, 401, exc.code, "error_sign_in_again")

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        return error_response(request, 400, refused_input(exc))

    async def not_found(request: Request, _: Exception) -> JSONResponse:
        return error_response(request, 404, "conversation_not_found")

    async def unavailable(request: Request, _: Exception) -> JSONResponse:
        return error_response(request, 503, "store_unavailable")

    async def busy(request: Request, _: Exception) -> JSONResponse:
        return error_response(request, 409, "conversation_busy")

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return error_response(
            request, exc.status_code, "http_error", "error_http", detail=str(exc.detail)
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(DeskError, api_error)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(TokenError, unauthorised)
    for kind in REFUSED_INPUT:
        app.add_exception_handler(kind, refused)
    app.add_exception_handler(ConversationNotFound, not_found)
    app.add_exception_handler(StoreUnavailable, unavailable)
    app.add_exception_handler(LockTimeout, busy)
    app.add_exception_handler(SeqConflict, busy)
    app.add_exception_handler(HTTPException, http_error)
