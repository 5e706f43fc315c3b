"""One error shape for every HTTP endpoint: {"error": {"code", "message"}}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from bot.auth.tokens import TokenError
from bot.conversations import ConversationNotFound
from bot.store.ports import LockTimeout, StoreUnavailable


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "body"
    return f"{where}: {first.get('msg', 'invalid value')}"


def install_error_handlers(app: FastAPI) -> None:
    """Map engine and framework errors to the REST contract's status codes."""

    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, "bad_request", _validation_message(exc))

    async def unauthorised(_: Request, exc: TokenError) -> JSONResponse:
        return error_response(401, exc.code, "Sign in again: the access token is not valid.")

    async def not_found(_: Request, __: ConversationNotFound) -> JSONResponse:
        return error_response(404, "conversation_not_found", "No such conversation.")

    async def unavailable(_: Request, __: StoreUnavailable) -> JSONResponse:
        return error_response(
            503, "store_unavailable", "We can't take messages right now. Please try again shortly."
        )

    async def busy(_: Request, __: LockTimeout) -> JSONResponse:
        return error_response(
            409, "conversation_busy", "Still working on your previous message; send it again."
        )

    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, "http_error", str(exc.detail))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(TokenError, unauthorised)
    app.add_exception_handler(ConversationNotFound, not_found)
    app.add_exception_handler(StoreUnavailable, unavailable)
    app.add_exception_handler(LockTimeout, busy)
    app.add_exception_handler(HTTPException, http_error)
