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

# Alert subscriptions are part of the bank port: actions import them from here.
from bot.bank_alerts import ALERT_KINDS as ALERT_KINDS
from bot.bank_alerts import WITH_AMOUNT as WITH_AMOUNT
from bot.bank_alerts import AlertBank
from bot.bank_alerts import AlertSubscription as AlertSubscription

# Lending and saving live in their own module; actions import its values from here, the port.
from bot.bank_loans import Application as Application
from bot.bank_loans import ApplicationDetails as ApplicationDetails
from bot.bank_loans import DepositProduct as DepositProduct
from bot.bank_loans import FixedDeposit as FixedDeposit
from bot.bank_loans import Loan as Loan
from bot.bank_loans import LoanProduct as LoanProduct
from bot.bank_loans import LoansBank
from bot.bank_loans import SettlementQuote as SettlementQuote


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
    opened_on: date | None = None  # the first day the bank holds the account's rows


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
    merchant_category: str | None = None  # ISO 18245 code of a card payment


@dataclass(frozen=True, slots=True)
class Payee:
    id: str
    name: str
    kind: str = "domestic"  # domestic (sort code and account) | international (IBAN)
    last4: str = ""  # of the account number or IBAN: how the payee is told apart
    sort_code: str = ""  # domestic: 6 digits
    bic: str = ""  # international
    currency: str = "GBP"
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Creditor:
    """Where a payment goes: a saved payee, one of the customer's own accounts, a bill."""

    scheme: str  # Sandbox.BeneficiaryId | Sandbox.AccountId | Sandbox.BillId
    id: str

    @classmethod
    def payee(cls, payee_id: str) -> Creditor:
        return cls("Sandbox.BeneficiaryId", payee_id)

    @classmethod
    def account(cls, account_id: str) -> Creditor:
        return cls("Sandbox.AccountId", account_id)

    @classmethod
    def bill(cls, bill_id: str) -> Creditor:
        return cls("Sandbox.BillId", bill_id)


@dataclass(frozen=True, slots=True)
class PayeeCheck:
    """Confirmation of Payee: does the name fit the account?"""

    result: str  # MATCH | CLOSE_MATCH | NO_MATCH | ACCOUNT_NOT_FOUND
    reason: str | None  # the scheme's reason code, e.g. MBAM, ANNM
    actual_name: str | None  # the held name, given for a close match only


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    status: str
    amount: Decimal
    currency: str
    payee_id: str  # the creditor's id: a payee, an own account or a bill
    source_account_id: str
    new_balance: Decimal | None
    creditor_name: str = ""


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
class CardLimit:
    """One of a card's daily limits and the bank's bounds for it."""

    daily: Decimal
    minimum: Decimal
    maximum: Decimal


@dataclass(frozen=True, slots=True)
class CardControls:
    card_id: str
    limits: dict[str, CardLimit]  # atm | online | contactless
    switches: dict[str, bool]  # online | contactless | abroad | gambling: allowed?
    pin_blocked: bool
    pin_unblock_allowed: bool  # the bank's rule: not on a card frozen as stolen or misused


@dataclass(frozen=True, slots=True)
class ControlChange:
    controls: CardControls
    change_id: str
    control: str  # atm_limit | online_limit | contactless_limit | online | ... | pin
    from_value: str
    to_value: str
    replayed: bool


@dataclass(frozen=True, slots=True)
class PostalAddress:
    lines: tuple[str, ...]
    town: str
    post_code: str
    country: str


@dataclass(frozen=True, slots=True)
class CardReplacement:
    card: Card  # the new card, ordered
    replacement_id: str
    reason: str  # lost | stolen | damaged | expiring
    old_card_status: str  # cancelled for a lost or stolen card
    replayed: bool


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


@dataclass(frozen=True, slots=True)
class CardStatement:
    """A credit card's latest statement; amounts owed are positive."""

    account_id: str
    statement_date: date
    due_date: date
    statement_balance: Decimal
    minimum_payment: Decimal
    paid_since: Decimal
    minimum_remaining: Decimal
    current_balance: Decimal  # owed now


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One booked row of an account statement, with the balance right after it."""

    transaction: Transaction
    balance: Decimal


@dataclass(frozen=True, slots=True)
class AccountStatement:
    """An account's booked rows for whole days `start` to `end` (inclusive), oldest first,
    from the bank's ledger: opening + money in - money out = closing."""

    account_id: str
    currency: str
    start: date  # the days actually covered: never before the account opened, nor after today
    end: date
    opening_balance: Decimal
    closing_balance: Decimal
    money_in: Decimal  # positive
    money_out: Decimal  # positive
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True, slots=True)
class Biller:
    id: str
    name: str
    category: str  # energy | water | council_tax | mobile | broadband | card_issuer
    reference_rule: str  # what the customer reference looks like, in the bank's words
    reference_example: str
    pattern: str = ""  # a regular expression the whole reference matches (spaces removed)
    check_digit: str | None = None  # luhn | mod11: how its last digit is checked


@dataclass(frozen=True, slots=True)
class Bill:
    """A biller saved with the customer's reference at it."""

    id: str
    biller_id: str
    biller_name: str
    category: str
    reference: str  # a card issuer's reference (a card number) comes masked
    nickname: str | None


@dataclass(frozen=True, slots=True)
class ScheduledPayment:
    id: str
    account_id: str
    on: date
    amount: Decimal
    currency: str
    creditor: Creditor
    creditor_name: str
    status: str  # InitiationPending | InitiationCompleted | InitiationFailed | Cancelled
    reason: str | None
    reference: str | None


@dataclass(frozen=True, slots=True)
class StandingOrder:
    id: str
    account_id: str
    frequency: str  # IntrvlWkDay:01:03 | IntrvlMnthDay:01:15 ...
    reference: str | None
    first_date: date
    next_date: date | None  # None once finished or cancelled
    final_date: date | None
    payments: int | None  # how many in all, when it ends by count
    amount: Decimal  # the first payment's
    next_amount: Decimal | None
    currency: str
    creditor: Creditor
    creditor_name: str
    active: bool
    reason: str | None  # completed | cancelled


@dataclass(frozen=True, slots=True)
class DirectDebit:
    id: str
    account_id: str
    name: str
    category: str
    active: bool
    previous_date: date | None
    previous_amount: Decimal | None
    next_date: date | None
    next_amount: Decimal | None


@dataclass(frozen=True, slots=True)
class UpcomingPayment:
    kind: str  # scheduled_payment | standing_order | direct_debit | card_repayment
    id: str
    account_id: str
    on: date
    amount: Decimal
    name: str


@dataclass(frozen=True, slots=True)
class FxQuote:
    id: str
    currency: str
    rate: Decimal  # units of `currency` per 1 GBP
    send: Decimal  # GBP sent
    fee: Decimal  # GBP, debited with what is sent
    total: Decimal  # GBP debited in all
    receive: Decimal  # in `currency`
    created_at: datetime  # by the bank's clock, like expires_at: their gap is how long it holds
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class InternationalPayment:
    id: str
    status: str
    send: Decimal
    fee: Decimal
    receive: Decimal
    currency: str
    payee_id: str
    new_balance: Decimal | None


@dataclass(frozen=True, slots=True)
class PaymentLimit:
    on: date
    daily: Decimal
    used: Decimal
    remaining: Decimal


@dataclass(frozen=True, slots=True)
class Budget:
    """A monthly budget for a spending category, with what was spent in the bank's current
    month (`start` to `end`, `today` the bank's date) on the merchant codes it covers."""

    id: str
    category: str
    amount: Decimal
    spent: Decimal
    currency: str
    start: date
    end: date  # inclusive: the month's last day
    today: date


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """A payment took a budget past `threshold` percent (80 or 100) in `month` (2026-12)."""

    id: str
    budget_id: str
    category: str
    month: str
    threshold: int
    spent: Decimal
    amount: Decimal
    currency: str


class BudgetBank(Protocol):
    """Budgets are kept by the bank, which sees every payment as it is booked."""

    async def list_budgets(self, customer_id: str) -> list[Budget]: ...

    async def create_budget(
        self,
        customer_id: str,
        *,
        category: str,
        codes: list[str],
        amount: Decimal,
        idempotency_key: str,
    ) -> Budget:
        """Refused `budget_exists` (409) when the category has one."""
        ...

    async def change_budget(
        self, customer_id: str, budget_id: str, *, amount: Decimal, idempotency_key: str
    ) -> Budget: ...

    async def delete_budget(
        self, customer_id: str, budget_id: str, idempotency_key: str
    ) -> None: ...

    async def new_budget_alerts(self, customer_id: str) -> list[BudgetAlert]:
        """Alerts not yet acknowledged, newest first."""
        ...

    async def acknowledge_budget_alert(
        self, customer_id: str, alert_id: str, idempotency_key: str
    ) -> bool:
        """True if this call acknowledged it; False if someone else already had."""
        ...


# -- profile: contact details, postal address, marketing choices (actions/profile.py) ------

CONTACT_FIELDS = ("email", "phone")
MARKETING_CHANNELS = ("email", "sms", "post")


@dataclass(frozen=True, slots=True)
class ContactChange:
    """What the bank changed: `previous` is where the notice of the change goes."""

    field: str  # email | phone
    previous: str
    current: str


@dataclass(frozen=True, slots=True)
class AddressChange:
    previous: PostalAddress | None
    current: PostalAddress


@dataclass(frozen=True, slots=True)
class MarketingPreferences:
    email: bool
    sms: bool
    post: bool

    def get(self, channel: str) -> bool:
        return bool(getattr(self, channel))


class ProfileBank(Protocol):
    """The bank keeps the customer's contact details, address and marketing choices and
    audits every change; Teller asks for a code at the contact the bank holds first."""

    async def change_contact(
        self, customer_id: str, *, field: str, value: str, idempotency_key: str
    ) -> ContactChange:
        """Set the email or the mobile number (E.164). BankRejected `contact_unchanged`
        when the bank holds that value already."""
        ...

    async def change_postal_address(
        self, customer_id: str, address: PostalAddress, idempotency_key: str
    ) -> AddressChange: ...

    async def marketing_preferences(self, customer_id: str) -> MarketingPreferences: ...

    async def set_marketing_preferences(
        self, customer_id: str, changes: dict[str, bool], idempotency_key: str
    ) -> MarketingPreferences: ...


@dataclass(frozen=True, slots=True)
class DisputePolicy:
    """How old a debit may be to be disputed: booked on or after `earliest`, by the bank's
    date `today`."""

    max_age_days: int
    today: date
    earliest: date


@dataclass(frozen=True, slots=True)
class Case:
    """A dispute of one debit, or a fraud report about a card, as the bank keeps it."""

    id: str
    reference: str  # what the customer quotes: DSP-… or FRD-…
    kind: str  # dispute | fraud
    status: str  # open | investigating | resolved | rejected
    reason: str  # not_received, charged_twice, wrong_amount, not_recognised, cancelled,
    # card_compromised, card_stolen
    created_at: datetime
    updated_at: datetime
    amount: Decimal | None = None  # disputed (at most the payment)
    currency: str = "GBP"
    transaction_id: str | None = None
    transaction_amount: Decimal | None = None  # what the payment took, positive
    merchant: str | None = None
    booked_at: datetime | None = None
    card_id: str | None = None


class CaseBank(Protocol):
    """Disputes and fraud reports are cases the bank keeps and its staff work on."""

    async def dispute_policy(self) -> DisputePolicy: ...

    async def list_cases(self, customer_id: str, status: str | None = None) -> list[Case]:
        """Newest first; `status` open (not yet resolved or rejected) or closed."""
        ...

    async def get_case(self, customer_id: str, case_id: str) -> Case:
        """By id or reference; refused case_not_found."""
        ...

    async def open_case(
        self,
        customer_id: str,
        *,
        kind: str,
        reason: str,
        idempotency_key: str,
        transaction_id: str | None = None,
        card_id: str | None = None,
        amount: Decimal | None = None,
    ) -> Case:
        """Refused: dispute_window_passed, case_exists, amount_exceeds_transaction,
        transaction_not_found, not_a_debit, card_not_found, invalid_reason."""
        ...


@dataclass(frozen=True, slots=True)
class KnownLocation:
    """A town or postcode district the bank's branch finder knows, where it measures from."""

    name: str  # as the bank spells it: "Leeds", "M1"
    kind: str  # town | district
    town: str  # a district's town; a town's own name
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class DayHours:
    day: str  # Monday ... Sunday
    opens: str | None  # "09:00"; None when closed that day
    closes: str | None


@dataclass(frozen=True, slots=True)
class NearbyPlace:
    """A branch or cash machine, `distance_m` from where the customer asked about."""

    id: str
    kind: str  # atm | branch
    name: str
    address: str
    latitude: float
    longitude: float
    distance_m: int
    open_now: bool
    always_open: bool
    deposits: bool
    accessible: bool
    today: str  # the bank's weekday (UK time), to say today's hours
    hours: tuple[DayHours, ...]


class PlacesBank(Protocol):
    """The bank's branch and cash machine finder: public information, nobody's account."""

    async def find_location(self, query: str) -> KnownLocation | None:
        """None when the bank's gazetteer holds no such town or postcode district."""
        ...

    async def nearby_places(
        self,
        latitude: float,
        longitude: float,
        *,
        kind: str | None = None,
        deposits: bool = False,
        accessible: bool = False,
        open_now: bool = False,
        limit: int = 3,
    ) -> list[NearbyPlace]:
        """Nearest first, within the bank's search radius (none further than that)."""
        ...


class Bank(BudgetBank, LoansBank, ProfileBank, CaseBank, PlacesBank, AlertBank, Protocol):
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

    async def list_payees(self, customer_id: str, kind: str | None = "domestic") -> list[Payee]:
        """The customer's payees: UK ones by default, `international`, or None for all."""
        ...

    async def add_payee(
        self,
        customer_id: str,
        *,
        name: str,
        sort_code: str,
        account_number: str,
        reference: str | None,
        idempotency_key: str,
    ) -> Payee: ...

    async def add_international_payee(
        self,
        customer_id: str,
        *,
        name: str,
        iban: str,
        bic: str,
        currency: str,
        reference: str | None,
        idempotency_key: str,
    ) -> Payee: ...

    async def delete_payee(
        self, customer_id: str, payee_id: str, idempotency_key: str
    ) -> list[str]:
        """The ids of the scheduled payments and standing orders cancelled with it."""
        ...

    async def check_payee(
        self,
        customer_id: str,
        *,
        name: str,
        sort_code: str,
        account_number: str,
        business: bool = False,
    ) -> PayeeCheck: ...

    async def create_domestic_payment(
        self,
        customer_id: str,
        source_account_id: str,
        creditor: Creditor,
        amount: Decimal,
        currency: str,
        reference: str | None,
        idempotency_key: str,
    ) -> Payment:
        """Sent exactly once. The same key again returns the first payment, never a second."""
        ...

    async def payment_limits(self, customer_id: str) -> PaymentLimit: ...

    async def card_statement(self, customer_id: str, account_id: str) -> CardStatement | None:
        """The card's latest statement; None before its first."""
        ...

    async def account_statement(
        self, customer_id: str, account_id: str, start: date, end: date
    ) -> AccountStatement:
        """The account's booked rows from `start` to `end`; BankRejected
        `statement_before_account_opened` / `statement_in_future` where it holds none."""
        ...

    async def list_billers(self) -> list[Biller]: ...

    async def list_bills(self, customer_id: str) -> list[Bill]: ...

    async def add_bill(
        self,
        customer_id: str,
        *,
        biller_id: str,
        reference: str,
        nickname: str | None,
        idempotency_key: str,
    ) -> Bill: ...

    async def schedule_payment(
        self,
        customer_id: str,
        *,
        source_account_id: str,
        creditor: Creditor,
        amount: Decimal,
        on: date,
        reference: str | None,
        idempotency_key: str,
    ) -> ScheduledPayment: ...

    async def list_scheduled_payments(self, customer_id: str) -> list[ScheduledPayment]: ...

    async def amend_scheduled_payment(
        self,
        customer_id: str,
        payment_id: str,
        *,
        amount: Decimal | None = None,
        on: date | None = None,
        idempotency_key: str,
    ) -> ScheduledPayment: ...

    async def cancel_scheduled_payment(
        self, customer_id: str, payment_id: str, idempotency_key: str
    ) -> ScheduledPayment: ...

    async def create_standing_order(
        self,
        customer_id: str,
        *,
        source_account_id: str,
        creditor: Creditor,
        amount: Decimal,
        frequency: str,
        first_date: date,
        final_date: date | None = None,
        payments: int | None = None,
        reference: str | None,
        idempotency_key: str,
    ) -> StandingOrder: ...

    async def list_standing_orders(self, customer_id: str) -> list[StandingOrder]: ...

    async def amend_standing_order(
        self,
        customer_id: str,
        order_id: str,
        *,
        amount: Decimal | None = None,
        next_date: date | None = None,
        idempotency_key: str,
    ) -> StandingOrder: ...

    async def cancel_standing_order(
        self, customer_id: str, order_id: str, idempotency_key: str
    ) -> StandingOrder: ...

    async def list_direct_debits(self, customer_id: str) -> list[DirectDebit]: ...

    async def cancel_direct_debit(
        self, customer_id: str, direct_debit_id: str, idempotency_key: str
    ) -> DirectDebit: ...

    async def upcoming_payments(
        self, customer_id: str, days: int = 30
    ) -> list[UpcomingPayment]: ...

    async def quote_fx(
        self,
        customer_id: str,
        currency: str,
        *,
        send: Decimal | None = None,
        receive: Decimal | None = None,
        idempotency_key: str,
    ) -> FxQuote:
        """A quote for sending pounds (`send`) or for an amount to arrive (`receive`)."""
        ...

    async def create_international_payment(
        self,
        customer_id: str,
        *,
        source_account_id: str,
        payee_id: str,
        quote_id: str,
        reference: str | None,
        idempotency_key: str,
    ) -> InternationalPayment: ...

    async def list_cards(self, customer_id: str) -> list[Card]:
        """Debit cards first, then credit, then virtual."""
        ...

    async def freeze_card(
        self, customer_id: str, card_id: str, reason: str, idempotency_key: str
    ) -> CardChange: ...

    async def activate_card(
        self, customer_id: str, card_id: str, idempotency_key: str
    ) -> CardChange: ...

    async def unfreeze_card(
        self, customer_id: str, card_id: str, idempotency_key: str
    ) -> CardChange:
        """Refused (card_frozen_for_fraud) for a card frozen as stolen or compromised."""
        ...

    async def card_controls(self, customer_id: str, card_id: str) -> CardControls:
        """The card's daily limits with their bounds, its switches and its PIN's state."""
        ...

    async def set_card_limit(
        self, customer_id: str, card_id: str, limit: str, amount: Decimal, idempotency_key: str
    ) -> ControlChange:
        """`limit`: atm | online | contactless; refused (limit_out_of_bounds) outside bounds."""
        ...

    async def set_card_switch(
        self, customer_id: str, card_id: str, switch: str, enabled: bool, idempotency_key: str
    ) -> ControlChange:
        """`switch`: online | contactless | abroad | gambling."""
        ...

    async def unblock_pin(
        self, customer_id: str, card_id: str, idempotency_key: str
    ) -> ControlChange:
        """Refused: pin_not_blocked, pin_unblock_not_allowed (a fraud freeze), card_cancelled."""
        ...

    async def postal_address(self, customer_id: str) -> PostalAddress | None:
        """Where the bank posts cards; None when it holds none."""
        ...

    async def replace_card(
        self, customer_id: str, card_id: str, reason: str, idempotency_key: str
    ) -> CardReplacement:
        """Order a new card to the postal address; a lost or stolen card is cancelled too."""
        ...

    async def list_pending_transactions(
        self, customer_id: str, kind: str | None = None
    ) -> list[PendingTransaction]:
        """Authorised, not yet booked; newest first."""
        ...

    async def list_top_ups(self, customer_id: str, status: str | None = None) -> list[TopUp]: ...

    async def exchange_rates(self) -> list[ExchangeRate]:
        """The bank's customer rates from GBP, by currency code."""
        ...
