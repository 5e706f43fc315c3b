"""The sandbox clock: real time plus an offset the sandbox can only move forward.

Everything that asks "what time is it" (payment timestamps, the daily limit's day, statements,
quote expiry, what is due) reads `now()` from here, so a test can jump to next month with
`POST /sandbox/clock` and see the bank behave as it would then. The offset lives in the
database, so every process serving the same bank sees the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.db import sandbox_clock
from sandbox.errors import BankApiError

CLOCK_ID = 1


def real_now() -> datetime:
    """Naive UTC, as every stored datetime is."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class ClockState:
    offset_seconds: int
    processed_through: date

    def now(self) -> datetime:
        return real_now() + timedelta(seconds=self.offset_seconds)


async def read(conn: AsyncConnection) -> ClockState:
    row = (await conn.execute(select(sandbox_clock).where(sandbox_clock.c.id == CLOCK_ID))).first()
    if row is None:  # a bank that has not been prepared yet: the real clock
        return ClockState(0, real_now().date())
    return ClockState(row.offset_seconds, row.processed_through)


async def now(conn: AsyncConnection) -> datetime:
    return (await read(conn)).now()


def initial_row(today: date) -> dict[str, object]:
    """A new bank: no offset, and everything up to the seeding day counts as run."""
    return {
        "id": CLOCK_ID,
        "offset_seconds": 0,
        "processed_through": today,
        "updated_at": real_now(),
    }


async def move(conn: AsyncConnection, *, days: int | None, to: date | None) -> ClockState:
    """Move the clock forward by whole days, or to the same time of day on date `to`."""
    # Write first: that takes the lock, so two concurrent moves add up instead of racing.
    await conn.execute(
        update(sandbox_clock).where(sandbox_clock.c.id == CLOCK_ID).values(updated_at=real_now())
    )
    state = await read(conn)
    today = state.now().date()
    if to is not None:
        if to < today:
            raise BankApiError(422, "date_in_past", "the sandbox clock only moves forward")
        days = (to - today).days
    assert days is not None
    offset = state.offset_seconds + days * 86_400
    await conn.execute(
        update(sandbox_clock)
        .where(sandbox_clock.c.id == CLOCK_ID)
        .values(offset_seconds=offset, updated_at=real_now())
    )
    return ClockState(offset, state.processed_through)


async def mark_processed(conn: AsyncConnection, through: date) -> None:
    await conn.execute(
        update(sandbox_clock)
        .where(sandbox_clock.c.id == CLOCK_ID, sandbox_clock.c.processed_through < through)
        .values(processed_through=through)
    )
