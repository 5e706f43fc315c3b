"""The sandbox bank as an ASGI app: standalone (`python -m sandbox`) or mounted at /sandbox.

When mounted, the parent's lifespan must enter `sandbox_app.router.lifespan_context(sandbox_app)`
so the schema exists and the engine is disposed on shutdown.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.alert_routes import router as alert_router
from sandbox.alerts import EventSender
from sandbox.bill_routes import router as bill_router
from sandbox.budget_routes import router as budget_router
from sandbox.card_manage import seed_card_management
from sandbox.card_manage_routes import router as card_manage_router
from sandbox.card_payment_routes import router as card_payment_router
from sandbox.clock_routes import router as clock_router
from sandbox.db import make_engine, metadata
from sandbox.dispute_routes import router as dispute_router
from sandbox.errors import BankApiError
from sandbox.fx_routes import router as fx_router
from sandbox.incoming_routes import router as incoming_router
from sandbox.loan_routes import router as loan_router
from sandbox.loans import seed_loans
from sandbox.money_seed import seed_money_if_empty
from sandbox.payee_routes import router as payee_router
from sandbox.place_routes import router as place_router
from sandbox.profile_routes import router as profile_router
from sandbox.routes import router
from sandbox.schedule_routes import router as schedule_router
from sandbox.seed import seed_if_empty
from sandbox.service_routes import router as service_router
from sandbox.service_seed import seed_services_if_empty
from sandbox.statement_routes import router as statement_router
from sandbox.upgrade import add_missing_columns

log = logging.getLogger(__name__)


class ApiKeyAuth:
    """Every request must carry `Authorization: Bearer <api key>`; the bot backend is the client."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            if not hmac.compare_digest(given, self.expected):
                error = BankApiError(401, "unauthorized", "a valid API key is required")
                response = JSONResponse(
                    error.to_body(), status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _create_and_seed(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        added = await conn.run_sync(add_missing_columns)
        if added:
            log.info("sandbox bank upgraded: added %s", ", ".join(added))
        if await seed_if_empty(conn):
            log.info("sandbox bank seeded")
        if await seed_services_if_empty(conn, datetime.now(UTC).date()):
            log.info("sandbox cards, pending items, top-ups and rates seeded")
        if await seed_money_if_empty(conn, datetime.now(UTC).date()):
            log.info("sandbox payees abroad, bills, schedules, direct debits, statements seeded")
        if await seed_card_management(conn, datetime.now(UTC).replace(tzinfo=None)):
            log.info("sandbox card controls and postal addresses seeded")
        if await seed_loans(conn, datetime.now(UTC).date()):
            log.info("sandbox loans, deposit rates and fixed-term deposits seeded")


async def prepare(database_url: str) -> None:
    """Create the schema and seed an empty bank; safe to run on every start."""
    engine = make_engine(database_url)
    try:
        await _create_and_seed(engine)
    finally:
        await engine.dispose()


def _error_response(error: BankApiError) -> JSONResponse:
    return JSONResponse(error.to_body(), status_code=error.status)


async def _bank_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BankApiError)
    return _error_response(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return _error_response(
        BankApiError(400, "invalid_request", f"{where}: {first.get('msg', 'invalid')}")
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return _error_response(BankApiError(exc.status_code, code, str(exc.detail)))


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.exception("sandbox bank failed", exc_info=exc)
    return _error_response(BankApiError(500, "internal_error", "the bank could not process this"))


def create_app(database_url: str, api_key: str) -> FastAPI:
    if not api_key:
        raise ValueError("the sandbox bank needs an API key (BANK_API_KEY)")
    engine = make_engine(database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await _create_and_seed(engine)
        events.start()  # alert events go out to the configured webhook (sandbox/alerts.py)
        try:
            yield
        finally:
            await events.stop()
            await engine.dispose()

    app = FastAPI(title="Teller sandbox bank", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.engine = engine
    events = app.state.events = EventSender(engine)
    app.include_router(router)
    app.include_router(service_router)
    for extra in (
        payee_router,
        bill_router,
        schedule_router,
        fx_router,
        clock_router,
        statement_router,
    ):
        app.include_router(extra)
    app.include_router(budget_router)
    app.include_router(card_payment_router)
    app.include_router(incoming_router)
    app.include_router(card_manage_router)
    app.include_router(loan_router)
    app.include_router(profile_router)
    app.include_router(dispute_router)
    app.include_router(place_router)
    app.include_router(alert_router)
    app.add_middleware(ApiKeyAuth, api_key=api_key)
    app.add_exception_handler(BankApiError, _bank_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    return app
