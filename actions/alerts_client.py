"""The bank's alert-subscription routes over HTTP: mixed into `BankClient`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote

from bot.bank import AlertSubscription, BankRejected


def _path(customer_id: str, *parts: str) -> str:
    return "/".join(["/customers", *(quote(p, safe="") for p in (customer_id, *parts))])


def _subscription(data: dict[str, Any]) -> AlertSubscription:
    amount = data.get("Amount")
    return AlertSubscription(data["Kind"], Decimal(amount["Amount"]) if amount else None)


class _Transport(Protocol):
    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...

    async def _write(
        self, method: str, idempotency_key: str, data: dict[str, Any] | None, customer_id: str,
        *parts: str,
    ) -> dict[str, Any]: ...  # fmt: skip


class AlertCalls:
    async def list_alert_subscriptions(
        self: _Transport, customer_id: str
    ) -> list[AlertSubscription]:
        body = await self._get(_path(customer_id, "alert-subscriptions"))
        return [_subscription(s) for s in body["Data"]["AlertSubscription"]]

    async def subscribe_alert(
        self: _Transport,
        customer_id: str,
        kind: str,
        amount: Decimal | None,
        idempotency_key: str,
    ) -> AlertSubscription:
        given: dict[str, Any] = {}
        if amount is not None:
            given["Amount"] = {"Amount": f"{amount:.2f}", "Currency": "GBP"}
        data = {"AlertSubscription": given}
        body = await self._write(
            "PUT", idempotency_key, data, customer_id, "alert-subscriptions", kind
        )
        return _subscription(body["Data"]["AlertSubscription"])

    async def unsubscribe_alert(
        self: _Transport, customer_id: str, kind: str, idempotency_key: str
    ) -> bool:
        try:
            await self._write(
                "DELETE", idempotency_key, None, customer_id, "alert-subscriptions", kind
            )
        except BankRejected as exc:
            if exc.code == "alert_subscription_not_found":
                return False
            raise
        return True
