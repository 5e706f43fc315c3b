"""The bank port with each customer's reference data kept for a short while.

A conversation asks for the same accounts, payees, cards and contact details turn after
turn (to read a balance, to match a payee, to send a code); only balances, transactions
and payments change from one turn to the next. So those reference reads are kept per
customer for `ttl_seconds`, and a write that changes one of them through this port (a
card frozen or activated) forgets it at once. What another worker or the bank changes
behind our back is seen within the TTL.

Every method of the bank port is listed below as cached, forgetting or passed through,
so a new one cannot slip past without a decision (tests/actions/test_cached_bank.py).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from bot.bank import Bank

# method -> what it reads: kept per customer
CACHED = {
    "get_customer": "customer",
    "list_accounts": "accounts",
    "list_payees": "payees",
    "list_cards": "cards",
    "list_bills": "bills",
}
# method -> what it changes: forgotten for the customer once it has answered
FORGETS = {
    "freeze_card": ("cards",),
    "activate_card": ("cards",),
    "unfreeze_card": ("cards",),
    "replace_card": ("cards",),
    "add_payee": ("payees",),
    "add_international_payee": ("payees",),
    "delete_payee": ("payees",),
    "add_bill": ("bills",),
    "change_contact": ("customer",),  # the codes go to the new contact from now on
}
# Balances, payments, schedules, limits, quotes: they change from turn to turn.
PASSED = frozenset(
    {
        "list_customers",
        "get_balances",
        # budgets: spent changes with every payment; alerts are read and acknowledged once
        "list_budgets",
        "create_budget",
        "change_budget",
        "delete_budget",
        "new_budget_alerts",
        "acknowledge_budget_alert",
        # loans, deposits, applications: balances and decisions change with every write
        "list_loans",
        "settlement_quote",
        "deposit_products",
        "loan_product",
        "list_fixed_deposits",
        "open_fixed_deposit",
        "list_applications",
        "apply_for_product",
        # cases: their status is the bank staff's to change at any time
        "dispute_policy",
        "list_cases",
        "get_case",
        "open_case",
        # the branch finder: public and cheap, and "open now" changes by the minute
        "find_location",
        "nearby_places",
        # alert subscriptions: read when listed, each change a write
        "list_alert_subscriptions",
        "subscribe_alert",
        "unsubscribe_alert",
        "list_transactions",
        "create_domestic_payment",
        "list_pending_transactions",
        "list_top_ups",
        "exchange_rates",
        "check_payee",
        "payment_limits",
        "card_statement",
        "account_statement",
        "list_billers",
        "schedule_payment",
        "list_scheduled_payments",
        "amend_scheduled_payment",
        "cancel_scheduled_payment",
        "create_standing_order",
        "list_standing_orders",
        "amend_standing_order",
        "cancel_standing_order",
        "list_direct_debits",
        "cancel_direct_debit",
        "upcoming_payments",
        "quote_fx",
        "create_international_payment",
        "card_controls",
        "set_card_limit",
        "set_card_switch",
        "unblock_pin",
        "postal_address",
        "change_postal_address",
        "marketing_preferences",
        "set_marketing_preferences",
    }
)


class CachedBank:
    def __init__(
        self,
        bank: Bank,
        ttl_seconds: float = 30.0,
        capacity: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bank = bank
        self._ttl = ttl_seconds
        self._capacity = capacity
        self._clock = clock
        self._kept: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._bank, name)
        if name in CACHED:
            return partial(self._read, CACHED[name], method)
        if name in FORGETS:
            return partial(self._write, FORGETS[name], method)
        if name in PASSED:
            return method
        raise AttributeError(f"CachedBank has no rule for {name!r}: cached, forgets or passed?")

    def forget(self, customer_id: str, *kinds: str) -> None:
        """Drop what is kept of a customer (every kind when none is named)."""
        for key in [k for k in self._kept if k[1] == customer_id and (not kinds or k[0] in kinds)]:
            del self._kept[key]

    async def _read(
        self,
        kind: str,
        method: Callable[..., Awaitable[Any]],
        customer_id: str,
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        key = (kind, customer_id, *args, *sorted(kwargs.items()))
        now = self._clock()
        kept = self._kept.get(key)
        if kept is not None and kept[0] > now:
            self._kept.move_to_end(key)
            return _copy(kept[1])
        value = await method(customer_id, *args, **kwargs)
        self._kept[key] = (now + self._ttl, value)
        if len(self._kept) > self._capacity:
            self._kept.popitem(last=False)
        return _copy(value)

    async def _write(
        self,
        kinds: tuple[str, ...],
        method: Callable[..., Awaitable[Any]],
        customer_id: str,
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        try:
            return await method(customer_id, *args, **kwargs)
        finally:  # whatever the answer, the bank may have changed it
            self.forget(customer_id, *kinds)


def _copy(value: Any) -> Any:
    """Lists are copied so a caller sorting one cannot change what is kept."""
    return list(value) if isinstance(value, list) else value
