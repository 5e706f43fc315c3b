"""The bank port for lending and saving: personal loans and their early repayment quotes,
fixed-term deposits and their rate table, and applications for a loan or a credit card.

Mixed into `bot.bank.Bank` as `LoansBank`; `actions/loans_client.py` implements it over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Loan:
    id: str
    product: str
    purpose: str
    account_id: str  # repaid from
    principal: Decimal
    balance: Decimal  # still owed
    rate: Decimal  # APR, percent
    monthly_payment: Decimal
    next_payment: date
    payments_left: int


@dataclass(frozen=True, slots=True)
class LoanProduct:
    minimum: Decimal
    maximum: Decimal
    representative_rate: Decimal  # APR, percent


@dataclass(frozen=True, slots=True)
class SettlementQuote:
    """What paying a loan off costs, held until `expires_at` (UTC)."""

    id: str
    loan_id: str
    balance: Decimal
    interest: Decimal
    charge: Decimal  # early repayment charge
    total: Decimal
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class DepositProduct:
    term_months: int
    rate: Decimal  # AER, percent
    minimum: Decimal
    maximum: Decimal


@dataclass(frozen=True, slots=True)
class FixedDeposit:
    id: str
    term_months: int
    rate: Decimal
    balance: Decimal
    interest_at_maturity: Decimal
    source_account_id: str
    payout_account_id: str
    at_maturity: str  # pay_out | renew
    opened_at: datetime
    matures_on: date
    source_balance_after: Decimal | None = None  # set on the answer to opening one


@dataclass(frozen=True, slots=True)
class Application:
    """A personal loan or credit card application, as the bank decided it."""

    id: str  # the reference the customer is given
    product: str  # personal_loan | credit_card
    amount: Decimal | None
    purpose: str | None
    status: str  # Approved | UnderReview | Declined
    reason: str
    credit_limit: Decimal | None
    rate: Decimal | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApplicationDetails:
    """What the customer told us: the bank decides from it."""

    product: str
    annual_income: Decimal
    employment_status: str  # employed | self_employed | retired | student | unemployed
    housing_costs: Decimal  # a month
    amount: Decimal | None = None  # a loan's
    purpose: str | None = None


class LoansBank(Protocol):
    async def list_loans(self, customer_id: str) -> list[Loan]: ...

    async def settlement_quote(
        self, customer_id: str, loan_id: str, idempotency_key: str
    ) -> SettlementQuote: ...

    async def loan_product(self) -> LoanProduct:
        """The personal loan's bounds: public, no customer needed."""
        ...

    async def deposit_products(self) -> list[DepositProduct]:
        """The public rate table: no customer needed."""
        ...

    async def list_fixed_deposits(self, customer_id: str) -> list[FixedDeposit]: ...

    async def open_fixed_deposit(
        self,
        customer_id: str,
        *,
        term_months: int,
        amount: Decimal,
        source_account_id: str,
        idempotency_key: str,
    ) -> FixedDeposit:
        """Refused `term_unknown`, `amount_out_of_bounds`, `insufficient_funds` (422)."""
        ...

    async def list_applications(self, customer_id: str) -> list[Application]:
        """Newest first."""
        ...

    async def apply_for_product(
        self, customer_id: str, details: ApplicationDetails, idempotency_key: str
    ) -> Application:
        """Refused `application_in_progress` (409) while one for the product is reviewed."""
        ...
