"""Alert subscriptions, and the events the bank sends Teller when one matches.

A customer subscribes to a kind of alert (`KINDS`), some with an amount: a balance below
it, a payment over it. The bank knows the moment a payment is booked, so it matches them
there (`after_posting`, called by `ledger.post` in the payment's own database
transaction) and writes an event row into `alert_events`, its outbox: the event exists if
and only if the payment does. A sender task (`EventSender`, started with the app) posts
each new row, signed, to the configured webhook (`PUT /sandbox/event-webhook`, or
`SANDBOX_EVENTS_URL` and `SANDBOX_EVENTS_SECRET`), and marks it sent once Teller answers
2xx; a failure is tried again with a growing wait, a refusal (4xx) is not.

The signature: `X-Bank-Signature: sha256=<hex HMAC-SHA256 over "{timestamp}.{body}">` with
the shared secret, and `X-Bank-Timestamp: <epoch seconds>`; every event has a unique id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox.db import accounts, cards, metadata
from sandbox.errors import BankApiError

log = logging.getLogger(__name__)

# kind -> does it take an amount
KINDS = {
    "low_balance": True,  # the balance went below the amount
    "large_payment": True,  # a payment out over the amount
    "salary": False,  # a salary was paid in
    "card_abroad": False,  # a card was used outside the UK
    "budget": False,  # a payment took a budget past 80% or 100%
}
HOME_COUNTRY = "GB"

alert_subscriptions = Table(
    "alert_subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("amount_minor", BigInteger, nullable=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("customer_id", "kind", name="uq_alert_subscription_kind"),
)

# The outbox: one row per event, sent after the transaction that wrote it commits.
alert_events = Table(
    "alert_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("data", Text, nullable=False),  # JSON
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=True),  # epoch seconds
    Column("failed", String(200), nullable=True),
)


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise BankApiError(400, "unknown_alert_kind", f"alerts are {', '.join(KINDS)}")
    return kind


async def subscriptions(conn: AsyncConnection, customer_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(alert_subscriptions)
        .where(alert_subscriptions.c.customer_id == customer_id)
        .order_by(alert_subscriptions.c.created_at, alert_subscriptions.c.kind)
    )
    return [dict(r) for r in rows.mappings()]


async def subscribe(
    conn: AsyncConnection, customer_id: str, kind: str, amount_minor: int | None, now: datetime
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Add or change the customer's subscription of `kind`: (before, after)."""
    check_kind(kind)
    if KINDS[kind] and (amount_minor is None or amount_minor <= 0):
        raise BankApiError(400, "amount_required", f"a {kind} alert needs an amount above zero")
    if not KINDS[kind]:
        amount_minor = None
    found = (
        (
            await conn.execute(
                select(alert_subscriptions).where(
                    alert_subscriptions.c.customer_id == customer_id,
                    alert_subscriptions.c.kind == kind,
                )
            )
        )
        .mappings()
        .first()
    )
    if found is not None:
        await conn.execute(
            update(alert_subscriptions)
            .where(alert_subscriptions.c.id == found["id"])
            .values(amount_minor=amount_minor)
        )
        return dict(found), {**found, "amount_minor": amount_minor}
    row = {
        "id": f"als-{uuid.uuid4().hex[:16]}",
        "customer_id": customer_id,
        "kind": kind,
        "amount_minor": amount_minor,
        "created_at": now,
    }
    await conn.execute(alert_subscriptions.insert().values(**row))
    return None, row


async def unsubscribe(conn: AsyncConnection, customer_id: str, kind: str) -> dict[str, Any]:
    check_kind(kind)
    found = (
        (
            await conn.execute(
                select(alert_subscriptions).where(
                    alert_subscriptions.c.customer_id == customer_id,
                    alert_subscriptions.c.kind == kind,
                )
            )
        )
        .mappings()
        .first()
    )
    if found is None:
        raise BankApiError(404, "alert_subscription_not_found", f"no {kind} alert to remove")
    await conn.execute(alert_subscriptions.delete().where(alert_subscriptions.c.id == found["id"]))
    return dict(found)


async def raise_event(
    conn: AsyncConnection, customer_id: str, kind: str, data: dict[str, Any], now: datetime
) -> str | None:
    """Write an event if the customer subscribes to `kind` (else None): in the caller's txn."""
    subscribed = (
        await conn.execute(
            select(alert_subscriptions.c.id).where(
                alert_subscriptions.c.customer_id == customer_id,
                alert_subscriptions.c.kind == kind,
            )
        )
    ).first()
    if subscribed is None:
        return None
    event_id = f"evt-{uuid.uuid4().hex}"
    await conn.execute(
        alert_events.insert().values(
            id=event_id,
            customer_id=customer_id,
            kind=kind,
            data=json.dumps(data, sort_keys=True),
            created_at=now,
            attempts=0,
        )
    )
    return event_id


def _money(minor: int, currency: str) -> dict[str, str]:
    return {"Amount": f"{abs(minor) / 100:.2f}", "Currency": currency}


async def after_posting(
    conn: AsyncConnection,
    *,
    transaction_id: str,
    booked_at: datetime,
    description: str,
    legs: Sequence[tuple[str, int]],
    merchant: str | None,
    merchant_country: str | None,
    card_id: str | None,
) -> None:
    """Match one booked transaction against its customers' subscriptions (balances are
    already changed): a payment over an amount, a balance that fell below one, a salary,
    a card used abroad."""
    for account_id, amount in legs:
        account = (
            (await conn.execute(select(accounts).where(accounts.c.id == account_id)))
            .mappings()
            .first()
        )
        if account is None or account["customer_id"] is None:
            continue
        customer_id = account["customer_id"]
        subs = {s["kind"]: s for s in await subscriptions(conn, customer_id)}
        if not subs:
            continue
        currency = account["currency"]
        about = {
            "TransactionId": transaction_id,
            "AccountId": account_id,
            "AccountName": account["name"],
            "AccountEnding": account["last4"],
            "Description": description,
            "Merchant": merchant,
            "Amount": _money(amount, currency),
            "Balance": _money(account["balance_minor"], currency),
            "BookingDateTime": booked_at.isoformat(timespec="seconds"),
        }
        after, before = account["balance_minor"], account["balance_minor"] - amount
        low = subs.get("low_balance")
        if low and amount < 0 and after < low["amount_minor"] <= before:
            await raise_event(
                conn,
                customer_id,
                "low_balance",
                {**about, "Threshold": _money(low["amount_minor"], currency)},
                booked_at,
            )
        large = subs.get("large_payment")
        if large and amount < 0 and -amount > large["amount_minor"]:
            await raise_event(
                conn,
                customer_id,
                "large_payment",
                {**about, "Threshold": _money(large["amount_minor"], currency)},
                booked_at,
            )
        if "salary" in subs and amount > 0 and "SALARY" in description.upper():
            await raise_event(conn, customer_id, "salary", about, booked_at)
        if (
            "card_abroad" in subs
            and card_id
            and merchant_country
            and merchant_country.upper() != HOME_COUNTRY
        ):
            card = (
                (await conn.execute(select(cards).where(cards.c.id == card_id))).mappings().first()
            )
            await raise_event(
                conn,
                customer_id,
                "card_abroad",
                {
                    **about,
                    "CardId": card_id,
                    "CardEnding": card["last4"] if card else "",
                    "CardKind": card["kind"] if card else "",
                    "Country": merchant_country.upper(),
                },
                booked_at,
            )


# -- sending ------------------------------------------------------------------------------


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def envelope(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "EventId": row["id"],
        "CustomerId": row["customer_id"],
        "Kind": row["kind"],
        "CreationDateTime": row["created_at"].isoformat(timespec="seconds"),
        "Data": json.loads(row["data"]),
    }


class EventSender:
    """Posts the outbox's unsent events to the webhook, oldest first, each until Teller
    answers 2xx (a 4xx is a refusal: recorded, not tried again)."""

    def __init__(self, engine: AsyncEngine, every_seconds: float = 0.3) -> None:
        self._engine = engine
        self._every = every_seconds
        self.url = os.environ.get("SANDBOX_EVENTS_URL", "")
        self.secret = os.environ.get("SANDBOX_EVENTS_SECRET", "")
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def configure(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def poke(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._every)
                self._wake.clear()
                if not (self.url and self.secret):
                    continue
                try:
                    await self._send_due(http)
                except Exception:
                    log.exception("sending alert events failed")

    async def _send_due(self, http: httpx.AsyncClient) -> None:
        now = int(time.time())
        async with self._engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(alert_events)
                        .where(alert_events.c.sent_at.is_(None), alert_events.c.failed.is_(None))
                        .order_by(alert_events.c.created_at)
                        .limit(50)
                    )
                )
                .mappings()
                .all()
            )
        for row in rows:
            if row["next_attempt_at"] is not None and row["next_attempt_at"] > now:
                continue
            body = json.dumps(envelope(dict(row)), sort_keys=True).encode()
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-Bank-Timestamp": stamp,
                "X-Bank-Signature": signature(self.secret, stamp, body),
            }
            values: dict[str, Any]
            try:
                response = await http.post(self.url, content=body, headers=headers)
                status = response.status_code
            except httpx.HTTPError as exc:
                status, response = 0, None
                log.warning("alert event %s not delivered: %s", row["id"], type(exc).__name__)
            attempts = row["attempts"] + 1
            if 200 <= status < 300:
                values = {"sent_at": datetime.now(UTC).replace(tzinfo=None), "attempts": attempts}
            elif 400 <= status < 500 and status not in (408, 429):
                values = {"failed": f"refused {status}", "attempts": attempts}
                log.warning("alert event %s refused by the webhook: %s", row["id"], status)
            else:
                values = {"attempts": attempts, "next_attempt_at": now + min(60, 2**attempts)}
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(alert_events).where(alert_events.c.id == row["id"]).values(**values)
                )
