"""The bank port: what the engine and the action handlers may ask of the bank's API.

`Bank` is the Protocol; `actions/bank_client.py` implements it over HTTP (the sandbox
speaks the same API, as a real core would). The values are plain frozen dataclasses, so
nothing above this port knows the wire format, and the errors say what a caller must
decide: refused (`BankRejected`), unreachable (`BankUnavailable`, with whether a write may
have happened anyway), or anything else (`BankError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


class BankError(Exception):
    """The bank could not be used as expected (bad credentials, malformed answer...)."""


class BankUnavailable(BankError):
    """Could not reach the bank, it timed out, or it failed (5xx).

    `outcome_unknown` is True when the request may have reached the bank: for a payment
    that means it may or may not have been made.
    """

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown


class BankRejected(BankError):
    """The bank understood and refused (4xx): `code` is its machine-readable reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    first_name: str
    phone: str
    email: str
    contact_preference: str = ""  # sms | email | push: how they chose to get codes; "" none


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    kind: str  # current | savings | credit_card
    name: str
    last4: str
    currency: str


@dataclass(frozen=True, slots=True)
class Balance:
    account_id: str
    amount: Decimal  # negative: owed (an overdrawn account or a credit card balance)
    currency: str


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    account_id: str
    booked_at: datetime
    amount: Decimal  # signed: money in > 0, money out < 0
    currency: str
    description: str
    merchant: str | None


@dataclass(frozen=True, slots=True)
class Payee:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    status: str
    amount: Decimal
    currency: str
    payee_id: str
    source_account_id: str
    new_balance: Decimal | None


@dataclass(frozen=True, slots=True)
class Delivery:
    status: str  # ordered | dispatched | delivered
    ordered_at: datetime | None
    dispatched_at: datetime | None
    delivered_at: datetime | None
    expected_on: date | None


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    account_id: str
    kind: str  # debit | credit | virtual
    scheme: str
    last4: str
    status: str  # active | frozen | cancelled | pending_activation
    expires: date  # the first day of the expiry month (a card works to its month's end)
    delivery: Delivery | None  # None: a virtual card, never posted


@dataclass(frozen=True, slots=True)
class CardChange:
    card: Card
    action_id: str
    from_status: str
    to_status: str
    replayed: bool  # the same idempotency key was seen before: nothing changed this time


@dataclass(frozen=True, slots=True)
class PendingTransaction:
    id: str
    account_id: str
    kind: str  # card_payment | transfer | cash_withdrawal
    amount: Decimal  # money out, positive
    currency: str
    description: str
    merchant: str | None
    created_at: datetime
    expected_on: date


@dataclass(frozen=True, slots=True)
class TopUp:
    id: str
    method: str  # card | bank_transfer
    source: str
    amount: Decimal
    currency: str
    status: str  # pending | completed | failed | reverted
    reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    currency: str
    rate: Decimal  # units of `currency` per 1 GBP


class Bank(Protocol):
    """Reads may be retried by the adapter; a write is sent once, with the caller's
    idempotency key, and never retried behind the caller's back."""

    async def list_customers(self) -> list[Customer]: ...

    async def get_customer(self, customer_id: str) -> Customer: ...

    async def list_accounts(self, customer_id: str) -> list[Account]: ...

    async def get_balances(
        self, customer_id: str, account_id: str | None = None
    ) -> list[Balance]: ...

    async def list_transactions(
        self,
        customer_id: str,
        account_id: str | None = None,
        start: date | datetime | None = None,
        end: date | datetime | None = None,
        merchant: str | None = None,
        limit: int | None = None,
    ) -> list[Transaction]:
        """Newest first. A bare `end` date includes that whole day."""
        ...

    async def list_payees(self, customer_id: str) -> list[Payee]: ...

    async def create_domestic_payment(
        self,
        customer_id: str,
        source_account_id: str,
        payee_id: str,
        amount: Decimal,
        currency: str,
        reference: str,
        idempotency_key: str,
    ) -> Payment:
        """Sent exactly once. The same key again returns the first payment, never a second."""
        ...

    async def list_cards(self, customer_id: str) -> list[Card]:
        """Debit cards first, then credit, then virtual."""
        ...

    async def freeze_card(
        self, customer_id: str, card_id: str, reason: str, idempotency_key: str
    ) -> CardChange: ...

    async def activate_card(
        self, customer_id: str, card_id: str, idempotency_key: str
    ) -> CardChange: ...

    async def list_pending_transactions(
        self, customer_id: str, kind: str | None = None
    ) -> list[PendingTransaction]:
        """Authorised, not yet booked; newest first."""
        ...

    async def list_top_ups(self, customer_id: str, status: str | None = None) -> list[TopUp]: ...

    async def exchange_rates(self) -> list[ExchangeRate]:
        """The bank's customer rates from GBP, by currency code."""
        ...
