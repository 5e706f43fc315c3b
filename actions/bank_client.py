"""The bank port (`bot.bank.Bank`) over HTTP: the sandbox speaks this API, a real core would too.

One shared `httpx.AsyncClient` keeps connections alive. Reads may be retried once when the
connection drops; a payment POST is never retried here, because a retry that reaches the
bank twice is exactly how money moves twice. The idempotency key makes a deliberate retry
safe, and that decision belongs to the caller.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from bot.bank import (
    Account,
    Balance,
    BankError,
    BankRejected,
    BankUnavailable,
    Card,
    CardChange,
    Customer,
    Delivery,
    ExchangeRate,
    Payee,
    Payment,
    PendingTransaction,
    TopUp,
    Transaction,
)

ACCOUNT_KINDS = {"CurrentAccount": "current", "Savings": "savings", "CreditCard": "credit_card"}


def _signed(item: dict[str, Any]) -> Decimal:
    amount = Decimal(item["Amount"]["Amount"])
    return -amount if item["CreditDebitIndicator"] == "Debit" else amount


def _datetime(value: str) -> datetime:
    return datetime.fromisoformat(value)


CONTACT_PREFERENCES = frozenset({"sms", "email", "push"})


def _customer(data: dict[str, Any]) -> Customer:
    preference = str(data.get("ContactPreference") or "").lower()
    return Customer(
        data["PartyId"],
        data["Name"],
        data.get("FirstName", ""),
        data.get("Phone", ""),
        data.get("EmailAddress", ""),
        preference if preference in CONTACT_PREFERENCES else "",
    )


def _account(data: dict[str, Any]) -> Account:
    identification = data["Account"][0]["Identification"] if data.get("Account") else ""
    return Account(
        id=data["AccountId"],
        kind=ACCOUNT_KINDS.get(data["AccountSubType"], data["AccountSubType"]),
        name=data.get("Nickname", ""),
        last4=identification[-4:],
        currency=data["Currency"],
    )


def _transaction(data: dict[str, Any]) -> Transaction:
    merchant = data.get("MerchantDetails") or {}
    return Transaction(
        id=data["TransactionId"],
        account_id=data["AccountId"],
        booked_at=_datetime(data["BookingDateTime"]),
        amount=_signed(data),
        currency=data["Amount"]["Currency"],
        description=data.get("TransactionInformation", ""),
        merchant=merchant.get("MerchantName"),
    )


def _payment(data: dict[str, Any]) -> Payment:
    initiation = data["Initiation"]
    balance = data.get("Balance")
    return Payment(
        id=data["DomesticPaymentId"],
        status=data["Status"],
        amount=Decimal(initiation["InstructedAmount"]["Amount"]),
        currency=initiation["InstructedAmount"]["Currency"],
        payee_id=initiation["CreditorAccount"]["Identification"],
        source_account_id=initiation["DebtorAccount"]["Identification"],
        new_balance=_signed(balance) if balance else None,
    )


def _optional_datetime(value: str | None) -> datetime | None:
    return None if value is None else _datetime(value)


def _card(data: dict[str, Any]) -> Card:
    delivery = data.get("Delivery")
    return Card(
        id=data["CardId"],
        account_id=data["AccountId"],
        kind=data["Kind"],
        scheme=data["Scheme"],
        last4=data["MaskedPan"][-4:],
        status=data["Status"],
        expires=date.fromisoformat(data["ExpiryDate"] + "-01"),
        delivery=None
        if not delivery
        else Delivery(
            status=delivery["Status"],
            ordered_at=_optional_datetime(delivery.get("OrderedDateTime")),
            dispatched_at=_optional_datetime(delivery.get("DispatchedDateTime")),
            delivered_at=_optional_datetime(delivery.get("DeliveredDateTime")),
            expected_on=date.fromisoformat(delivery["ExpectedDeliveryDate"])
            if delivery.get("ExpectedDeliveryDate")
            else None,
        ),
    )


def _pending(data: dict[str, Any]) -> PendingTransaction:
    merchant = data.get("MerchantDetails") or {}
    return PendingTransaction(
        id=data["TransactionId"],
        account_id=data["AccountId"],
        kind=data["Kind"],
        amount=Decimal(data["Amount"]["Amount"]),
        currency=data["Amount"]["Currency"],
        description=data.get("TransactionInformation", ""),
        merchant=merchant.get("MerchantName"),
        created_at=_datetime(data["TransactionDateTime"]),
        expected_on=date.fromisoformat(data["ExpectedBookingDate"]),
    )


def _top_up(data: dict[str, Any]) -> TopUp:
    return TopUp(
        id=data["TopUpId"],
        method=data["Method"],
        source=data["Source"],
        amount=Decimal(data["Amount"]["Amount"]),
        currency=data["Amount"]["Currency"],
        status=data["Status"],
        reason=data.get("StatusReason"),
        created_at=_datetime(data["CreationDateTime"]),
        updated_at=_datetime(data["StatusUpdateDateTime"]),
    )


def _when(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _customer_path(customer_id: str, *parts: str) -> str:
    """Ids come from tokens and slots: quote them so none can step outside its customer."""
    return "/".join(["/customers", *(quote(p, safe="") for p in (customer_id, *parts))])


class BankClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> BankClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _send(self, request: httpx.Request) -> dict[str, Any]:
        body, _ = await self._exchange(request)
        return body

    async def _exchange(self, request: httpx.Request) -> tuple[dict[str, Any], httpx.Headers]:
        """The JSON body and headers of a successful answer; a BankError for anything else."""
        try:
            response = await self._http.send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise BankUnavailable(f"cannot reach the bank: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise BankUnavailable(
                f"no answer from the bank: {exc!r}", outcome_unknown=True
            ) from exc
        if response.status_code >= 500:
            raise BankUnavailable(f"bank failed with {response.status_code}", outcome_unknown=True)
        try:
            body = response.json()
        except ValueError as exc:
            raise BankError(f"bank answered {response.status_code} without JSON") from exc
        if response.status_code in (401, 403):
            raise BankError(f"bank refused our credentials ({response.status_code})")
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            if not isinstance(error, dict):
                raise BankError(f"bank answered {response.status_code} without an error code")
            raise BankRejected(
                response.status_code, str(error.get("code")), str(error.get("message"))
            )
        return body, response.headers

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET, retried once if the connection failed before an answer (stale keep-alive)."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        request = self._http.build_request("GET", path, params=query)
        try:
            return await self._send(request)
        except BankUnavailable as exc:
            if isinstance(exc.__cause__, httpx.TimeoutException):
                raise
            return await self._send(self._http.build_request("GET", path, params=query))

    async def list_customers(self) -> list[Customer]:
        body = await self._get("/customers")
        return [Customer(p["PartyId"], p["Name"], "", "", "") for p in body["Data"]["Party"]]

    async def get_customer(self, customer_id: str) -> Customer:
        body = await self._get(_customer_path(customer_id))
        return _customer(body["Data"]["Party"])

    async def list_accounts(self, customer_id: str) -> list[Account]:
        body = await self._get(_customer_path(customer_id, "accounts"))
        return [_account(a) for a in body["Data"]["Account"]]

    async def get_balances(self, customer_id: str, account_id: str | None = None) -> list[Balance]:
        parts = ("accounts", account_id, "balances") if account_id else ("balances",)
        body = await self._get(_customer_path(customer_id, *parts))
        return [
            Balance(b["AccountId"], _signed(b), b["Amount"]["Currency"])
            for b in body["Data"]["Balance"]
        ]

    async def list_transactions(
        self,
        customer_id: str,
        account_id: str | None = None,
        start: date | datetime | None = None,
        end: date | datetime | None = None,
        merchant: str | None = None,
        limit: int | None = None,
    ) -> list[Transaction]:
        """Newest first. A bare `end` date includes that whole day."""
        parts = ("accounts", account_id, "transactions") if account_id else ("transactions",)
        params = {
            "fromBookingDateTime": _when(start),
            "toBookingDateTime": _when(end),
            "merchant": merchant,
            "limit": limit,
        }
        body = await self._get(_customer_path(customer_id, *parts), params)
        return [_transaction(t) for t in body["Data"]["Transaction"]]

    async def list_payees(self, customer_id: str) -> list[Payee]:
        """The UK payees a domestic payment can go to."""
        body = await self._get(_customer_path(customer_id, "payees"), {"kind": "domestic"})
        return [
            Payee(b["BeneficiaryId"], b["CreditorAccount"]["Name"])
            for b in body["Data"]["Beneficiary"]
        ]

    async def create_domestic_payment(
        self,
        customer_id: str,
        source_account_id: str,
        payee_id: str,
        amount: Decimal,
        currency: str,
        reference: str,
        idempotency_key: str,
    ) -> Payment:
        """Sent exactly once. The same key again returns the first payment, never a second."""
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError(f"amount {amount} has more than two decimal places")
        initiation = {
            "InstructedAmount": {"Amount": f"{amount:.2f}", "Currency": currency},
            "DebtorAccount": {
                "SchemeName": "Sandbox.AccountId",
                "Identification": source_account_id,
            },
            "CreditorAccount": {"SchemeName": "Sandbox.BeneficiaryId", "Identification": payee_id},
            "RemittanceInformation": {"Reference": reference},
        }
        request = self._http.build_request(
            "POST",
            _customer_path(customer_id, "domestic-payments"),
            json={"Data": {"Initiation": initiation}},
            headers={"Idempotency-Key": idempotency_key},
        )
        body = await self._send(request)
        return _payment(body["Data"])

    async def list_cards(self, customer_id: str) -> list[Card]:
        """Debit cards first, then credit, then virtual."""
        body = await self._get(_customer_path(customer_id, "cards"))
        return [_card(c) for c in body["Data"]["Card"]]

    async def _change_card(
        self, customer_id: str, card_id: str, action: str, key: str, body: dict[str, Any] | None
    ) -> CardChange:
        request = self._http.build_request(
            "POST",
            _customer_path(customer_id, "cards", card_id, action),
            json=body,
            headers={"Idempotency-Key": key},
        )
        data, headers = await self._exchange(request)
        change = data["Data"]["Action"]
        return CardChange(
            card=_card(data["Data"]["Card"]),
            action_id=change["ActionId"],
            from_status=change["FromStatus"],
            to_status=change["ToStatus"],
            replayed=headers.get("Idempotent-Replayed") == "true",
        )

    async def freeze_card(
        self, customer_id: str, card_id: str, reason: str, idempotency_key: str
    ) -> CardChange:
        """Sent once, never retried here; the same key again returns the first change."""
        return await self._change_card(
            customer_id, card_id, "freeze", idempotency_key, {"Reason": reason}
        )

    async def activate_card(
        self, customer_id: str, card_id: str, idempotency_key: str
    ) -> CardChange:
        return await self._change_card(customer_id, card_id, "activate", idempotency_key, None)

    async def list_pending_transactions(
        self, customer_id: str, kind: str | None = None
    ) -> list[PendingTransaction]:
        """Authorised, not yet booked; newest first."""
        body = await self._get(_customer_path(customer_id, "pending-transactions"), {"kind": kind})
        return [_pending(t) for t in body["Data"]["Transaction"]]

    async def list_top_ups(self, customer_id: str, status: str | None = None) -> list[TopUp]:
        body = await self._get(_customer_path(customer_id, "top-ups"), {"status": status})
        return [_top_up(t) for t in body["Data"]["TopUp"]]

    async def exchange_rates(self) -> list[ExchangeRate]:
        """The bank's customer rates from GBP, by currency code."""
        body = await self._get("/fx-rates")
        return [
            ExchangeRate(r["Currency"], Decimal(r["Rate"])) for r in body["Data"]["ExchangeRate"]
        ]
