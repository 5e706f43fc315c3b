"""Routes for the customer's profile (see sandbox/profile.py and sandbox/README.md).

`PATCH /customers/{cid}/contact-details` changes the email or the mobile number (one at a
time), `PUT /customers/{cid}/postal-address` the address cards and letters go to, and
`GET`/`PATCH /customers/{cid}/marketing-preferences` the marketing the customer agreed to by
email, SMS and post. Every write needs an Idempotency-Key and is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from sandbox import profile, shapes
from sandbox.bodies import Strict
from sandbox.errors import BankApiError
from sandbox.http import done, engine, require_customer
from sandbox.operations import Request as Operation
from sandbox.operations import Row, Step, require_key, run

router = APIRouter()


class ContactIn(Strict):
    EmailAddress: str | None = Field(default=None, max_length=254)
    Phone: str | None = Field(default=None, max_length=32)


class ContactData(Strict):
    ContactDetails: ContactIn


class ContactBody(Strict):
    Data: ContactData


class AddressIn(Strict):
    AddressType: str = "Residential"
    AddressLine: list[Annotated[str, Field(max_length=70)]] = Field(min_length=1, max_length=3)
    TownName: str = Field(min_length=1, max_length=60)
    PostCode: str = Field(min_length=5, max_length=10)
    Country: str = Field(min_length=2, max_length=2)


class AddressData(Strict):
    PostalAddress: AddressIn


class AddressBody(Strict):
    Data: AddressData


class PreferencesIn(Strict):
    Email: bool | None = None
    Sms: bool | None = None
    Post: bool | None = None


class PreferencesData(Strict):
    MarketingPreferences: PreferencesIn


class PreferencesBody(Strict):
    Data: PreferencesData


def address_shape(row: Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "AddressType": "Residential",
        "AddressLine": [row["address_line"]],
        "TownName": row["town"],
        "PostCode": row["post_code"],
        "Country": row["country"],
    }


def preferences_shape(values: dict[str, bool]) -> dict[str, bool]:
    return {"Email": values["email"], "Sms": values["sms"], "Post": values["post"]}


@router.patch("/customers/{customer_id}/contact-details")
async def change_contact(
    customer_id: str,
    body: ContactBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.ContactDetails
    named = {k: v for k, v in (("email", given.EmailAddress), ("phone", given.Phone)) if v}
    if len(named) != 1:
        raise BankApiError(400, "invalid_request", "give one of EmailAddress or Phone")
    ((field, raw),) = named.items()
    value = profile.check_contact(field, raw)

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        previous, current = await profile.change_contact(step, field, value)
        item = {"Field": field, "Previous": previous, "Current": current}
        return done(
            {
                "ContactChange": item,
                "Party": shapes.party(step.customer)
                | {"EmailAddress" if field == "email" else "Phone": current},
            }
        )

    operation = Operation(
        customer_id, require_key(idempotency_key), "customer.contact", {field: value}
    )
    return (await run(engine(request), operation, change)).response()


@router.put("/customers/{customer_id}/postal-address")
async def change_address(
    customer_id: str,
    body: AddressBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.PostalAddress
    values = profile.check_address(given.AddressLine, given.TownName, given.PostCode, given.Country)

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        before, after = await profile.change_address(step, values)
        item = {"Previous": address_shape(before), "Current": address_shape(after)}
        return done({"PostalAddressChange": item})

    operation = Operation(customer_id, require_key(idempotency_key), "customer.address", values)
    return (await run(engine(request), operation, change)).response()


@router.get("/customers/{customer_id}/marketing-preferences")
async def marketing_preferences(customer_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        values = await profile.preferences_of(conn, customer_id)
    return shapes.envelope("MarketingPreferences", preferences_shape(values))


@router.patch("/customers/{customer_id}/marketing-preferences")
async def set_marketing_preferences(
    customer_id: str,
    body: PreferencesBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.MarketingPreferences
    changes = {
        name: value
        for name, value in (("email", given.Email), ("sms", given.Sms), ("post", given.Post))
        if value is not None
    }
    if not changes:
        raise BankApiError(400, "invalid_request", "give at least one of Email, Sms or Post")

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        values = await profile.set_preferences(step, changes)
        return done({"MarketingPreferences": preferences_shape(values)})

    operation = Operation(customer_id, require_key(idempotency_key), "customer.marketing", changes)
    return (await run(engine(request), operation, change)).response()
