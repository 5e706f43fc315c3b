"""Alert subscriptions as the bank keeps them, and the port the engine's actions see.

The bank matches each subscription as it books a payment (sandbox/alerts.py), so it keeps
them; Teller subscribes and unsubscribes on the customer's behalf, and receives the events
over a signed webhook (bot/bank_events.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

ALERT_KINDS = ("low_balance", "large_payment", "salary", "card_abroad", "budget")
WITH_AMOUNT = frozenset({"low_balance", "large_payment"})


@dataclass(frozen=True, slots=True)
class AlertSubscription:
    kind: str  # one of ALERT_KINDS
    amount: Decimal | None  # low_balance: below it; large_payment: over it


class AlertBank(Protocol):
    async def list_alert_subscriptions(self, customer_id: str) -> list[AlertSubscription]: ...

    async def subscribe_alert(
        self, customer_id: str, kind: str, amount: Decimal | None, idempotency_key: str
    ) -> AlertSubscription:
        """Adds it, or changes the amount of the one of that kind."""
        ...

    async def unsubscribe_alert(self, customer_id: str, kind: str, idempotency_key: str) -> bool:
        """False when the customer had no alert of that kind."""
        ...
