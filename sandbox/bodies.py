"""Request bodies shared by the write endpoints (Open Banking field names, kept to those used)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sandbox import shapes
from sandbox.errors import BankApiError


class Amount(BaseModel):
    Amount: str
    Currency: str = Field(pattern=r"^[A-Z]{3}$")


class AccountReference(BaseModel):
    SchemeName: str
    Identification: str = Field(min_length=1, max_length=40)
    Name: str | None = None

    def debtor_id(self) -> str:
        """Payments are made from the customer's own accounts, named by id."""
        if self.SchemeName != shapes.ACCOUNT_ID_SCHEME:
            raise BankApiError(
                400,
                "invalid_request",
                f"DebtorAccount.SchemeName must be {shapes.ACCOUNT_ID_SCHEME}",
            )
        return self.Identification

    def creditor_scheme(self) -> str:
        if self.SchemeName not in shapes.CREDITOR_SCHEMES:
            raise BankApiError(
                400,
                "invalid_request",
                f"CreditorAccount.SchemeName must be one of {list(shapes.CREDITOR_SCHEMES)}",
            )
        return self.SchemeName


class Remittance(BaseModel):
    Reference: str = Field(default="", max_length=18)


class Initiation(BaseModel):
    InstructedAmount: Amount
    DebtorAccount: AccountReference
    CreditorAccount: AccountReference
    RemittanceInformation: Remittance = Remittance()


class PaymentData(BaseModel):
    Initiation: Initiation


class PaymentBody(BaseModel):
    Data: PaymentData


class Strict(BaseModel):
    """New bodies refuse fields they do not know (400), so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid")
