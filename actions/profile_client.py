"""The bank's profile routes over HTTP (contact details, postal address, marketing choices):
mixed into `BankClient` (`actions/bank_client.py`), like `actions/budget_client.py`."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import httpx

from bot.bank import AddressChange, ContactChange, MarketingPreferences, PostalAddress


def _path(customer_id: str, *parts: str) -> str:
    """As bank_client's: ids are quoted so none can step outside its customer."""
    return "/".join(["/customers", *(quote(p, safe="") for p in (customer_id, *parts))])


def _address(data: dict[str, Any] | None) -> PostalAddress | None:
    if not data:
        return None
    return PostalAddress(
        lines=tuple(data["AddressLine"]),
        town=data["TownName"],
        post_code=data["PostCode"],
        country=data["Country"],
    )


def address_shape(address: PostalAddress) -> dict[str, Any]:
    return {
        "AddressType": "Residential",
        "AddressLine": list(address.lines),
        "TownName": address.town,
        "PostCode": address.post_code,
        "Country": address.country,
    }


def _preferences(data: dict[str, Any]) -> MarketingPreferences:
    return MarketingPreferences(
        email=bool(data["Email"]), sms=bool(data["Sms"]), post=bool(data["Post"])
    )


_WIRE = {"email": "EmailAddress", "phone": "Phone"}
_CHANNELS = {"email": "Email", "sms": "Sms", "post": "Post"}


class _Transport(Protocol):
    _http: httpx.AsyncClient

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...

    async def _write(
        self, method: str, idempotency_key: str, data: dict[str, Any] | None, customer_id: str,
        *parts: str,
    ) -> dict[str, Any]: ...  # fmt: skip


class ProfileCalls:
    """Contact details, the postal address and marketing preferences, kept by the bank."""

    async def change_contact(
        self: _Transport, customer_id: str, *, field: str, value: str, idempotency_key: str
    ) -> ContactChange:
        data = {"ContactDetails": {_WIRE[field]: value}}
        body = await self._write("PATCH", idempotency_key, data, customer_id, "contact-details")
        change = body["Data"]["ContactChange"]
        return ContactChange(field, change["Previous"], change["Current"])

    async def change_postal_address(
        self: _Transport, customer_id: str, address: PostalAddress, idempotency_key: str
    ) -> AddressChange:
        data = {"PostalAddress": address_shape(address)}
        body = await self._write("PUT", idempotency_key, data, customer_id, "postal-address")
        change = body["Data"]["PostalAddressChange"]
        current = _address(change["Current"])
        assert current is not None
        return AddressChange(_address(change.get("Previous")), current)

    async def marketing_preferences(self: _Transport, customer_id: str) -> MarketingPreferences:
        body = await self._get(_path(customer_id, "marketing-preferences"))
        return _preferences(body["Data"]["MarketingPreferences"])

    async def set_marketing_preferences(
        self: _Transport, customer_id: str, changes: dict[str, bool], idempotency_key: str
    ) -> MarketingPreferences:
        data = {"MarketingPreferences": {_CHANNELS[k]: v for k, v in changes.items()}}
        body = await self._write(
            "PATCH", idempotency_key, data, customer_id, "marketing-preferences"
        )
        return _preferences(body["Data"]["MarketingPreferences"])
