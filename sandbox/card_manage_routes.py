"""Routes for a card's controls, its PIN, its replacement and the address cards are posted to.

Shapes follow Open Banking's conventions (a `Data` envelope, amounts as
`{"Amount", "Currency"}` strings, PascalCase names); every write needs an Idempotency-Key
and answers `Idempotent-Replayed: true` when it repeats one. Another customer's card is 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sandbox import shapes
from sandbox.card_manage import (
    LIMITS,
    REPLACE_REASONS,
    SWITCHES,
    ControlChange,
    address_of,
    change_control,
    pin_unblock_allowed,
    read_controls,
    replace_card,
)
from sandbox.errors import BankApiError
from sandbox.routes import _engine, _now
from sandbox.service_routes import _customer_exists, _key

router = APIRouter()

LIMIT_TYPES = {"ATM": "atm", "Online": "online", "Contactless": "contactless"}
SWITCH_TYPES = {name.capitalize(): name for name in SWITCHES}
LimitType = Literal["ATM", "Online", "Contactless"]
SwitchType = Literal["Online", "Contactless", "Abroad", "Gambling"]


def _money(minor: int) -> dict[str, str]:
    return shapes.money(minor, "GBP")


def controls_shape(
    card: Mapping[str, Any], row: Mapping[str, Any], unblock_allowed: bool
) -> dict[str, Any]:
    return {
        "CardId": row["card_id"],
        "Limits": [
            {
                "Type": name,
                "DailyLimit": _money(row[f"{key}_limit_minor"]),
                "MinimumLimit": _money(LIMITS[key].minimum),
                "MaximumLimit": _money(LIMITS[key].maximum),
            }
            for name, key in LIMIT_TYPES.items()
        ],
        "Permissions": [
            {"Type": name, "Enabled": bool(row[f"{key}_enabled"])}
            for name, key in SWITCH_TYPES.items()
        ],
        "Pin": {
            "Blocked": bool(row["pin_blocked"]),
            "UnblockAllowed": bool(row["pin_blocked"]) and unblock_allowed,
        },
        "StatusUpdateDateTime": shapes.timestamp(row["updated_at"]),
    }


async def _controls_body(request: Request, customer_id: str, card_id: str) -> dict[str, Any]:
    engine = _engine(request)
    card, row = await read_controls(engine, customer_id, card_id, await _now(request))
    async with engine.connect() as conn:
        allowed = await pin_unblock_allowed(conn, card)
    return shapes.envelope("CardControls", controls_shape(card, row, allowed))


@router.get("/customers/{customer_id}/cards/{card_id}/controls")
async def get_controls(customer_id: str, card_id: str, request: Request) -> dict[str, Any]:
    async with _engine(request).connect() as conn:
        await _customer_exists(conn, customer_id)
    return await _controls_body(request, customer_id, card_id)


async def _changed(
    request: Request, customer_id: str, card_id: str, change: ControlChange
) -> JSONResponse:
    body = await _controls_body(request, customer_id, card_id)
    row = change.change
    body["Data"]["Change"] = {
        "ChangeId": row["id"],
        "Control": row["control"],
        "FromValue": row["from_value"],
        "ToValue": row["to_value"],
        "CreationDateTime": shapes.timestamp(row["created_at"]),
    }
    return JSONResponse(body, headers={"Idempotent-Replayed": "true"} if change.replayed else None)


class Amount(BaseModel):
    Amount: str
    Currency: str


class LimitData(BaseModel):
    DailyLimit: Amount


class LimitBody(BaseModel):
    Data: LimitData


def _pence(amount: Amount) -> int:
    if amount.Currency != "GBP":
        raise BankApiError(400, "invalid_request", "card limits are in GBP")
    try:
        value = Decimal(amount.Amount)
    except InvalidOperation:
        raise BankApiError(400, "invalid_request", "DailyLimit.Amount is not an amount") from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise BankApiError(400, "invalid_request", "DailyLimit.Amount is not an amount")
    return int(value * 100)


@router.put("/customers/{customer_id}/cards/{card_id}/controls/limits/{limit_type}")
async def set_limit(
    customer_id: str,
    card_id: str,
    limit_type: LimitType,
    body: LimitBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """422 limit_out_of_bounds outside the bank's bounds (nothing changes)."""
    key = _key(idempotency_key)
    control = f"{LIMIT_TYPES[limit_type]}_limit"
    change = await change_control(
        _engine(request),
        customer_id,
        card_id,
        control,
        _pence(body.Data.DailyLimit),
        key,
        await _now(request),
    )
    return await _changed(request, customer_id, card_id, change)


class SwitchData(BaseModel):
    Enabled: bool


class SwitchBody(BaseModel):
    Data: SwitchData


@router.put("/customers/{customer_id}/cards/{card_id}/controls/permissions/{switch_type}")
async def set_switch(
    customer_id: str,
    card_id: str,
    switch_type: SwitchType,
    body: SwitchBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    key = _key(idempotency_key)
    change = await change_control(
        _engine(request),
        customer_id,
        card_id,
        SWITCH_TYPES[switch_type],
        body.Data.Enabled,
        key,
        await _now(request),
    )
    return await _changed(request, customer_id, card_id, change)


@router.post("/customers/{customer_id}/cards/{card_id}/pin/unblock")
async def unblock_pin(
    customer_id: str,
    card_id: str,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """409 pin_not_blocked; 409 pin_unblock_not_allowed for a card frozen as stolen or misused."""
    key = _key(idempotency_key)
    change = await change_control(
        _engine(request), customer_id, card_id, "pin", None, key, await _now(request)
    )
    return await _changed(request, customer_id, card_id, change)


class ReplaceData(BaseModel):
    Reason: str


class ReplaceBody(BaseModel):
    Data: ReplaceData


@router.post("/customers/{customer_id}/cards/{card_id}/replacement", status_code=201)
async def order_replacement(
    customer_id: str,
    card_id: str,
    body: ReplaceBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """201 with the new card (ordered, pending activation) and the replacement; a lost or
    stolen card is cancelled in the same transaction."""
    reason = body.Data.Reason
    if reason not in REPLACE_REASONS:
        raise BankApiError(
            400, "invalid_request", f"Reason must be one of {sorted(REPLACE_REASONS)}"
        )
    key = _key(idempotency_key)
    done = await replace_card(
        _engine(request), customer_id, card_id, reason, key, await _now(request)
    )
    row = done.replacement
    data = {
        "Card": shapes.card(done.card),
        "Replacement": {
            "ReplacementId": row["id"],
            "Reason": row["reason"],
            "ReplacedCardId": row["old_card_id"],
            "ReplacedCardStatus": done.old_card["status"],
            "CreationDateTime": shapes.timestamp(row["created_at"]),
        },
    }
    headers = {"Idempotent-Replayed": "true"} if done.replayed else None
    return JSONResponse({"Data": data, "Links": {}, "Meta": {}}, status_code=201, headers=headers)


@router.get("/customers/{customer_id}/postal-address")
async def postal_address(customer_id: str, request: Request) -> dict[str, Any]:
    """Where the bank posts cards: Open Banking's PostalAddress."""
    async with _engine(request).connect() as conn:
        await _customer_exists(conn, customer_id)
        row = await address_of(conn, customer_id)
    if row is None:
        raise BankApiError(404, "address_not_found", "the bank holds no address for this customer")
    address = {
        "AddressType": "Residential",
        "AddressLine": [row["address_line"]],
        "TownName": row["town"],
        "PostCode": row["post_code"],
        "Country": row["country"],
    }
    return shapes.envelope("PostalAddress", address)
