"""Card state changes (freeze, unfreeze, activate): idempotent per (customer, key), always audited.

Each change is one database transaction: the audit row in `card_actions` and the card's new
status commit together. The audit row is written even when the card is already in the wanted
state, so the trail shows every request; the same key again returns the first result.
Activating a card that replaced another (sandbox/card_manage.py) cancels the old one in the
same transaction, if it still worked (a damaged or expiring card works until then).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox.card_tables import card_replacements
from sandbox.db import card_actions, cards
from sandbox.errors import BankApiError

FREEZE_REASONS = frozenset({"lost", "stolen", "compromised", "swallowed", "phone_lost", "other"})


@dataclass(frozen=True, slots=True)
class Transition:
    """What an action needs the card to be in, and what it makes it."""

    allowed_from: frozenset[str]
    to: str


TRANSITIONS = {
    # A card still in the post can be frozen too: it may be what went missing.
    "freeze": Transition(frozenset({"active", "pending_activation", "frozen"}), "frozen"),
    "activate": Transition(frozenset({"pending_activation", "active"}), "active"),
    "unfreeze": Transition(frozenset({"frozen", "active"}), "active"),
}
# A card frozen because it was stolen or someone else used it is unfrozen by staff only.
STAFF_ONLY_REASONS = frozenset({"stolen", "compromised"})
_REFUSED = {
    "freeze": ("card_cancelled", "a cancelled card cannot be frozen"),
    "activate": ("card_not_activatable", "only a card waiting for activation can be activated"),
    "unfreeze": ("card_not_frozen", "only a frozen card can be unfrozen"),
}


@dataclass(frozen=True, slots=True)
class CardChange:
    card: Mapping[str, Any]
    action: Mapping[str, Any]
    replayed: bool


async def _card(conn: AsyncConnection, customer_id: str, card_id: str) -> Mapping[str, Any]:
    row = (
        (
            await conn.execute(
                select(cards).where(cards.c.id == card_id, cards.c.customer_id == customer_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "card_not_found", "no such card for this customer")
    return row


async def _existing(
    conn: AsyncConnection, customer_id: str, key: str, card_id: str, action: str
) -> CardChange | None:
    found = (
        (
            await conn.execute(
                select(card_actions).where(
                    card_actions.c.customer_id == customer_id,
                    card_actions.c.idempotency_key == key,
                )
            )
        )
        .mappings()
        .first()
    )
    if found is None:
        return None
    if found["card_id"] != card_id or found["action"] != action:
        raise BankApiError(
            409,
            "idempotency_key_reused",
            "this Idempotency-Key was already used for another request",
        )
    return CardChange(await _card(conn, customer_id, card_id), found, replayed=True)


async def _frozen_for(conn: AsyncConnection, card_id: str) -> str | None:
    """Why the card was last frozen (None: frozen by the bank's own seed or process)."""
    return (
        await conn.execute(
            select(card_actions.c.reason)
            .where(card_actions.c.card_id == card_id, card_actions.c.action == "freeze")
            .order_by(card_actions.c.created_at.desc())
            .limit(1)
        )
    ).scalar()


async def _apply(
    conn: AsyncConnection,
    customer_id: str,
    card_id: str,
    action: str,
    reason: str | None,
    key: str,
    now: datetime,
) -> CardChange:
    card = await _card(conn, customer_id, card_id)  # 404 before anything else is revealed
    replay = await _existing(conn, customer_id, key, card_id, action)
    if replay is not None:
        return replay
    transition = TRANSITIONS[action]
    if card["status"] not in transition.allowed_from:
        code, message = _REFUSED[action]
        raise BankApiError(409, code, message)
    if (
        action == "unfreeze"
        and card["status"] == "frozen"
        and await _frozen_for(conn, card_id) in STAFF_ONLY_REASONS
    ):
        raise BankApiError(
            409,
            "card_frozen_for_fraud",
            "a card frozen as stolen or misused is unfrozen by staff",
        )
    row = {
        "id": f"CA-{uuid.uuid4().hex[:12].upper()}",
        "customer_id": customer_id,
        "card_id": card_id,
        "action": action,
        "reason": reason,
        "idempotency_key": key,
        "from_status": card["status"],
        "to_status": transition.to,
        "created_at": now,
    }
    await conn.execute(card_actions.insert().values(**row))
    if card["status"] != transition.to:
        await conn.execute(
            update(cards).where(cards.c.id == card_id).values(status=transition.to, updated_at=now)
        )
        if action == "activate":
            await retire_replaced(conn, card_id, key, now)
    return CardChange(await _card(conn, customer_id, card_id), row, replayed=False)


async def change_card(
    engine: AsyncEngine,
    customer_id: str,
    card_id: str,
    action: str,
    reason: str | None,
    key: str,
    now: datetime,
) -> CardChange:
    """Run `action` on the card once per key; a concurrent duplicate gets the first result."""
    try:
        async with engine.begin() as conn:
            return await _apply(conn, customer_id, card_id, action, reason, key, now)
    except IntegrityError:
        async with engine.connect() as conn:
            replay = await _existing(conn, customer_id, key, card_id, action)
            if replay is None:
                raise
            return replay


async def retire_replaced(
    conn: AsyncConnection, card_id: str, key: str, now: datetime
) -> str | None:
    """When a replacement is activated, the card it replaces stops (if it still worked):
    returns the retired card's id. Called inside the activation's own transaction."""
    query = select(card_replacements.c.old_card_id).where(
        card_replacements.c.new_card_id == card_id
    )
    old_id = (await conn.execute(query)).scalar()
    if old_id is None:
        return None
    old = (await conn.execute(select(cards).where(cards.c.id == old_id))).mappings().first()
    if old is None or old["status"] == "cancelled":
        return None
    await conn.execute(
        card_actions.insert().values(
            id=f"CA-{uuid.uuid4().hex[:12].upper()}",
            customer_id=old["customer_id"],
            card_id=old_id,
            action="cancel",
            reason="replaced",
            idempotency_key=f"replaced:{key}",
            from_status=old["status"],
            to_status="cancelled",
            created_at=now,
        )
    )
    await conn.execute(
        update(cards).where(cards.c.id == old_id).values(status="cancelled", updated_at=now)
    )
    return str(old_id)
