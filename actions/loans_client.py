"""The bank's loan, deposit and application routes over HTTP: mixed into `BankClient`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from bot.bank import (
    Application,
    ApplicationDetails,
    DepositProduct,
    FixedDeposit,
    Loan,
    LoanProduct,
    SettlementQuote,
)

MATURITY = {"PayToAccount": "pay_out", "Renew": "renew"}


def _path(customer_id: str, *parts: str) -> str:
    """As bank_client's: ids are quoted so none can step outside its customer."""
    return "/".join(["/customers", *(quote(p, safe="") for p in (customer_id, *parts))])


def _money(data: dict[str, Any] | None) -> Decimal | None:
    return None if not data else Decimal(data["Amount"])


def _amount(data: dict[str, Any]) -> Decimal:
    return Decimal(data["Amount"])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _gbp(amount: Decimal) -> dict[str, str]:
    return {"Amount": f"{amount:.2f}", "Currency": "GBP"}


def _loan(data: dict[str, Any]) -> Loan:
    return Loan(
        id=data["LoanId"],
        product=data["Product"],
        purpose=data["Purpose"],
        account_id=data["AccountId"],
        principal=_amount(data["Principal"]),
        balance=_amount(data["OutstandingBalance"]),
        rate=Decimal(data["Rate"]),
        monthly_payment=_amount(data["MonthlyPayment"]),
        next_payment=date.fromisoformat(data["NextPaymentDate"]),
        payments_left=int(data["PaymentsRemaining"]),
    )


def _quote(data: dict[str, Any]) -> SettlementQuote:
    return SettlementQuote(
        id=data["QuoteId"],
        loan_id=data["LoanId"],
        balance=_amount(data["OutstandingBalance"]),
        interest=_amount(data["AccruedInterest"]),
        charge=_amount(data["EarlyRepaymentCharge"]),
        total=_amount(data["SettlementAmount"]),
        created_at=_moment(data["CreationDateTime"]),
        expires_at=_moment(data["ExpirationDateTime"]),
    )


def _product(data: dict[str, Any]) -> DepositProduct:
    return DepositProduct(
        term_months=int(data["TermMonths"]),
        rate=Decimal(data["Rate"]),
        minimum=_amount(data["MinimumAmount"]),
        maximum=_amount(data["MaximumAmount"]),
    )


def _deposit(data: dict[str, Any]) -> FixedDeposit:
    return FixedDeposit(
        id=data["DepositId"],
        term_months=int(data["TermMonths"]),
        rate=Decimal(data["Rate"]),
        balance=_amount(data["Balance"]),
        interest_at_maturity=_amount(data["InterestAtMaturity"]),
        source_account_id=data["SourceAccountId"],
        payout_account_id=data["PayoutAccountId"],
        at_maturity=MATURITY.get(data["AtMaturity"], "pay_out"),
        opened_at=_moment(data["OpeningDateTime"]),
        matures_on=date.fromisoformat(data["MaturityDate"]),
        source_balance_after=_money(data.get("SourceBalanceAfter")),
    )


def _application(data: dict[str, Any]) -> Application:
    rate = data.get("Rate")
    return Application(
        id=data["ApplicationId"],
        product=data["Product"],
        amount=_money(data.get("Amount")),
        purpose=data.get("Purpose"),
        status=data["Status"],
        reason=data["StatusReason"],
        credit_limit=_money(data.get("CreditLimit")),
        rate=Decimal(rate) if rate else None,
        created_at=_moment(data["CreationDateTime"]),
    )


class _Transport(Protocol):
    _http: httpx.AsyncClient

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...

    async def _write(
        self, method: str, idempotency_key: str, data: dict[str, Any] | None, customer_id: str,
        *parts: str,
    ) -> dict[str, Any]: ...  # fmt: skip


class LoanCalls:
    """Loans, early repayment quotes, fixed-term deposits and product applications."""

    async def list_loans(self: _Transport, customer_id: str) -> list[Loan]:
        body = await self._get(_path(customer_id, "loans"))
        return [_loan(item) for item in body["Data"]["Loan"]]

    async def settlement_quote(
        self: _Transport, customer_id: str, loan_id: str, idempotency_key: str
    ) -> SettlementQuote:
        body = await self._write(
            "POST", idempotency_key, None, customer_id, "loans", loan_id, "settlement-quotes"
        )
        return _quote(body["Data"]["SettlementQuote"])

    async def loan_product(self: _Transport) -> LoanProduct:
        body = await self._get("/loan-products")
        [item] = [p for p in body["Data"]["LoanProduct"] if p["Product"] == "personal_loan"]
        return LoanProduct(
            minimum=_amount(item["MinimumAmount"]),
            maximum=_amount(item["MaximumAmount"]),
            representative_rate=Decimal(item["RepresentativeRate"]),
        )

    async def deposit_products(self: _Transport) -> list[DepositProduct]:
        body = await self._get("/deposit-products")
        return [_product(item) for item in body["Data"]["DepositProduct"]]

    async def list_fixed_deposits(self: _Transport, customer_id: str) -> list[FixedDeposit]:
        body = await self._get(_path(customer_id, "fixed-deposits"))
        return [_deposit(item) for item in body["Data"]["FixedDeposit"]]

    async def open_fixed_deposit(
        self: _Transport,
        customer_id: str,
        *,
        term_months: int,
        amount: Decimal,
        source_account_id: str,
        idempotency_key: str,
    ) -> FixedDeposit:
        data = {
            "FixedDeposit": {
                "TermMonths": term_months,
                "Amount": _gbp(amount),
                "SourceAccountId": source_account_id,
                "AtMaturity": "PayToAccount",
            }
        }
        body = await self._write("POST", idempotency_key, data, customer_id, "fixed-deposits")
        return _deposit(body["Data"]["FixedDeposit"])

    async def list_applications(self: _Transport, customer_id: str) -> list[Application]:
        body = await self._get(_path(customer_id, "applications"))
        return [_application(item) for item in body["Data"]["Application"]]

    async def apply_for_product(
        self: _Transport, customer_id: str, details: ApplicationDetails, idempotency_key: str
    ) -> Application:
        given: dict[str, Any] = {
            "Product": details.product,
            "AnnualIncome": _gbp(details.annual_income),
            "EmploymentStatus": details.employment_status,
            "MonthlyHousingCosts": _gbp(details.housing_costs),
        }
        if details.amount is not None:
            given["Amount"] = _gbp(details.amount)
        if details.purpose:
            given["Purpose"] = details.purpose[:60]
        body = await self._write(
            "POST", idempotency_key, {"Application": given}, customer_id, "applications"
        )
        return _application(body["Data"]["Application"])
