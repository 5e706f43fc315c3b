"""Routes for loans, fixed-term deposits and applications (see sandbox/loans.py, README.md).

- `GET /customers/{cid}/loans`; `POST .../loans/{id}/settlement-quotes` (Idempotency-Key):
  an early repayment figure valid for `loans.QUOTE_MINUTES` minutes.
- `GET /loan-products`: the personal loan's bounds and representative APR (public).
- `GET /deposit-products`: the rate table by term, with the bounds (public: no customer).
- `GET /customers/{cid}/fixed-deposits`; `POST` one (Idempotency-Key): the account debited and
  the deposit opened in one transaction.
- `GET /customers/{cid}/applications`; `POST` one (Idempotency-Key): decided at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from sandbox import clock, loans, shapes
from sandbox.bodies import Amount as Money
from sandbox.bodies import Strict
from sandbox.errors import BankApiError
from sandbox.http import created, engine, require_customer
from sandbox.money import parse_amount
from sandbox.operations import Request as Operation
from sandbox.operations import Row, Step, require_key, run

router = APIRouter()


def _gbp(minor: int | None) -> dict[str, str] | None:
    return None if minor is None else shapes.money(minor, "GBP")


def loan_shape(row: Row) -> dict[str, Any]:
    return {
        "LoanId": row["id"],
        "Product": row["product"],
        "Purpose": row["purpose"],
        "AccountId": row["account_id"],
        "Principal": _gbp(row["principal_minor"]),
        "OutstandingBalance": _gbp(row["balance_minor"]),
        "Rate": row["rate"],
        "MonthlyPayment": _gbp(row["monthly_payment_minor"]),
        "NextPaymentDate": row["next_payment_on"].isoformat(),
        "PaymentsRemaining": row["payments_left"],
        "OpeningDate": row["opened_at"].date().isoformat(),
    }


def quote_shape(row: Row) -> dict[str, Any]:
    return {
        "QuoteId": row["id"],
        "LoanId": row["loan_id"],
        "OutstandingBalance": _gbp(row["balance_minor"]),
        "AccruedInterest": _gbp(row["interest_minor"]),
        "EarlyRepaymentCharge": _gbp(row["charge_minor"]),
        "SettlementAmount": _gbp(row["total_minor"]),
        "CreationDateTime": shapes.timestamp(row["created_at"]),
        "ExpirationDateTime": shapes.timestamp(row["expires_at"]),
    }


def product_shape(row: Row) -> dict[str, Any]:
    return {
        "TermMonths": row["term_months"],
        "Rate": row["rate"],
        "MinimumAmount": _gbp(row["min_minor"]),
        "MaximumAmount": _gbp(row["max_minor"]),
    }


MATURITY = {"pay_out": "PayToAccount", "renew": "Renew"}
MATURITY_IN = {v: k for k, v in MATURITY.items()}


def deposit_shape(row: Row) -> dict[str, Any]:
    return {
        "DepositId": row["id"],
        "TermMonths": row["term_months"],
        "Rate": row["rate"],
        "Balance": _gbp(row["principal_minor"]),
        "InterestAtMaturity": _gbp(row["interest_minor"]),
        "SourceAccountId": row["source_account_id"],
        "PayoutAccountId": row["payout_account_id"],
        "AtMaturity": MATURITY[row["at_maturity"]],
        "OpeningDateTime": shapes.timestamp(row["opened_at"]),
        "MaturityDate": row["matures_on"].isoformat(),
        "TransactionId": row["transaction_id"],
    }


def application_shape(row: Row) -> dict[str, Any]:
    return {
        "ApplicationId": row["id"],
        "Product": row["product"],
        "Amount": _gbp(row["amount_minor"]),
        "Purpose": row["purpose"],
        "AnnualIncome": _gbp(row["annual_income_minor"]),
        "EmploymentStatus": row["employment_status"],
        "MonthlyHousingCosts": _gbp(row["housing_minor"]),
        "Status": row["status"],
        "StatusReason": row["reason"],
        "CreditLimit": _gbp(row["credit_limit_minor"]),
        "Rate": row["rate"],
        "CreationDateTime": shapes.timestamp(row["created_at"]),
    }


def _gbp_amount(amount: Money) -> int:
    if amount.Currency != "GBP":
        raise BankApiError(422, "currency_unsupported", "amounts are in GBP")
    return parse_amount(amount.Amount)


@router.get("/customers/{customer_id}/loans")
async def list_loans(customer_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await loans.customer_loans(conn, customer_id)
    return shapes.envelope("Loan", [loan_shape(r) for r in rows])


@router.post("/customers/{customer_id}/loans/{loan_id}/settlement-quotes", status_code=201)
async def settlement_quote(
    customer_id: str,
    loan_id: str,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        return created("SettlementQuote", quote_shape(await loans.quote(step, loan_id)))

    operation = Operation(
        customer_id, require_key(idempotency_key), "loan.settlement_quote", {"loan": loan_id}
    )
    return (await run(engine(request), operation, change)).response()


@router.get("/deposit-products")
async def deposit_products(request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        rows = await loans.rate_table(conn)
        today = (await clock.now(conn)).date()
    body = shapes.envelope("DepositProduct", [product_shape(r) for r in rows])
    body["Meta"] = {"AsOfDate": today.isoformat()}
    return body


@router.get("/loan-products")
async def loan_products() -> dict[str, Any]:
    """The personal loan's bounds and its representative APR (public: no customer)."""
    product = {
        "Product": "personal_loan",
        "MinimumAmount": _gbp(loans.LOAN_MIN),
        "MaximumAmount": _gbp(loans.LOAN_MAX),
        "RepresentativeRate": loans.REPRESENTATIVE_APR,
    }
    return shapes.envelope("LoanProduct", [product])


@router.get("/customers/{customer_id}/fixed-deposits")
async def list_deposits(customer_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await loans.customer_deposits(conn, customer_id)
    return shapes.envelope("FixedDeposit", [deposit_shape(r) for r in rows])


class DepositIn(Strict):
    TermMonths: int = Field(ge=1, le=120)
    Amount: Money
    SourceAccountId: str = Field(min_length=1, max_length=40)
    AtMaturity: Literal["PayToAccount", "Renew"] = "PayToAccount"
    PayoutAccountId: str | None = Field(default=None, min_length=1, max_length=40)


class DepositData(Strict):
    FixedDeposit: DepositIn


class DepositBody(Strict):
    Data: DepositData


@router.post("/customers/{customer_id}/fixed-deposits", status_code=201)
async def open_deposit(
    customer_id: str,
    body: DepositBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.FixedDeposit
    order = loans.DepositOrder(
        term_months=given.TermMonths,
        amount_minor=_gbp_amount(given.Amount),
        source_account_id=given.SourceAccountId,
        at_maturity=MATURITY_IN[given.AtMaturity],
        payout_account_id=given.PayoutAccountId,
    )

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row, after = await loans.open_deposit(step, order)
        shaped = deposit_shape(row) | {"SourceBalanceAfter": _gbp(after)}
        return created("FixedDeposit", shaped)

    operation = Operation(
        customer_id, require_key(idempotency_key), "fixed_deposit.open", given.model_dump()
    )
    return (await run(engine(request), operation, change)).response()


@router.get("/customers/{customer_id}/applications")
async def list_applications(customer_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await loans.customer_applications(conn, customer_id)
    return shapes.envelope("Application", [application_shape(r) for r in rows])


class ApplicationBodyIn(Strict):
    Product: Literal["personal_loan", "credit_card"]
    Amount: Money | None = None
    Purpose: str | None = Field(default=None, min_length=1, max_length=60)
    AnnualIncome: Money
    EmploymentStatus: Literal["employed", "self_employed", "retired", "student", "unemployed"]
    MonthlyHousingCosts: Money


class ApplicationData(Strict):
    Application: ApplicationBodyIn


class ApplicationBody(Strict):
    Data: ApplicationData


def _zero_or_amount(amount: Money) -> int:
    """Housing costs may be nothing (living with family)."""
    if amount.Currency == "GBP" and amount.Amount in ("0", "0.00", "0.0"):
        return 0
    return _gbp_amount(amount)


@router.post("/customers/{customer_id}/applications", status_code=201)
async def apply(
    customer_id: str,
    body: ApplicationBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.Application
    application = loans.ApplicationIn(
        product=given.Product,
        amount_minor=_gbp_amount(given.Amount) if given.Amount else None,
        purpose=given.Purpose,
        annual_income_minor=_gbp_amount(given.AnnualIncome),
        employment_status=given.EmploymentStatus,
        housing_minor=_zero_or_amount(given.MonthlyHousingCosts),
    )

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        return created("Application", application_shape(await loans.apply(step, application)))

    operation = Operation(
        customer_id, require_key(idempotency_key), "application.create", given.model_dump()
    )
    return (await run(engine(request), operation, change)).response()
