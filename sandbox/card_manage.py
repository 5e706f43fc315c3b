"""Managing a card: its controls (daily limits and switches), a blocked PIN, a replacement.

Every change is one database transaction, idempotent per (customer, key) and audited: a
control change or PIN unblock writes a `card_control_changes` row with the controls it
changes; a replacement writes the new card, its controls, the `card_replacements` row and,
for a lost or stolen card, the old card's cancellation (a `card_actions` row) together.
The same key again returns the first result; another customer's card is 404.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox.card_tables import card_control_changes, card_controls, card_replacements
from sandbox.card_tables import postal_addresses as addresses
from sandbox.cards import STAFF_ONLY_REASONS
from sandbox.db import card_actions, cards
from sandbox.errors import BankApiError


@dataclass(frozen=True, slots=True)
class Bounds:
    default: int  # pence
    minimum: int
    maximum: int


# The bank's bounds for each daily limit, the same for every card.
LIMITS = {
    "atm": Bounds(500_00, 10_00, 1_000_00),
    "online": Bounds(2_500_00, 50_00, 5_000_00),
    "contactless": Bounds(300_00, 30_00, 500_00),
}
SWITCHES = ("online", "contactless", "abroad", "gambling")
DEFAULT_SWITCHES = {"online": True, "contactless": True, "abroad": True, "gambling": True}
REPLACE_REASONS = frozenset({"lost", "stolen", "damaged", "expiring"})
CANCELS_OLD = frozenset({"lost", "stolen"})  # a card someone else may hold stops at once
DELIVERY_WORKING_DAYS = 5
CARD_YEARS = 3

T = TypeVar("T")


def default_controls(card_id: str, now: datetime) -> dict[str, Any]:
    return {
        "card_id": card_id,
        **{f"{name}_limit_minor": bounds.default for name, bounds in LIMITS.items()},
        **{f"{name}_enabled": on for name, on in DEFAULT_SWITCHES.items()},
        "pin_blocked": False,
        "updated_at": now,
    }


@dataclass(frozen=True, slots=True)
class ControlChange:
    controls: Mapping[str, Any]
    card: Mapping[str, Any]
    change: Mapping[str, Any]
    replayed: bool


@dataclass(frozen=True, slots=True)
class Replacement:
    card: Mapping[str, Any]  # the new card
    replacement: Mapping[str, Any]
    old_card: Mapping[str, Any]
    replayed: bool


async def _card(conn: AsyncConnection, customer_id: str, card_id: str) -> Mapping[str, Any]:
    query = select(cards).where(cards.c.id == card_id, cards.c.customer_id == customer_id)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise BankApiError(404, "card_not_found", "no such card for this customer")
    return row


async def controls_of(conn: AsyncConnection, card_id: str, now: datetime) -> Mapping[str, Any]:
    """The card's controls; a card the bank made before controls existed gets the defaults."""
    query = select(card_controls).where(card_controls.c.card_id == card_id)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        await conn.execute(card_controls.insert().values(**default_controls(card_id, now)))
        row = (await conn.execute(query)).mappings().first()
    assert row is not None
    return row


async def read_controls(
    engine: AsyncEngine, customer_id: str, card_id: str, now: datetime
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    async with engine.begin() as conn:
        card = await _card(conn, customer_id, card_id)
        return card, await controls_of(conn, card_id, now)


async def frozen_for_fraud(conn: AsyncConnection, card: Mapping[str, Any]) -> bool:
    if card["status"] != "frozen":
        return False
    reason = (
        await conn.execute(
            select(card_actions.c.reason)
            .where(card_actions.c.card_id == card["id"], card_actions.c.action == "freeze")
            .order_by(card_actions.c.created_at.desc())
            .limit(1)
        )
    ).scalar()
    return reason in STAFF_ONLY_REASONS


async def pin_unblock_allowed(conn: AsyncConnection, card: Mapping[str, Any]) -> bool:
    """The bank's rule: not on a cancelled card, nor on one frozen as stolen or misused."""
    return card["status"] != "cancelled" and not await frozen_for_fraud(conn, card)


async def _once(engine: AsyncEngine, run: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """One transaction; a concurrent duplicate key loses the race and replays the winner."""
    try:
        async with engine.begin() as conn:
            return await run(conn)
    except IntegrityError:
        async with engine.begin() as conn:
            return await run(conn)


# -- controls and PIN ----------------------------------------------------------------------


async def _existing_change(
    conn: AsyncConnection, customer_id: str, key: str
) -> Mapping[str, Any] | None:
    query = select(card_control_changes).where(
        card_control_changes.c.customer_id == customer_id,
        card_control_changes.c.idempotency_key == key,
    )
    return (await conn.execute(query)).mappings().first()


async def change_control(
    engine: AsyncEngine,
    customer_id: str,
    card_id: str,
    control: str,
    value: int | bool | None,
    key: str,
    now: datetime,
) -> ControlChange:
    """Set a limit (pence), a switch (bool) or unblock the PIN (`control="pin"`)."""

    async def run(conn: AsyncConnection) -> ControlChange:
        card = await _card(conn, customer_id, card_id)  # 404 before anything else
        found = await _existing_change(conn, customer_id, key)
        if found is not None:
            if found["card_id"] != card_id or found["control"] != control:
                raise BankApiError(
                    409, "idempotency_key_reused", "this Idempotency-Key was already used"
                )
            return ControlChange(await controls_of(conn, card_id, now), card, found, True)
        if card["status"] == "cancelled":
            raise BankApiError(409, "card_cancelled", "a cancelled card cannot be changed")
        current = await controls_of(conn, card_id, now)
        column, before, after = await _target(conn, card, current, control, value)
        row = {
            "id": f"CC-{uuid.uuid4().hex[:12].upper()}",
            "customer_id": customer_id,
            "card_id": card_id,
            "control": control,
            "from_value": before,
            "to_value": after,
            "idempotency_key": key,
            "created_at": now,
        }
        await conn.execute(card_control_changes.insert().values(**row))
        new_value = {"pin_blocked": False}.get(column, value)
        await conn.execute(
            update(card_controls)
            .where(card_controls.c.card_id == card_id)
            .values({column: new_value, "updated_at": now})
        )
        return ControlChange(await controls_of(conn, card_id, now), card, row, False)

    return await _once(engine, run)


def _switch(on: Any) -> str:
    return "on" if on else "off"


async def _target(
    conn: AsyncConnection,
    card: Mapping[str, Any],
    current: Mapping[str, Any],
    control: str,
    value: int | bool | None,
) -> tuple[str, str, str]:
    """(column, from, to) for the change, or the bank's refusal."""
    if control == "pin":
        if not current["pin_blocked"]:
            raise BankApiError(409, "pin_not_blocked", "this card's PIN is not blocked")
        if not await pin_unblock_allowed(conn, card):
            raise BankApiError(
                409,
                "pin_unblock_not_allowed",
                "the PIN of a card frozen as stolen or misused is unblocked by staff",
            )
        return "pin_blocked", "blocked", "unblocked"
    if control.endswith("_limit"):
        bounds = LIMITS[control.removesuffix("_limit")]
        assert isinstance(value, int) and not isinstance(value, bool)
        if value % 100:
            raise BankApiError(422, "limit_not_whole_pounds", "a daily limit is in whole pounds")
        if not bounds.minimum <= value <= bounds.maximum:
            raise BankApiError(
                422,
                "limit_out_of_bounds",
                f"this limit is from {bounds.minimum // 100} to {bounds.maximum // 100} GBP",
            )
        column = f"{control}_minor"
        return column, str(current[column]), str(value)
    column = f"{control}_enabled"
    return column, _switch(current[column]), _switch(value)


# -- replacement ---------------------------------------------------------------------------


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def working_days_after(day: date, count: int) -> date:
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def address_text(row: Mapping[str, Any]) -> str:
    return f"{row['address_line']}, {row['town']} {row['post_code']}"


async def address_of(conn: AsyncConnection, customer_id: str) -> Mapping[str, Any] | None:
    query = select(addresses).where(addresses.c.customer_id == customer_id)
    return (await conn.execute(query)).mappings().first()


async def _replacement_on_the_way(conn: AsyncConnection, card: Mapping[str, Any]) -> bool:
    """A card of the same kind for the same account, still to be activated."""
    query = select(cards.c.id).where(
        cards.c.customer_id == card["customer_id"],
        cards.c.account_id == card["account_id"],
        cards.c.kind == card["kind"],
        cards.c.status == "pending_activation",
        cards.c.id != card["id"],
    )
    return (await conn.execute(query)).first() is not None


async def _new_last4(conn: AsyncConnection, customer_id: str, old: str) -> str:
    taken = set((await conn.execute(select(cards.c.last4))).scalars())
    while True:
        last4 = f"{uuid.uuid4().int % 10_000:04d}"
        if last4 != old and last4 not in taken:
            return last4


async def replace_card(
    engine: AsyncEngine, customer_id: str, card_id: str, reason: str, key: str, now: datetime
) -> Replacement:
    async def run(conn: AsyncConnection) -> Replacement:
        old = await _card(conn, customer_id, card_id)
        query = select(card_replacements).where(
            card_replacements.c.customer_id == customer_id,
            card_replacements.c.idempotency_key == key,
        )
        found = (await conn.execute(query)).mappings().first()
        if found is not None:
            if found["old_card_id"] != card_id or found["reason"] != reason:
                raise BankApiError(
                    409, "idempotency_key_reused", "this Idempotency-Key was already used"
                )
            new = await _card(conn, customer_id, found["new_card_id"])
            return Replacement(new, found, old, replayed=True)
        if old["status"] == "cancelled":
            raise BankApiError(409, "card_cancelled", "a cancelled card cannot be replaced")
        if old["kind"] == "virtual":
            raise BankApiError(
                409, "card_not_replaceable", "a virtual card is replaced in the app, not posted"
            )
        if reason not in CANCELS_OLD and await _replacement_on_the_way(conn, old):
            raise BankApiError(
                409, "replacement_on_the_way", "a new card for this account is already on its way"
            )
        address = await address_of(conn, customer_id)
        if address is None:
            raise BankApiError(409, "no_postal_address", "the bank holds no address to post to")
        today = now.date()
        new_id = f"card-{uuid.uuid4().hex[:12]}"
        new = {
            "id": new_id,
            "customer_id": customer_id,
            "account_id": old["account_id"],
            "kind": old["kind"],
            "scheme": old["scheme"],
            "last4": await _new_last4(conn, customer_id, old["last4"]),
            "status": "pending_activation",
            "expires_on": _month_end(today.replace(year=today.year + CARD_YEARS, day=1)),
            "delivery_status": "ordered",
            "ordered_at": now,
            "dispatched_at": None,
            "delivered_at": None,
            "expected_on": working_days_after(today, DELIVERY_WORKING_DAYS),
            "updated_at": now,
        }
        await conn.execute(cards.insert().values(**new))
        before = await controls_of(conn, card_id, now)
        carried = dict(before) | {"card_id": new_id, "pin_blocked": False, "updated_at": now}
        await conn.execute(card_controls.insert().values(**carried))
        cancel = reason in CANCELS_OLD
        if cancel:
            await conn.execute(
                card_actions.insert().values(
                    id=f"CA-{uuid.uuid4().hex[:12].upper()}",
                    customer_id=customer_id,
                    card_id=card_id,
                    action="cancel",
                    reason=reason,
                    idempotency_key=f"replace:{key}",
                    from_status=old["status"],
                    to_status="cancelled",
                    created_at=now,
                )
            )
            cancelled = {"status": "cancelled", "updated_at": now}
            await conn.execute(update(cards).where(cards.c.id == card_id).values(cancelled))
        row = {
            "id": f"CR-{uuid.uuid4().hex[:12].upper()}",
            "customer_id": customer_id,
            "old_card_id": card_id,
            "new_card_id": new_id,
            "reason": reason,
            "old_card_cancelled": cancel,
            "delivery_address": address_text(address),
            "idempotency_key": key,
            "created_at": now,
        }
        await conn.execute(card_replacements.insert().values(**row))
        return Replacement(
            await _card(conn, customer_id, new_id),
            row,
            await _card(conn, customer_id, card_id),
            replayed=False,
        )

    return await _once(engine, run)


# -- seed ------------------------------------------------------------------------------------

ADDRESSES = {
    "cust-001": ("14 Elm Grove", "Manchester", "M20 6RT"),
    "cust-002": ("3 Harbour View", "Bristol", "BS1 5TY"),
    "cust-003": ("27 Kingsway", "Leeds", "LS6 2AB"),
}
PIN_BLOCKED = frozenset({"card-001-debit", "card-003-debit"})


async def seed_card_management(conn: AsyncConnection, now: datetime) -> bool:
    """Addresses for the seeded customers and controls for every card without them."""
    seeded = False
    known = set((await conn.execute(select(addresses.c.customer_id))).scalars())
    for customer_id, (line, town, post_code) in ADDRESSES.items():
        if customer_id in known:
            continue
        exists = await conn.execute(select(cards.c.id).where(cards.c.customer_id == customer_id))
        if exists.first() is None:
            continue
        await conn.execute(
            addresses.insert().values(
                customer_id=customer_id,
                address_line=line,
                town=town,
                post_code=post_code,
                country="GB",
            )
        )
        seeded = True
    with_controls = set((await conn.execute(select(card_controls.c.card_id))).scalars())
    for card_id in (await conn.execute(select(cards.c.id))).scalars():
        if card_id in with_controls:
            continue
        row = default_controls(card_id, now) | {"pin_blocked": card_id in PIN_BLOCKED}
        await conn.execute(card_controls.insert().values(**row))
        seeded = True
    return seeded
