"""The sandbox clock (sandbox-only): read it, or move it forward and run what fell due.

Moving the clock is not idempotent by key: `{"date": ...}` is the idempotent form (moving to
the day it already is changes nothing), and whatever runs, runs once however often it is called.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from sandbox import clock, shapes
from sandbox.bodies import Strict
from sandbox.errors import BankApiError
from sandbox.execution import run_due
from sandbox.http import engine

router = APIRouter()


def _clock(state: clock.ClockState) -> dict[str, Any]:
    now = state.now()
    return {
        "DateTime": shapes.timestamp(now.replace(microsecond=0)),
        "Date": now.date().isoformat(),
        "OffsetSeconds": state.offset_seconds,
        "ProcessedThrough": state.processed_through.isoformat(),
    }


@router.get("/sandbox/clock")
async def read_clock(request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        return {"Data": {"Clock": _clock(await clock.read(conn))}, "Links": {}, "Meta": {}}


class MoveBody(Strict):
    advance_days: int | None = Field(default=None, ge=0, le=3660)
    date: dt.date | None = None


@router.post("/sandbox/clock")
async def move_clock(body: MoveBody, request: Request) -> dict[str, Any]:
    """Move forward, then run every day up to the new today in date order (execution.py)."""
    if (body.advance_days is None) == (body.date is None):
        raise BankApiError(400, "invalid_request", "give advance_days or date")
    async with engine(request).begin() as conn:
        state = await clock.move(conn, days=body.advance_days, to=body.date)
    ran, cut = await run_due(engine(request), state.now().date())
    async with engine(request).connect() as conn:
        state = await clock.read(conn)
    data = {
        "Clock": _clock(state),
        "Execution": [shapes.execution(r) for r in ran],
        "Statement": [shapes.card_statement(r, 0) for r in cut],
    }
    return {"Data": data, "Links": {}, "Meta": {}}
