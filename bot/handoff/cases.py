"""The customer's cases (disputes and fraud reports) as the agent console shows them beside
the conversation: the ones its handoffs attached first, then the customer's others, newest
first. Amounts and dates as the bank keeps them; labels from the domain's case texts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC
from typing import Any

from bot import events as ev
from bot.bank import Case
from bot.events import Event
from bot.handlers import declared

SHOWN = 10
REASONS = (
    "not_received",
    "charged_twice",
    "wrong_amount",
    "not_recognised",
    "cancelled",
    "card_compromised",
    "card_stolen",
)
STATUSES = ("open", "investigating", "resolved", "rejected")
CASE_TEXTS = declared(
    {
        **{f"case_reason_{reason}": [] for reason in REASONS},
        **{f"case_status_{status}": [] for status in STATUSES},
        "case_kind_dispute": [],
        "case_kind_fraud": [],
    }
)

Text = Callable[[str], str]


def attached_references(events: Iterable[Event]) -> list[str]:
    """Every value the conversation's handoffs attached, in order, once each."""
    found: list[str] = []
    for event in events:
        if event.type != ev.HANDOFF:
            continue
        for value in (event.data.get("attached") or {}).values():
            if isinstance(value, str) and value not in found:
                found.append(value)
    return found


def _label(text: Text, prefix: str, value: str, known: Sequence[str]) -> str:
    return text(f"{prefix}_{value}") if value in known else value


def _money(amount: Any) -> str | None:
    return None if amount is None else f"£{amount:,.2f}"


def case_summaries(cases: Sequence[Case], attached: Sequence[str], text: Text) -> list[dict]:
    ordered = sorted(cases, key=lambda c: (c.reference not in attached, -c.created_at.timestamp()))
    return [
        {
            "reference": case.reference,
            "kind": _label(text, "case_kind", case.kind, ("dispute", "fraud")),
            "status": _label(text, "case_status", case.status, STATUSES),
            "reason": _label(text, "case_reason", case.reason, REASONS),
            "amount": _money(case.amount),
            "payment": _money(case.transaction_amount),
            "merchant": case.merchant,
            "booked_on": case.booked_at.date().isoformat() if case.booked_at else None,
            "card_id": case.card_id,
            "opened": f"{case.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
            "attached": case.reference in attached,
        }
        for case in ordered[:SHOWN]
    ]
