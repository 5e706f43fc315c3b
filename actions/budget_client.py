"""The bank's budget routes over HTTP: mixed into `BankClient` (`actions/bank_client.py`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from bot.bank import BankRejected, Budget, BudgetAlert


def _path(customer_id: str, *parts: str) -> str:
    """As bank_client's: ids are quoted so none can step outside its customer."""
    return "/".join(["/customers", *(quote(p, safe="") for p in (customer_id, *parts))])


def _budget(data: dict[str, Any]) -> Budget:
    period = data["Period"]
    return Budget(
        id=data["BudgetId"],
        category=data["Category"],
        amount=Decimal(data["Amount"]["Amount"]),
        spent=Decimal(data["Spent"]["Amount"]),
        currency=data["Amount"]["Currency"],
        start=date.fromisoformat(period["FromDate"]),
        end=date.fromisoformat(period["ToDate"]),
        today=date.fromisoformat(period["AsOfDate"]),
    )


def _alert(data: dict[str, Any]) -> BudgetAlert:
    return BudgetAlert(
        id=data["AlertId"],
        budget_id=data["BudgetId"],
        category=data["Category"],
        month=data["Month"],
        threshold=int(data["Threshold"]),
        spent=Decimal(data["Spent"]["Amount"]),
        amount=Decimal(data["Amount"]["Amount"]),
        currency=data["Amount"]["Currency"],
    )


def _amount(amount: Decimal) -> dict[str, str]:
    return {"Amount": f"{amount:.2f}", "Currency": "GBP"}


class _Transport(Protocol):
    _http: httpx.AsyncClient

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...

    async def _send(self, request: httpx.Request) -> dict[str, Any]: ...

    async def _write(
        self, method: str, idempotency_key: str, data: dict[str, Any] | None, customer_id: str,
        *parts: str,
    ) -> dict[str, Any]: ...  # fmt: skip


class BudgetCalls:
    """Budgets, and the alerts the bank raises when a payment takes one past 80% or 100%."""

    async def list_budgets(self: _Transport, customer_id: str) -> list[Budget]:
        body = await self._get(_path(customer_id, "budgets"))
        return [_budget(b) for b in body["Data"]["Budget"]]

    async def create_budget(
        self: _Transport,
        customer_id: str,
        *,
        category: str,
        codes: list[str],
        amount: Decimal,
        idempotency_key: str,
    ) -> Budget:
        data = {
            "Budget": {
                "Category": category,
                "MerchantCategoryCodes": codes,
                "Amount": _amount(amount),
            }
        }
        body = await self._write("POST", idempotency_key, data, customer_id, "budgets")
        return _budget(body["Data"]["Budget"])

    async def change_budget(
        self: _Transport, customer_id: str, budget_id: str, *, amount: Decimal, idempotency_key: str
    ) -> Budget:
        data = {"Budget": {"Amount": _amount(amount)}}
        body = await self._write("PATCH", idempotency_key, data, customer_id, "budgets", budget_id)
        return _budget(body["Data"]["Budget"])

    async def delete_budget(
        self: _Transport, customer_id: str, budget_id: str, idempotency_key: str
    ) -> None:
        await self._write("DELETE", idempotency_key, None, customer_id, "budgets", budget_id)

    async def new_budget_alerts(self: _Transport, customer_id: str) -> list[BudgetAlert]:
        body = await self._get(_path(customer_id, "budget-alerts"), {"status": "new"})
        return [_alert(a) for a in body["Data"]["BudgetAlert"]]

    async def acknowledge_budget_alert(
        self: _Transport, customer_id: str, alert_id: str, idempotency_key: str
    ) -> bool:
        try:
            await self._write(
                "POST", idempotency_key, None, customer_id, "budget-alerts", alert_id, "acknowledge"
            )
        except BankRejected as exc:
            if exc.code == "budget_alert_acknowledged":
                return False
            raise
        return True
