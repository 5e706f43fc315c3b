"""Personal loans, fixed-term deposits and product applications (routes in loan_routes.py).

- A **loan** is a row per customer: what is still owed, the rate (APR), the monthly payment,
  the next payment date, how many payments are left and the account it is repaid from. An
  **early repayment (settlement) quote** is what it costs to pay the loan off today: the
  balance, the interest accrued since the last monthly payment (simple daily interest at the
  APR over 365 days) and an early repayment charge of 1% of the balance when more than 12
  payments are left, 0.5% otherwise (the most the Consumer Credit Act lets a lender charge).
  A quote is stored and holds for `QUOTE_MINUTES` minutes by the sandbox clock.
- A **fixed-term deposit** is opened for one of the terms in `deposit_rates` (3, 6, 12 or 24
  months) with an amount within that term's bounds, from the customer's current or savings
  account. One database transaction debits the account and books the money to the bank's
  term-deposit book (`int-term-deposits`, double entry), creates the deposit row and audits
  it; the Idempotency-Key makes a repeat answer with the first deposit. The rate is fixed for
  the term (AER, paid at maturity, compounded yearly for terms over a year); at maturity the
  balance and interest are paid to `payout_account_id` (`pay_out`) or `renew`ed.
- An **application** for a personal loan or a credit card is decided at once by `decide()`:
  declined, referred to a colleague (status `UnderReview`) or approved, with a reference.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.db import accounts, metadata
from sandbox.errors import BankApiError
from sandbox.frequency import add_months
from sandbox.ledger import post
from sandbox.operations import Refusal, Row, Step
from sandbox.seed import OPENING

TERM_DEPOSITS = "int-term-deposits"
QUOTE_MINUTES = 10
PAYABLE_KINDS = ("current", "savings")
AT_MATURITY = ("pay_out", "renew")

loans = Table(
    "loans",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("product", String(60), nullable=False),
    Column("purpose", String(60), nullable=False),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),  # repaid from
    Column("principal_minor", BigInteger, nullable=False),
    Column("balance_minor", BigInteger, nullable=False),  # still owed
    Column("rate", String(8), nullable=False),  # APR, percent: "6.9"
    Column("monthly_payment_minor", BigInteger, nullable=False),
    Column("next_payment_on", Date, nullable=False),
    Column("payments_left", Integer, nullable=False),
    Column("opened_at", DateTime, nullable=False),
)

loan_quotes = Table(
    "loan_quotes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("loan_id", String(40), ForeignKey("loans.id"), nullable=False),
    Column("balance_minor", BigInteger, nullable=False),
    Column("interest_minor", BigInteger, nullable=False),
    Column("charge_minor", BigInteger, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

deposit_rates = Table(
    "deposit_rates",
    metadata,
    Column("term_months", Integer, primary_key=True),
    Column("rate", String(8), nullable=False),  # AER, percent: "4.40"
    Column("min_minor", BigInteger, nullable=False),
    Column("max_minor", BigInteger, nullable=False),
)

fixed_deposits = Table(
    "fixed_deposits",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("term_months", Integer, nullable=False),
    Column("rate", String(8), nullable=False),
    Column("principal_minor", BigInteger, nullable=False),
    Column("interest_minor", BigInteger, nullable=False),  # paid at maturity
    Column("source_account_id", String(40), nullable=False),
    Column("payout_account_id", String(40), nullable=False),
    Column("at_maturity", String(8), nullable=False),  # pay_out | renew
    Column("transaction_id", String(40), nullable=True),
    Column("opened_at", DateTime, nullable=False),
    Column("matures_on", Date, nullable=False),
)

applications = Table(
    "product_applications",
    metadata,
    Column("id", String(40), primary_key=True),  # the reference the customer is given
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("product", String(16), nullable=False),  # personal_loan | credit_card
    Column("amount_minor", BigInteger, nullable=True),  # a loan's
    Column("purpose", String(60), nullable=True),
    Column("annual_income_minor", BigInteger, nullable=False),
    Column("employment_status", String(16), nullable=False),
    Column("housing_minor", BigInteger, nullable=False),  # a month
    Column("status", String(16), nullable=False),  # Approved | UnderReview | Declined
    Column("reason", String(40), nullable=False),
    Column("credit_limit_minor", BigInteger, nullable=True),  # an approved card's
    Column("rate", String(8), nullable=True),  # an approved loan's APR
    Column("created_at", DateTime, nullable=False),
)

RATES = (  # term in months, AER, min, max (pence)
    (3, "4.10", 100_000, 25_000_000),
    (6, "4.25", 100_000, 25_000_000),
    (12, "4.40", 100_000, 25_000_000),
    (24, "4.00", 100_000, 25_000_000),
)
LOAN_MIN, LOAN_MAX = 100_000, 2_500_000
REPRESENTATIVE_APR = "6.9"
PRODUCTS = ("personal_loan", "credit_card")
EMPLOYMENT = ("employed", "self_employed", "retired", "student", "unemployed")


def pounds(minor: int) -> Decimal:
    return Decimal(minor) / 100


def minor_of(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- loans ----------------------------------------------------------------------------------


async def customer_loans(conn: AsyncConnection, customer_id: str) -> list[Row]:
    found = await conn.execute(
        select(loans).where(loans.c.customer_id == customer_id).order_by(loans.c.opened_at)
    )
    return list(found.mappings())


async def loan(conn: AsyncConnection, customer_id: str, loan_id: str) -> Row:
    row = (
        (
            await conn.execute(
                select(loans).where(loans.c.id == loan_id, loans.c.customer_id == customer_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "loan_not_found", "no such loan for this customer")
    return row


def settlement(row: Row, today: date) -> tuple[int, int, int]:
    """(balance, accrued interest, early repayment charge) in pence to repay `row` today."""
    balance = int(row["balance_minor"])
    last_paid = add_months(row["next_payment_on"], -1, row["next_payment_on"].day)
    days = max(0, min((today - last_paid).days, 31))
    rate = Decimal(row["rate"]) / 100
    interest = minor_of(pounds(balance) * rate * days / 365)
    charge_rate = Decimal("0.01") if row["payments_left"] > 12 else Decimal("0.005")
    charge = minor_of(pounds(balance) * charge_rate)
    return balance, interest, charge


async def quote(step: Step, loan_id: str) -> Row:
    row = await loan(step.conn, step.customer_id, loan_id)
    balance, interest, charge = settlement(row, step.now.date())
    values = {
        "id": f"LQ-{uuid.uuid4().hex[:10].upper()}",
        "customer_id": step.customer_id,
        "loan_id": loan_id,
        "balance_minor": balance,
        "interest_minor": interest,
        "charge_minor": charge,
        "total_minor": balance + interest + charge,
        "created_at": step.now,
        "expires_at": step.now + timedelta(minutes=QUOTE_MINUTES),
    }
    await step.conn.execute(loan_quotes.insert().values(**values))
    await step.audit("loan.settlement_quote", "loan_quote", values["id"], None, values)
    return values


# -- deposits -------------------------------------------------------------------------------


async def rate_table(conn: AsyncConnection) -> list[Row]:
    found = await conn.execute(select(deposit_rates).order_by(deposit_rates.c.term_months))
    return list(found.mappings())


def interest_for(principal: int, rate: str, months: int) -> int:
    """AER paid at maturity: simple for a year or less, compounded yearly beyond."""
    yearly = Decimal(rate) / 100
    years, extra = divmod(months, 12)
    grown = pounds(principal) * (1 + yearly) ** years * (1 + yearly * extra / 12)
    return minor_of(grown) - principal


async def customer_deposits(conn: AsyncConnection, customer_id: str) -> list[Row]:
    found = await conn.execute(
        select(fixed_deposits)
        .where(fixed_deposits.c.customer_id == customer_id)
        .order_by(fixed_deposits.c.opened_at)
    )
    return list(found.mappings())


@dataclass(frozen=True, slots=True)
class DepositOrder:
    term_months: int
    amount_minor: int
    source_account_id: str
    at_maturity: str
    payout_account_id: str | None


async def _own_payable(conn: AsyncConnection, customer_id: str, account_id: str) -> Row:
    row = (
        (
            await conn.execute(
                select(accounts).where(
                    accounts.c.id == account_id, accounts.c.customer_id == customer_id
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "account_not_found", "no such account for this customer")
    if row["kind"] not in PAYABLE_KINDS:
        raise BankApiError(
            422, "account_not_eligible", "a deposit is funded from a current or savings account"
        )
    return row


async def open_deposit(step: Step, order: DepositOrder) -> tuple[Row, int]:
    """Debit the source and open the deposit in the caller's one database transaction;
    (the deposit, the source's balance after)."""
    product = (
        (
            await step.conn.execute(
                select(deposit_rates).where(deposit_rates.c.term_months == order.term_months)
            )
        )
        .mappings()
        .first()
    )
    if product is None:
        terms = ", ".join(str(r["term_months"]) for r in await rate_table(step.conn))
        raise BankApiError(422, "term_unknown", f"fixed-term deposits are for {terms} months")
    low, high = product["min_minor"], product["max_minor"]
    if not low <= order.amount_minor <= high:
        raise BankApiError(
            422,
            "amount_out_of_bounds",
            f"a {order.term_months}-month deposit is from {pounds(low):.2f} to {pounds(high):.2f}",
        )
    if order.at_maturity not in AT_MATURITY:
        raise BankApiError(400, "invalid_request", f"AtMaturity must be one of {AT_MATURITY}")
    source = await _own_payable(step.conn, step.customer_id, order.source_account_id)
    payout = order.payout_account_id or order.source_account_id
    if payout != source["id"]:
        await _own_payable(step.conn, step.customer_id, payout)
    if order.amount_minor > source["balance_minor"]:
        raise Refusal(422, "insufficient_funds", "the source account does not have enough money")
    deposit_id = f"FTD-{uuid.uuid4().hex[:10].upper()}"
    transaction_id = f"txn-{uuid.uuid4().hex[:20]}"
    await post(
        step.conn,
        transaction_id=transaction_id,
        booked_at=step.now,
        description=f"FIXED TERM DEPOSIT {order.term_months}M {deposit_id}",
        legs=[(source["id"], -order.amount_minor), (TERM_DEPOSITS, order.amount_minor)],
    )
    opened = step.now.date()
    row = {
        "id": deposit_id,
        "customer_id": step.customer_id,
        "term_months": order.term_months,
        "rate": product["rate"],
        "principal_minor": order.amount_minor,
        "interest_minor": interest_for(order.amount_minor, product["rate"], order.term_months),
        "source_account_id": source["id"],
        "payout_account_id": payout,
        "at_maturity": order.at_maturity,
        "transaction_id": transaction_id,
        "opened_at": step.now,
        "matures_on": add_months(opened, order.term_months, opened.day),
    }
    await step.conn.execute(fixed_deposits.insert().values(**row))
    await step.audit("fixed_deposit.open", "fixed_deposit", deposit_id, None, row)
    return row, int(source["balance_minor"]) - order.amount_minor


# -- applications ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    status: str  # Approved | UnderReview | Declined
    reason: str
    credit_limit_minor: int | None = None
    rate: str | None = None


def decide(
    product: str, amount: int | None, income: int, employment: str, housing: int
) -> Decision:
    """The sandbox's lending rule, in this order (all figures in pence, income a year,
    housing a month):

    1. income under £7,500 a year: declined (`income_too_low`);
    2. housing costs over half the monthly income: declined (`housing_costs_too_high`);
    3. a loan over half a year's income: declined (`amount_too_high_for_income`);
    4. unemployed or a student: referred to a colleague (`employment_check`);
    5. a loan over a quarter of a year's income, or housing over 35% of the monthly income:
       referred (`affordability_check`);
    6. otherwise approved: a loan at 6.9% APR from £7,500 (9.9% below), a card with a limit
       of a tenth of the income rounded down to £100, at most £5,000.
    """
    if income < 750_000:
        return Decision("Declined", "income_too_low")
    if housing * 12 * 2 > income:
        return Decision("Declined", "housing_costs_too_high")
    if product == "personal_loan" and amount is not None and amount * 2 > income:
        return Decision("Declined", "amount_too_high_for_income")
    if employment in ("unemployed", "student"):
        return Decision("UnderReview", "employment_check")
    too_much = product == "personal_loan" and amount is not None and amount * 4 > income
    if too_much or housing * 12 * 100 > income * 35:
        return Decision("UnderReview", "affordability_check")
    if product == "credit_card":
        limit = min(500_000, (income // 10) // 10_000 * 10_000)
        return Decision("Approved", "meets_criteria", credit_limit_minor=limit)
    return Decision(
        "Approved", "meets_criteria", rate=REPRESENTATIVE_APR if (amount or 0) >= 750_000 else "9.9"
    )


async def customer_applications(conn: AsyncConnection, customer_id: str) -> list[Row]:
    found = await conn.execute(
        select(applications)
        .where(applications.c.customer_id == customer_id)
        .order_by(applications.c.created_at.desc(), applications.c.id)
    )
    return list(found.mappings())


@dataclass(frozen=True, slots=True)
class ApplicationIn:
    product: str
    amount_minor: int | None
    purpose: str | None
    annual_income_minor: int
    employment_status: str
    housing_minor: int


async def apply(step: Step, given: ApplicationIn) -> Row:
    if given.product not in PRODUCTS:
        raise BankApiError(400, "invalid_request", f"Product must be one of {PRODUCTS}")
    if given.employment_status not in EMPLOYMENT:
        raise BankApiError(400, "invalid_request", f"EmploymentStatus must be one of {EMPLOYMENT}")
    if given.product == "personal_loan":
        if given.amount_minor is None:
            raise BankApiError(400, "invalid_request", "a loan application needs an Amount")
        if not LOAN_MIN <= given.amount_minor <= LOAN_MAX:
            raise BankApiError(
                422,
                "amount_out_of_bounds",
                f"personal loans are from {pounds(LOAN_MIN):.2f} to {pounds(LOAN_MAX):.2f}",
            )
    waiting = await step.conn.scalar(
        select(applications.c.id).where(
            applications.c.customer_id == step.customer_id,
            applications.c.product == given.product,
            applications.c.status == "UnderReview",
        )
    )
    if waiting is not None:
        raise BankApiError(
            409, "application_in_progress", f"application {waiting} is still being reviewed"
        )
    decision = decide(
        given.product,
        given.amount_minor,
        given.annual_income_minor,
        given.employment_status,
        given.housing_minor,
    )
    row = {
        "id": f"APP-{uuid.uuid4().hex[:8].upper()}",
        "customer_id": step.customer_id,
        "product": given.product,
        "amount_minor": given.amount_minor if given.product == "personal_loan" else None,
        "purpose": given.purpose if given.product == "personal_loan" else None,
        "annual_income_minor": given.annual_income_minor,
        "employment_status": given.employment_status,
        "housing_minor": given.housing_minor,
        "status": decision.status,
        "reason": decision.reason,
        "credit_limit_minor": decision.credit_limit_minor,
        "rate": decision.rate,
        "created_at": step.now,
    }
    await step.conn.execute(applications.insert().values(**row))
    await step.audit("application.create", "product_application", row["id"], None, row)
    return row


# -- seed -----------------------------------------------------------------------------------

LOAN_SEEDS = (  # id, customer, purpose, account, principal, balance, rate, monthly, left, in days
    ("loan-001", "cust-001", "Car", "acc-001-current", 1_000_000, 641_238, "6.9", 24_712, 28, 12),
    ("loan-002", "cust-002", "Home improvements", "acc-002-current", 500_000, 218_000, "9.9",
     18_950, 12, 5),
)  # fmt: skip
DEPOSIT_SEEDS = (  # id, customer, term, principal, opened days ago, at maturity, payout account
    ("FTD-SEED000001", "cust-001", 12, 500_000, 100, "pay_out", "acc-001-savings"),
)


async def seed_loans(conn: AsyncConnection, today: date) -> bool:
    """The rate table, the term-deposit book and the seeded loans and deposits, if missing."""
    seeded = False
    have = set((await conn.execute(select(accounts.c.id))).scalars())
    opened = datetime.combine(today, time(0, 0))
    if TERM_DEPOSITS not in have:
        await conn.execute(
            accounts.insert().values(
                id=TERM_DEPOSITS,
                customer_id=None,
                kind="internal",
                name="Fixed-term deposits",
                sort_code=None,
                account_number=None,
                last4="0000",
                currency="GBP",
                balance_minor=0,
                opened_at=opened,
            )
        )
        seeded = True
    if not await conn.scalar(select(func.count()).select_from(deposit_rates)):
        rows = [
            {"term_months": t, "rate": r, "min_minor": lo, "max_minor": hi}
            for t, r, lo, hi in RATES
        ]
        await conn.execute(deposit_rates.insert(), rows)
        seeded = True
    if await conn.scalar(select(func.count()).select_from(loans)):
        return seeded
    for lid, cid, purpose, account, principal, balance, rate, monthly, left, due in LOAN_SEEDS:
        if account not in have:
            continue
        await conn.execute(
            loans.insert().values(
                id=lid,
                customer_id=cid,
                product="Personal loan",
                purpose=purpose,
                account_id=account,
                principal_minor=principal,
                balance_minor=balance,
                rate=rate,
                monthly_payment_minor=monthly,
                next_payment_on=today + timedelta(days=due),
                payments_left=left,
                opened_at=opened - timedelta(days=30 * (36 - left)),
            )
        )
    rates = {t: r for t, r, _, _ in RATES}
    for did, cid, term, principal, ago, at_maturity, payout in DEPOSIT_SEEDS:
        if payout not in have:
            continue
        start = today - timedelta(days=ago)
        transaction_id = f"txn-seed-{did.lower()}"
        await post(
            conn,
            transaction_id=transaction_id,
            booked_at=datetime.combine(start, time(9, 0)),
            description=f"FIXED TERM DEPOSIT {term}M {did}",
            legs=[(OPENING, -principal), (TERM_DEPOSITS, principal)],
        )
        await conn.execute(
            fixed_deposits.insert().values(
                id=did,
                customer_id=cid,
                term_months=term,
                rate=rates[term],
                principal_minor=principal,
                interest_minor=interest_for(principal, rates[term], term),
                source_account_id=payout,
                payout_account_id=payout,
                at_maturity=at_maturity,
                transaction_id=transaction_id,
                opened_at=datetime.combine(start, time(9, 0)),
                matures_on=add_months(start, term, start.day),
            )
        )
    return True
