"""The bank's case routes over HTTP (disputes and fraud reports): mixed into `BankClient`
(`actions/bank_client.py`), as `actions/budget_client.py` is."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from bot.bank import Case, DisputePolicy


def _path(customer_id: str, *parts: str) -> str:
    """As bank_client's: ids are quoted so none can step outside its customer."""
    return "/".join(["/customers", *(quote(p, safe="") for p in (customer_id, *parts))])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _case(data: dict[str, Any]) -> Case:
    paid = data.get("Transaction") or {}
    amount = data.get("Amount")
    return Case(
        id=data["CaseId"],
        reference=data["Reference"],
        kind=data["Kind"],
        status=data["Status"],
        reason=data["Reason"],
        created_at=_moment(data["CreationDateTime"]),
        updated_at=_moment(data["StatusUpdateDateTime"]),
        amount=Decimal(amount["Amount"]) if amount else None,
        currency=(amount or paid.get("Amount") or {}).get("Currency", "GBP"),
        transaction_id=paid.get("TransactionId"),
        transaction_amount=Decimal(paid["Amount"]["Amount"]) if paid else None,
        merchant=paid.get("MerchantName"),
        booked_at=_moment(paid["BookingDateTime"]) if paid else None,
        card_id=data.get("CardId"),
    )


class _Transport(Protocol):
    _http: httpx.AsyncClient

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...

    async def _write(
        self, method: str, idempotency_key: str, data: dict[str, Any] | None, customer_id: str,
        *parts: str,
    ) -> dict[str, Any]: ...  # fmt: skip


class CaseCalls:
    """Cases: open one, list them, read one, and the bank's rule for how old a debit may be."""

    async def dispute_policy(self: _Transport) -> DisputePolicy:
        body = (await self._get("/dispute-policy"))["Data"]["DisputePolicy"]
        return DisputePolicy(
            max_age_days=int(body["MaxAgeDays"]),
            today=date.fromisoformat(body["AsOfDate"]),
            earliest=date.fromisoformat(body["EarliestBookingDate"]),
        )

    async def list_cases(
        self: _Transport, customer_id: str, status: str | None = None
    ) -> list[Case]:
        params = {"status": status} if status else None
        body = await self._get(_path(customer_id, "cases"), params)
        return [_case(c) for c in body["Data"]["Case"]]

    async def get_case(self: _Transport, customer_id: str, case_id: str) -> Case:
        body = await self._get(_path(customer_id, "cases", case_id))
        return _case(body["Data"]["Case"])

    async def open_case(
        self: _Transport,
        customer_id: str,
        *,
        kind: str,
        reason: str,
        idempotency_key: str,
        transaction_id: str | None = None,
        card_id: str | None = None,
        amount: Decimal | None = None,
    ) -> Case:
        given: dict[str, Any] = {"Kind": kind, "Reason": reason}
        if transaction_id:
            given["TransactionId"] = transaction_id
        if card_id:
            given["CardId"] = card_id
        if amount is not None:
            given["Amount"] = {"Amount": f"{amount:.2f}", "Currency": "GBP"}
        body = await self._write("POST", idempotency_key, {"Case": given}, customer_id, "cases")
        return _case(body["Data"]["Case"])
