"""Routes for saved payees (create, delete, list) and Confirmation of Payee."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from sandbox import cop, payees, shapes
from sandbox.bodies import Strict
from sandbox.errors import BankApiError
from sandbox.http import created, done, engine, require_customer
from sandbox.operations import Request as Operation
from sandbox.operations import Step, require_key, run

router = APIRouter()
Key = Annotated[str | None, Header(alias="Idempotency-Key")]


class CreditorAccountIn(Strict):
    SchemeName: str
    Identification: str = Field(min_length=1, max_length=40)
    Name: str = Field(min_length=1, max_length=70)


class CreditorAgentIn(Strict):
    SchemeName: Literal["UK.OBIE.BICFI"]
    Identification: str = Field(min_length=8, max_length=11)


class BeneficiaryIn(Strict):
    Reference: str | None = Field(default=None, max_length=35)
    CreditorAccount: CreditorAccountIn
    CreditorAgent: CreditorAgentIn | None = None
    Currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class PayeeData(Strict):
    Beneficiary: BeneficiaryIn


class PayeeBody(Strict):
    Data: PayeeData


def _bad(message: str) -> BankApiError:
    return BankApiError(400, "invalid_request", message)


async def _create(step: Step, given: BeneficiaryIn) -> tuple[int, dict[str, Any]]:
    account = given.CreditorAccount
    name = account.Name.strip()
    if account.SchemeName == shapes.UK_ACCOUNT_SCHEME:
        if given.CreditorAgent is not None or given.Currency not in (None, "GBP"):
            raise _bad("a UK payee has no CreditorAgent and is paid in GBP")
        if given.Reference is not None and len(given.Reference) > 18:
            raise _bad("a UK payment reference is at most 18 characters")
        row = await payees.create_domestic(step, name, account.Identification, given.Reference)
        return created("Beneficiary", shapes.beneficiary(row))
    if account.SchemeName == shapes.IBAN_SCHEME:
        if given.CreditorAgent is None or given.Currency is None:
            raise _bad("a payee abroad needs CreditorAgent (its BIC) and Currency")
        row = await payees.create_international(
            step,
            name,
            account.Identification,
            given.CreditorAgent.Identification,
            given.Currency,
            given.Reference,
        )
        return created("Beneficiary", shapes.international_beneficiary(row))
    raise _bad(f"SchemeName must be {shapes.UK_ACCOUNT_SCHEME} or {shapes.IBAN_SCHEME}")


@router.get("/customers/{customer_id}/payees")
async def list_payees(
    customer_id: str, request: Request, kind: Literal["domestic", "international"] | None = None
) -> dict[str, Any]:
    """UK payees (by name), then payees abroad; `kind` narrows to one of them."""
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        return shapes.envelope("Beneficiary", await payees.list_all(conn, customer_id, kind))


@router.post("/customers/{customer_id}/payees", status_code=201)
async def create_payee(
    customer_id: str, body: PayeeBody, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    given = body.Data.Beneficiary
    operation = Operation(
        customer_id, require_key(idempotency_key), "payee.create", given.model_dump()
    )
    return (await run(engine(request), operation, lambda step: _create(step, given))).response()


@router.delete("/customers/{customer_id}/payees/{payee_id}")
async def delete_payee(
    customer_id: str, payee_id: str, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    """The payee as it was, when it was deleted, and the schedules to it that were cancelled."""

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        kind, row, cancelled = await payees.delete(step, payee_id)
        shape = shapes.beneficiary if kind == "domestic" else shapes.international_beneficiary
        return done(
            {
                "Beneficiary": shape(row),
                "DeletionDateTime": shapes.timestamp(row["deleted_at"]),
                "CancelledScheduleIds": cancelled,
            }
        )

    operation = Operation(
        customer_id, require_key(idempotency_key), "payee.delete", {"payee": payee_id}
    )
    return (await run(engine(request), operation, change)).response()


class CheckedAccount(Strict):
    SchemeName: Literal["UK.OBIE.SortCodeAccountNumber"]
    Identification: str = Field(min_length=1, max_length=40)
    Name: str = Field(min_length=1, max_length=140)


class PayeeCheckData(Strict):
    AccountType: Literal["Personal", "Business"] = "Personal"
    CreditorAccount: CheckedAccount


class PayeeCheckBody(Strict):
    Data: PayeeCheckData


@router.post("/customers/{customer_id}/payee-checks")
async def check_payee(customer_id: str, body: PayeeCheckBody, request: Request) -> dict[str, Any]:
    """Confirmation of Payee: a question, not a change, so no Idempotency-Key (sandbox/cop.py)."""
    account = body.Data.CreditorAccount
    # The same checks as saving the payee (format, then the modulus check: 422), so a customer
    # hears about a mistyped number before being asked to confirm, not after the code.
    sort_code, number = payees.uk_account(account.Identification)
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        answer = await cop.check(conn, account.Name, sort_code, number, body.Data.AccountType)
    return {"Data": answer, "Links": {}, "Meta": {}}
