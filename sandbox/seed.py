"""Fixed, documented seed data (see sandbox/README.md).

History is generated with a fixed RNG seed over the HISTORY_DAYS days before the seeding
date, so there is always recent activity. Each account gets an opening-balance transaction
sized so that its balance after seeding is exactly the documented `closing` figure, whatever
the date: tests and demos can rely on those numbers.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.db import accounts, customers, payees, postings, transactions
from sandbox.ledger import Leg, posting_rows

RNG_SEED = 20241122
HISTORY_DAYS = 90

OPENING = "int-opening"
PAYMENTS_IN = "int-payments-in"
PAYMENTS_OUT = "int-payments-out"
CARD_SETTLEMENT = "int-card-settlement"
INTERNAL_ACCOUNTS = {
    OPENING: "Opening balances",
    PAYMENTS_IN: "Faster Payments inbound",
    PAYMENTS_OUT: "Faster Payments outbound",
    CARD_SETTLEMENT: "Card scheme settlement",
}


@dataclass(frozen=True)
class Merchant:
    name: str
    description: str
    category: str  # ISO 18245 merchant category code
    low: int  # pence
    high: int
    per_week: float  # average visits


MERCHANTS = {
    m.name: m
    for m in (
        Merchant("Tesco", "TESCO STORES 3146", "5411", 1240, 8650, 1.5),
        Merchant("Sainsbury's", "SAINSBURYS S/MKTS", "5411", 980, 6420, 1.0),
        Merchant("Waitrose", "WAITROSE 0712", "5411", 1560, 7390, 0.5),
        Merchant("Pret A Manger", "PRET A MANGER", "5814", 345, 1190, 2.5),
        Merchant("Costa Coffee", "COSTA COFFEE", "5814", 290, 680, 1.5),
        Merchant("TfL", "TFL TRAVEL CH", "4111", 280, 890, 4.5),
        Merchant("Amazon", "AMAZON.CO.UK", "5999", 799, 6499, 1.0),
        Merchant("Deliveroo", "DELIVEROO", "5812", 1850, 4290, 0.7),
        Merchant("Boots", "BOOTS 1184", "5912", 450, 2680, 0.4),
        Merchant("Uber", "UBER *TRIP", "4121", 820, 2740, 0.5),
        Merchant("Shell", "SHELL ACTON", "5541", 4200, 7850, 0.3),
    )
}


@dataclass(frozen=True)
class Monthly:
    """Something that happens on a day of every month: salary, rent, direct debits."""

    day: int
    description: str
    amount: int  # pence, signed from the customer's point of view
    merchant: str | None = None  # a card subscription (settles via the card scheme)


@dataclass(frozen=True)
class AccountSeed:
    id: str
    kind: str
    name: str
    last4: str
    closing: int  # pence: the balance right after seeding (negative: owed on a card)
    sort_code: str | None = None
    account_number: str | None = None


@dataclass(frozen=True)
class CustomerSeed:
    id: str
    name: str
    first_name: str
    phone: str
    email: str
    daily_limit: int  # pence
    accounts: tuple[AccountSeed, ...]
    payees: tuple[tuple[str, str, str], ...]  # (name, sort code, account number)
    monthly: tuple[Monthly, ...]
    habits: tuple[str, ...]  # merchants visited with the current account
    card_habits: tuple[str, ...] = ()  # merchants paid with the credit card
    monthly_saving: int = 0  # pence moved current -> savings on the 26th
    card_repayment_day: int = 0  # current pays off part of the card balance
    contact_preference: str | None = None  # sms | email | push: where one-time codes go


CUSTOMERS: tuple[CustomerSeed, ...] = (
    CustomerSeed(
        id="cust-001",
        name="Emma Clarke",
        first_name="Emma",
        phone="+447700900101",
        email="emma.clarke@example.com",
        daily_limit=200_000,
        accounts=(
            AccountSeed(
                "acc-001-current",
                "current",
                "Current account",
                "4821",
                245_000,
                "040004",
                "12344821",
            ),
            AccountSeed(
                "acc-001-savings",
                "savings",
                "Savings account",
                "7730",
                520_000,
                "040004",
                "55017730",
            ),
            AccountSeed("acc-001-card", "credit_card", "Credit card", "1934", -34_218),
        ),
        payees=(
            ("Alice Johnson", "200415", "31926819"),
            ("Bob Martin", "309634", "02847512"),
            ("Priya Patel", "401276", "71550390"),
        ),
        monthly=(
            Monthly(25, "SALARY BRIGHTWAVE MEDIA LTD", 312_450),
            Monthly(1, "SO PRIYA PATEL RENT", -135_000),
            Monthly(3, "DD OCTOPUS ENERGY", -8_900),
            Monthly(5, "DD LAMBETH COUNCIL TAX", -14_700),
            Monthly(8, "NETFLIX.COM", -1_099, merchant="Netflix"),
            Monthly(15, "SPOTIFY", -1_199, merchant="Spotify"),
        ),
        habits=("Tesco", "Sainsbury's", "Pret A Manger", "TfL", "Costa Coffee", "Boots"),
        card_habits=("Amazon", "Deliveroo", "Uber"),
        monthly_saving=30_000,
        card_repayment_day=20,
    ),
    CustomerSeed(
        id="cust-002",
        name="James Wilson",
        first_name="James",
        phone="+447700900102",
        email="james.wilson@example.com",
        daily_limit=200_000,
        accounts=(
            AccountSeed(
                "acc-002-current",
                "current",
                "Current account",
                "3317",
                127_540,
                "040004",
                "20913317",
            ),
            AccountSeed(
                "acc-002-savings",
                "savings",
                "Savings account",
                "0559",
                1_248_000,
                "040004",
                "66020559",
            ),
        ),
        payees=(
            ("Tom Baker", "601613", "40522871"),
            ("Tom Barker", "086011", "12095544"),
            ("Margaret Wilson", "404784", "91028833"),
        ),
        monthly=(
            Monthly(28, "SALARY NORTHGATE ENGINEERING", 268_000),
            Monthly(2, "SO HALCYON LETTINGS RENT", -112_500),
            Monthly(10, "DD THAMES WATER", -3_450),
            Monthly(12, "NETFLIX.COM", -599, merchant="Netflix"),
        ),
        habits=("Sainsbury's", "Waitrose", "TfL", "Shell", "Amazon", "Pret A Manger"),
        monthly_saving=40_000,
        contact_preference="email",
    ),
    CustomerSeed(
        id="cust-003",
        name="Aisha Rahman",
        first_name="Aisha",
        phone="+447700900103",
        email="aisha.rahman@example.com",
        daily_limit=50_000,
        accounts=(
            AccountSeed(
                "acc-003-current",
                "current",
                "Current account",
                "6604",
                18_427,
                "040004",
                "38116604",
            ),
            AccountSeed("acc-003-card", "credit_card", "Credit card", "2290", -112_690),
        ),
        payees=(
            ("Daniel Okafor", "205134", "83340019"),
            ("Chloe Evans", "309950", "11873422"),
        ),
        monthly=(
            Monthly(27, "SALARY CITYWIDE CARE SERVICES", 198_320),
            Monthly(1, "SO GREENFIELD HOUSING RENT", -95_000),
            Monthly(6, "DD EE MOBILE", -2_400),
            Monthly(14, "SPOTIFY", -1_199, merchant="Spotify"),
        ),
        habits=("Tesco", "TfL", "Costa Coffee", "Boots"),
        card_habits=("Amazon", "Deliveroo", "Uber", "Tesco"),
        card_repayment_day=22,
        contact_preference="push",
    ),
)

_SUBSCRIPTION_CATEGORY = "4899"


class _Book:
    """Collects seeded transactions in memory, then writes them in a few bulk inserts."""

    def __init__(self) -> None:
        self.transactions: list[dict[str, Any]] = []
        self.postings: list[dict[str, Any]] = []
        self.net: dict[str, int] = defaultdict(int)

    def add(
        self,
        booked_at: datetime,
        description: str,
        legs: list[Leg],
        merchant: str | None = None,
        category: str | None = None,
    ) -> None:
        transaction_id = f"txn-s{len(self.transactions) + 1:06d}"
        self.postings.extend(posting_rows(transaction_id, legs))
        self.transactions.append(
            {
                "id": transaction_id,
                "booked_at": booked_at,
                "description": description,
                "merchant": merchant,
                "merchant_category": category,
            }
        )
        for account_id, amount in legs:
            self.net[account_id] += amount


def _at(day: date, rng: random.Random, earliest: int = 7, latest: int = 21) -> datetime:
    return datetime.combine(day, time(rng.randint(earliest, latest), rng.randint(0, 59)))


def _history(customer: CustomerSeed, days: list[date], rng: random.Random, book: _Book) -> None:
    by_kind = {a.kind: a.id for a in customer.accounts}
    current, savings, card = by_kind["current"], by_kind.get("savings"), by_kind.get("credit_card")
    for day in days:
        for item in customer.monthly:
            if day.day != item.day:
                continue
            if item.merchant:
                book.add(
                    _at(day, rng, 0, 6),
                    item.description,
                    [(current, item.amount), (CARD_SETTLEMENT, -item.amount)],
                    item.merchant,
                    _SUBSCRIPTION_CATEGORY,
                )
            else:
                other = PAYMENTS_IN if item.amount > 0 else PAYMENTS_OUT
                book.add(
                    _at(day, rng, 0, 6),
                    item.description,
                    [(current, item.amount), (other, -item.amount)],
                )
        if savings and customer.monthly_saving and day.day == 26:
            book.add(
                _at(day, rng),
                "TRANSFER TO SAVINGS",
                [(current, -customer.monthly_saving), (savings, customer.monthly_saving)],
            )
        if card and day.day == customer.card_repayment_day:
            repayment = rng.randint(20_000, 45_000)
            book.add(
                _at(day, rng), "CREDIT CARD REPAYMENT", [(current, -repayment), (card, repayment)]
            )
        for account_id, habits in ((current, customer.habits), (card, customer.card_habits)):
            for name in habits:
                merchant = MERCHANTS[name]
                if rng.random() < merchant.per_week / 7:
                    amount = rng.randint(merchant.low, merchant.high)
                    book.add(
                        _at(day, rng),
                        merchant.description,
                        [(account_id, -amount), (CARD_SETTLEMENT, amount)],
                        merchant.name,
                        merchant.category,
                    )


def build(today: date) -> tuple[list[dict[str, Any]], ...]:
    """All seed rows for a bank seeded on `today`: customers, accounts, payees, txns, postings."""
    rng = random.Random(RNG_SEED)
    start = today - timedelta(days=HISTORY_DAYS)
    days = [start + timedelta(days=n) for n in range(1, HISTORY_DAYS)]  # up to yesterday
    opened = datetime.combine(start, time(0, 0))
    book = _Book()
    customer_rows, account_rows, payee_rows = [], [], []
    for customer in CUSTOMERS:
        customer_rows.append(
            {
                "id": customer.id,
                "name": customer.name,
                "first_name": customer.first_name,
                "phone": customer.phone,
                "email": customer.email,
                "contact_preference": customer.contact_preference,
                "daily_limit_minor": customer.daily_limit,
                "payment_seq": 0,
            }
        )
        payee_rows += [
            {
                "id": f"payee-{customer.id[-3:]}-{n:02d}",
                "customer_id": customer.id,
                "name": name,
                "sort_code": sort_code,
                "account_number": number,
            }
            for n, (name, sort_code, number) in enumerate(customer.payees, start=1)
        ]
        _history(customer, days, rng, book)
        for account in customer.accounts:
            opening = account.closing - book.net[account.id]
            book.add(opened, "OPENING BALANCE", [(account.id, opening), (OPENING, -opening)])
            account_rows.append(
                {
                    "id": account.id,
                    "customer_id": customer.id,
                    "kind": account.kind,
                    "name": account.name,
                    "sort_code": account.sort_code,
                    "account_number": account.account_number,
                    "last4": account.last4,
                    "currency": "GBP",
                    "balance_minor": account.closing,
                    "opened_at": opened,
                }
            )
    internal_rows = [
        {
            "id": account_id,
            "customer_id": None,
            "kind": "internal",
            "name": name,
            "sort_code": None,
            "account_number": None,
            "last4": "0000",
            "currency": "GBP",
            "balance_minor": book.net[account_id],
            "opened_at": opened,
        }
        for account_id, name in INTERNAL_ACCOUNTS.items()
    ]
    return customer_rows, internal_rows + account_rows, payee_rows, book.transactions, book.postings


async def seed_if_empty(conn: AsyncConnection, today: date | None = None) -> bool:
    """Seed an empty bank; a bank that already has customers is left alone. True if seeded."""
    if await conn.scalar(select(func.count()).select_from(customers)):
        return False
    rows = build(today or datetime.now(UTC).date())
    for table, batch in zip(
        (customers, accounts, payees, transactions, postings), rows, strict=True
    ):
        await conn.execute(table.insert(), batch)
    return True
