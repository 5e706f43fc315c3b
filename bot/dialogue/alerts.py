"""Budget alerts, told on the customer's next turn.

The bank raises an alert when a payment takes a budget past 80% or 100% (once per category,
month and mark). Teller has no way yet to push a message to a customer who is not talking
to it, so at the end of a signed-in customer's turn it asks the bank for new alerts and
appends them to the reply. Each alert is acknowledged at the bank first, and only the
acknowledgement that wins says it: of two workers (or two conversations) that see the same
alert, exactly one tells the customer. When one payment crossed both marks, only the 100%
one is said.

Asking costs a bank call, so a worker asks at most once every `every_seconds` per customer;
a turn whose flow just ran an action (a payment, say) always asks.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from decimal import Decimal

from bot.bank import BankError, BudgetAlert, BudgetBank
from bot.handlers import declared

log = logging.getLogger(__name__)

SAYS = declared(
    {
        "utter_budget_alert_80": ["spent", "amount", "category", "percent"],
        "utter_budget_alert_100": ["spent", "amount", "category", "percent"],
    }
)


def _money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


class BudgetAlerts:
    def __init__(
        self, bank: BudgetBank, every_seconds: float = 10.0, capacity: int = 50_000
    ) -> None:
        self._bank = bank
        self._every = every_seconds
        self._capacity = capacity
        self._asked: OrderedDict[str, float] = OrderedDict()

    def _due(self, customer_id: str, now: float, acted: bool) -> bool:
        last = self._asked.get(customer_id)
        if not acted and last is not None and now - last < self._every:
            return False
        self._asked[customer_id] = now
        self._asked.move_to_end(customer_id)
        if len(self._asked) > self._capacity:
            self._asked.popitem(last=False)
        return True

    async def due(
        self, customer_id: str, conversation_id: str, now: float, acted: bool = False
    ) -> list[tuple[str, dict[str, object]]]:
        """The alerts to say now, as (response key, variables); [] when there are none, when
        it is too soon to ask again, or when the bank cannot be asked (never fails a turn)."""
        if not self._due(customer_id, now, acted):
            return []
        try:
            alerts = await self._bank.new_budget_alerts(customer_id)
        except BankError as exc:
            log.warning("budget alerts: bank unavailable: %s", exc)
            return []
        told: dict[tuple[str, str], BudgetAlert] = {}
        for alert in sorted(alerts, key=lambda a: a.threshold):
            key = hashlib.sha256(f"{conversation_id}:alert:{alert.id}".encode()).hexdigest()
            try:
                won = await self._bank.acknowledge_budget_alert(customer_id, alert.id, key)
            except BankError as exc:
                log.warning("budget alert %s: not acknowledged: %s", alert.id, exc)
                continue
            if won:
                told[(alert.category, alert.month)] = alert  # the highest mark wins
        return [
            (
                f"utter_budget_alert_{alert.threshold}",
                {
                    "spent": _money(alert.spent),
                    "amount": _money(alert.amount),
                    "category": alert.category,
                    "percent": int(alert.spent * 100 / alert.amount) if alert.amount else 100,
                },
            )
            for alert in told.values()
        ]
