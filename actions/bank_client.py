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

from actions.alerts_client import AlertCalls
from actions.budget_client import BudgetCalls
from actions.case_client import CaseCalls
from actions.loans_client import LoanCalls
from actions.places_client import PlacesCalls
from actions.profile_client import ProfileCalls
from bot.bank import (
    Account,
    AccountStatement,
    Balance,
    BankError,
    BankRejected,
    BankUnavailable,
    Bill,
    Biller,
    Card,
    CardChange,
    CardControls,
    CardLimit,
    CardReplacement,
    CardStatement,
    ControlChange,
    Creditor,
    Customer,
    Delivery,
    DirectDebit,
    ExchangeRate,
    FxQuote,
    InternationalPayment,
    Payee,
    PayeeCheck,
    Payment,
    PaymentLimit,
    PendingTransaction,
    PostalAddress,
    ScheduledPayment,
    StandingOrder,
    StatementLine,
    TopUp,
    Transaction,
    UpcomingPayment,
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
        opened_on=date.fromisoformat(data["OpeningDate"]) if data.get("OpeningDate") else None,
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
        merchant_category=merchant.get("MerchantCategoryCode"),
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
        creditor_name=initiation["CreditorAccount"].get("Name", ""),
    )


def _optional_datetime(value: str | None) -> datetime | None:
    return None if value is None else _datetime(value)


_LIMIT_TYPES = {"atm": "ATM", "online": "Online", "contactless": "Contactless"}


def _controls(data: dict[str, Any]) -> CardControls:
    names = {v: k for k, v in _LIMIT_TYPES.items()}
    return CardControls(
        card_id=data["CardId"],
        limits={
            names[item["Type"]]: CardLimit(
                daily=Decimal(item["DailyLimit"]["Amount"]),
                minimum=Decimal(item["MinimumLimit"]["Amount"]),
                maximum=Decimal(item["MaximumLimit"]["Amount"]),
            )
            for item in data["Limits"]
        },
        switches={item["Type"].lower(): bool(item["Enabled"]) for item in data["Permissions"]},
        pin_blocked=bool(data["Pin"]["Blocked"]),
        pin_unblock_allowed=bool(data["Pin"]["UnblockAllowed"]),
    )


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


def _amount(money: dict[str, Any]) -> Decimal:
    return Decimal(money["Amount"])


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"amount {amount} has more than two decimal places")
    return {"Amount": f"{amount:.2f}", "Currency": currency}


def _debtor(account_id: str) -> dict[str, str]:
    return {"SchemeName": "Sandbox.AccountId", "Identification": account_id}


def _creditor(creditor: Creditor) -> dict[str, str]:
    return {"SchemeName": creditor.scheme, "Identification": creditor.id}


def _remittance(reference: str | None) -> dict[str, Any]:
    return {"RemittanceInformation": {"Reference": reference}} if reference else {}


def _day(value: str | None) -> date | None:
    """Open Banking's ISODateTime (or a date) as the date it names."""
    return None if value is None else date.fromisoformat(value[:10])


def _payee(data: dict[str, Any]) -> Payee:
    account = data["CreditorAccount"]
    identification = account["Identification"]
    if account["SchemeName"] == "UK.OBIE.IBAN":
        return Payee(
            data["BeneficiaryId"],
            account["Name"],
            kind="international",
            last4=identification[-4:],
            bic=(data.get("CreditorAgent") or {}).get("Identification", ""),
            currency=data.get("Currency", ""),
            reference=data.get("Reference"),
        )
    return Payee(
        data["BeneficiaryId"],
        account["Name"],
        last4=identification[-4:],
        sort_code=identification[:6],
        reference=data.get("Reference"),
    )


def _bill(data: dict[str, Any]) -> Bill:
    return Bill(
        data["BillId"],
        data["BillerId"],
        data["BillerName"],
        data["Category"],
        data["Reference"],
        data.get("Nickname"),
    )


def _creditor_of(data: dict[str, Any]) -> tuple[Creditor, str]:
    account = data["CreditorAccount"]
    return Creditor(account["SchemeName"], account["Identification"]), account.get("Name", "")


def _scheduled(data: dict[str, Any]) -> ScheduledPayment:
    creditor, name = _creditor_of(data)
    on = _day(data["ScheduledPaymentDateTime"])
    assert on is not None
    return ScheduledPayment(
        id=data["ScheduledPaymentId"],
        account_id=data["AccountId"],
        on=on,
        amount=_amount(data["InstructedAmount"]),
        currency=data["InstructedAmount"]["Currency"],
        creditor=creditor,
        creditor_name=name,
        status=data["Status"],
        reason=data.get("StatusReason"),
        reference=data.get("Reference"),
    )


def _standing_order(data: dict[str, Any]) -> StandingOrder:
    creditor, name = _creditor_of(data)
    first = _day(data["FirstPaymentDateTime"])
    assert first is not None
    next_amount = data.get("NextPaymentAmount")
    return StandingOrder(
        id=data["StandingOrderId"],
        account_id=data["AccountId"],
        frequency=data["Frequency"],
        reference=data.get("Reference"),
        first_date=first,
        next_date=_day(data.get("NextPaymentDateTime")),
        final_date=_day(data.get("FinalPaymentDateTime")),
        payments=data.get("NumberOfPayments"),
        amount=_amount(data["FirstPaymentAmount"]),
        next_amount=_amount(next_amount) if next_amount else None,
        currency=data["FirstPaymentAmount"]["Currency"],
        creditor=creditor,
        creditor_name=name,
        active=data["StandingOrderStatusCode"] == "Active",
        reason=data.get("StatusReason"),
    )


def _direct_debit(data: dict[str, Any]) -> DirectDebit:
    previous, upcoming = data.get("PreviousPaymentAmount"), data.get("NextPaymentAmount")
    return DirectDebit(
        id=data["DirectDebitId"],
        account_id=data["AccountId"],
        name=data["Name"],
        category=data.get("Category", ""),
        active=data["DirectDebitStatusCode"] == "Active",
        previous_date=_day(data.get("PreviousPaymentDateTime")),
        previous_amount=_amount(previous) if previous else None,
        next_date=_day(data.get("NextPaymentDateTime")),
        next_amount=_amount(upcoming) if upcoming else None,
    )


def _when(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _customer_path(customer_id: str, *parts: str) -> str:
    """Ids come from tokens and slots: quote them so none can step outside its customer."""
    return "/".join(["/customers", *(quote(p, safe="") for p in (customer_id, *parts))])


class BankClient(BudgetCalls, LoanCalls, ProfileCalls, CaseCalls, PlacesCalls, AlertCalls):
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

    async def ping(self) -> None:
        """Raises BankUnavailable unless the bank answers (any status below 500) at its
        base URL: what /readyz asks, without reading anyone's data."""
        try:
            response = await self._http.get("/")
        except httpx.HTTPError as exc:
            raise BankUnavailable(f"cannot reach the bank: {exc!r}") from exc
        if response.status_code >= 500:
            raise BankUnavailable(f"bank failed with {response.status_code}")

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

    async def list_payees(self, customer_id: str, kind: str | None = "domestic") -> list[Payee]:
        body = await self._get(_customer_path(customer_id, "payees"), {"kind": kind})
        return [_payee(b) for b in body["Data"]["Beneficiary"]]

    async def add_payee(
        self,
        customer_id: str,
        *,
        name: str,
        sort_code: str,
        account_number: str,
        reference: str | None,
        idempotency_key: str,
    ) -> Payee:
        account = {
            "SchemeName": "UK.OBIE.SortCodeAccountNumber",
            "Identification": sort_code + account_number,
            "Name": name,
        }
        beneficiary = {
            "CreditorAccount": account,
            **({"Reference": reference} if reference else {}),
        }
        body = await self._write(
            "POST", idempotency_key, {"Beneficiary": beneficiary}, customer_id, "payees"
        )
        return _payee(body["Data"]["Beneficiary"])

    async def add_international_payee(
        self,
        customer_id: str,
        *,
        name: str,
        iban: str,
        bic: str,
        currency: str,
        reference: str | None,
        idempotency_key: str,
    ) -> Payee:
        beneficiary = {
            "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": iban, "Name": name},
            "CreditorAgent": {"SchemeName": "UK.OBIE.BICFI", "Identification": bic},
            "Currency": currency,
            **({"Reference": reference} if reference else {}),
        }
        body = await self._write(
            "POST", idempotency_key, {"Beneficiary": beneficiary}, customer_id, "payees"
        )
        return _payee(body["Data"]["Beneficiary"])

    async def delete_payee(
        self, customer_id: str, payee_id: str, idempotency_key: str
    ) -> list[str]:
        body = await self._write("DELETE", idempotency_key, None, customer_id, "payees", payee_id)
        return list(body["Data"].get("CancelledScheduleIds") or [])

    async def check_payee(
        self,
        customer_id: str,
        *,
        name: str,
        sort_code: str,
        account_number: str,
        business: bool = False,
    ) -> PayeeCheck:
        """A question, not a change: no idempotency key; a read, so retried like one."""
        data = {
            "AccountType": "Business" if business else "Personal",
            "CreditorAccount": {
                "SchemeName": "UK.OBIE.SortCodeAccountNumber",
                "Identification": sort_code + account_number,
                "Name": name,
            },
        }
        request = self._http.build_request(
            "POST", _customer_path(customer_id, "payee-checks"), json={"Data": data}
        )
        answer = (await self._send(request))["Data"]
        return PayeeCheck(answer["Result"], answer.get("ReasonCode"), answer.get("ActualName"))

    async def create_domestic_payment(
        self,
        customer_id: str,
        source_account_id: str,
        creditor: Creditor,
        amount: Decimal,
        currency: str,
        reference: str | None,
        idempotency_key: str,
    ) -> Payment:
        """Sent exactly once. The same key again returns the first payment, never a second."""
        initiation = {
            "InstructedAmount": _money(amount, currency),
            "DebtorAccount": _debtor(source_account_id),
            "CreditorAccount": _creditor(creditor),
            **_remittance(reference),
        }
        body = await self._write(
            "POST", idempotency_key, {"Initiation": initiation}, customer_id, "domestic-payments"
        )
        return _payment(body["Data"])

    async def payment_limits(self, customer_id: str) -> PaymentLimit:
        data = (await self._get(_customer_path(customer_id, "payment-limits")))["Data"]
        limit = data["PaymentLimit"]
        return PaymentLimit(
            date.fromisoformat(limit["Date"]),
            _amount(limit["DailyLimit"]),
            _amount(limit["UsedToday"]),
            _amount(limit["RemainingToday"]),
        )

    async def account_statement(
        self, customer_id: str, account_id: str, start: date, end: date
    ) -> AccountStatement:
        path = _customer_path(customer_id, "accounts", account_id, "account-statement")
        params = {"fromBookingDate": start.isoformat(), "toBookingDate": end.isoformat()}
        data = (await self._get(path, params))["Data"]["AccountStatement"]
        lines = tuple(
            StatementLine(_transaction(row | {"AccountId": account_id}), _signed(row["Balance"]))
            for row in data["Transaction"]
        )
        return AccountStatement(
            account_id=account_id,
            currency=data["Currency"],
            start=date.fromisoformat(data["StartDate"]),
            end=date.fromisoformat(data["EndDate"]),
            opening_balance=_signed(data["OpeningBalance"]),
            closing_balance=_signed(data["ClosingBalance"]),
            money_in=_amount(data["TotalCredits"]),
            money_out=_amount(data["TotalDebits"]),
            lines=lines,
        )

    async def card_statement(self, customer_id: str, account_id: str) -> CardStatement | None:
        data = (await self._get(_customer_path(customer_id, "accounts", account_id, "statements")))[
            "Data"
        ]
        if not data["Statement"]:
            return None
        latest, now = data["Statement"][0], data["CurrentBalance"]
        return CardStatement(
            account_id=account_id,
            statement_date=date.fromisoformat(latest["StatementDate"]),
            due_date=date.fromisoformat(latest["PaymentDueDate"]),
            statement_balance=_amount(latest["StatementBalance"]),
            minimum_payment=_amount(latest["MinimumPayment"]),
            paid_since=_amount(latest["PaidSinceStatement"]),
            minimum_remaining=_amount(latest["MinimumPaymentRemaining"]),
            current_balance=-_signed(now),
        )

    async def list_billers(self) -> list[Biller]:
        body = await self._get("/billers")
        return [
            Biller(
                b["BillerId"],
                b["Name"],
                b["Category"],
                b["Reference"]["Description"],
                b["Reference"]["Example"],
                b["Reference"].get("Pattern", ""),
                b["Reference"].get("CheckDigit"),
            )
            for b in body["Data"]["Biller"]
        ]

    async def list_bills(self, customer_id: str) -> list[Bill]:
        body = await self._get(_customer_path(customer_id, "bills"))
        return [_bill(b) for b in body["Data"]["Bill"]]

    async def add_bill(
        self,
        customer_id: str,
        *,
        biller_id: str,
        reference: str,
        nickname: str | None,
        idempotency_key: str,
    ) -> Bill:
        bill = {"BillerId": biller_id, "Reference": reference}
        if nickname:
            bill["Nickname"] = nickname
        body = await self._write("POST", idempotency_key, {"Bill": bill}, customer_id, "bills")
        return _bill(body["Data"]["Bill"])

    async def schedule_payment(
        self,
        customer_id: str,
        *,
        source_account_id: str,
        creditor: Creditor,
        amount: Decimal,
        on: date,
        reference: str | None,
        idempotency_key: str,
    ) -> ScheduledPayment:
        initiation = {
            "RequestedExecutionDateTime": on.isoformat(),
            "InstructedAmount": _money(amount, "GBP"),
            "DebtorAccount": _debtor(source_account_id),
            "CreditorAccount": _creditor(creditor),
            **_remittance(reference),
        }
        body = await self._write(
            "POST",
            idempotency_key,
            {"Initiation": initiation},
            customer_id,
            "domestic-scheduled-payments",
        )
        return _scheduled(body["Data"]["ScheduledPayment"])

    async def list_scheduled_payments(self, customer_id: str) -> list[ScheduledPayment]:
        body = await self._get(_customer_path(customer_id, "domestic-scheduled-payments"))
        return [_scheduled(p) for p in body["Data"]["ScheduledPayment"]]

    async def amend_scheduled_payment(
        self,
        customer_id: str,
        payment_id: str,
        *,
        amount: Decimal | None = None,
        on: date | None = None,
        idempotency_key: str,
    ) -> ScheduledPayment:
        data: dict[str, Any] = {}
        if amount is not None:
            data["InstructedAmount"] = _money(amount, "GBP")
        if on is not None:
            data["RequestedExecutionDateTime"] = on.isoformat()
        body = await self._write(
            "PATCH",
            idempotency_key,
            data,
            customer_id,
            "domestic-scheduled-payments",
            payment_id,
        )
        return _scheduled(body["Data"]["ScheduledPayment"])

    async def cancel_scheduled_payment(
        self, customer_id: str, payment_id: str, idempotency_key: str
    ) -> ScheduledPayment:
        body = await self._write(
            "DELETE", idempotency_key, None, customer_id, "domestic-scheduled-payments", payment_id
        )
        return _scheduled(body["Data"]["ScheduledPayment"])

    async def create_standing_order(
        self,
        customer_id: str,
        *,
        source_account_id: str,
        creditor: Creditor,
        amount: Decimal,
        frequency: str,
        first_date: date,
        final_date: date | None = None,
        payments: int | None = None,
        reference: str | None,
        idempotency_key: str,
    ) -> StandingOrder:
        initiation: dict[str, Any] = {
            "Frequency": frequency,
            "FirstPaymentDateTime": first_date.isoformat(),
            "FirstPaymentAmount": _money(amount, "GBP"),
            "DebtorAccount": _debtor(source_account_id),
            "CreditorAccount": _creditor(creditor),
        }
        if reference:
            initiation["Reference"] = reference
        if final_date is not None:
            initiation["FinalPaymentDateTime"] = final_date.isoformat()
        if payments is not None:
            initiation["NumberOfPayments"] = payments
        body = await self._write(
            "POST",
            idempotency_key,
            {"Initiation": initiation},
            customer_id,
            "domestic-standing-orders",
        )
        return _standing_order(body["Data"]["StandingOrder"])

    async def list_standing_orders(self, customer_id: str) -> list[StandingOrder]:
        body = await self._get(_customer_path(customer_id, "domestic-standing-orders"))
        return [_standing_order(o) for o in body["Data"]["StandingOrder"]]

    async def amend_standing_order(
        self,
        customer_id: str,
        order_id: str,
        *,
        amount: Decimal | None = None,
        next_date: date | None = None,
        idempotency_key: str,
    ) -> StandingOrder:
        data: dict[str, Any] = {}
        if amount is not None:
            data["NextPaymentAmount"] = _money(amount, "GBP")
        if next_date is not None:
            data["NextPaymentDateTime"] = next_date.isoformat()
        body = await self._write(
            "PATCH", idempotency_key, data, customer_id, "domestic-standing-orders", order_id
        )
        return _standing_order(body["Data"]["StandingOrder"])

    async def cancel_standing_order(
        self, customer_id: str, order_id: str, idempotency_key: str
    ) -> StandingOrder:
        body = await self._write(
            "DELETE", idempotency_key, None, customer_id, "domestic-standing-orders", order_id
        )
        return _standing_order(body["Data"]["StandingOrder"])

    async def list_direct_debits(self, customer_id: str) -> list[DirectDebit]:
        body = await self._get(_customer_path(customer_id, "direct-debits"))
        return [_direct_debit(d) for d in body["Data"]["DirectDebit"]]

    async def cancel_direct_debit(
        self, customer_id: str, direct_debit_id: str, idempotency_key: str
    ) -> DirectDebit:
        body = await self._write(
            "DELETE", idempotency_key, None, customer_id, "direct-debits", direct_debit_id
        )
        return _direct_debit(body["Data"]["DirectDebit"])

    async def upcoming_payments(self, customer_id: str, days: int = 30) -> list[UpcomingPayment]:
        body = await self._get(_customer_path(customer_id, "upcoming-payments"), {"days": days})
        return [
            UpcomingPayment(
                u["Kind"],
                u["Id"],
                u["AccountId"],
                date.fromisoformat(u["Date"]),
                _amount(u["Amount"]),
                u["Name"],
            )
            for u in body["Data"]["UpcomingPayment"]
        ]

    async def quote_fx(
        self,
        customer_id: str,
        currency: str,
        *,
        send: Decimal | None = None,
        receive: Decimal | None = None,
        idempotency_key: str,
    ) -> FxQuote:
        if (send is None) == (receive is None):
            raise ValueError("quote either the pounds to send or the amount to arrive")
        data: dict[str, Any] = {"Currency": currency}
        if send is not None:
            data["SendAmount"] = _money(send, "GBP")
        else:
            data["ReceiveAmount"] = {"Amount": f"{receive}", "Currency": currency}
        body = await self._write("POST", idempotency_key, data, customer_id, "fx-quotes")
        quote = body["Data"]["Quote"]
        return FxQuote(
            id=quote["QuoteId"],
            currency=quote["Currency"],
            rate=Decimal(quote["ExchangeRate"]),
            send=_amount(quote["SendAmount"]),
            fee=_amount(quote["Fee"]),
            total=_amount(quote["TotalDebit"]),
            receive=_amount(quote["ReceiveAmount"]),
            created_at=_datetime(quote["CreationDateTime"]),
            expires_at=_datetime(quote["ExpirationDateTime"]),
        )

    async def create_international_payment(
        self,
        customer_id: str,
        *,
        source_account_id: str,
        payee_id: str,
        quote_id: str,
        reference: str | None,
        idempotency_key: str,
    ) -> InternationalPayment:
        initiation = {
            "DebtorAccount": _debtor(source_account_id),
            "CreditorAccount": _creditor(Creditor.payee(payee_id)),
            "ExchangeRateInformation": {"ContractIdentification": quote_id},
            **_remittance(reference),
        }
        body = await self._write(
            "POST",
            idempotency_key,
            {"Initiation": initiation},
            customer_id,
            "international-payments",
        )
        data = body["Data"]
        balance = data.get("Balance")
        return InternationalPayment(
            id=data["InternationalPaymentId"],
            status=data["Status"],
            send=_amount(data["Initiation"]["InstructedAmount"]),
            fee=sum((_amount(c["Amount"]) for c in data.get("Charges", [])), Decimal(0)),
            receive=_amount(data["ReceiveAmount"]),
            currency=data["Initiation"]["CurrencyOfTransfer"],
            payee_id=payee_id,
            new_balance=_signed(balance) if balance else None,
        )

    async def _write(
        self,
        method: str,
        idempotency_key: str,
        data: dict[str, Any] | None,
        customer_id: str,
        *parts: str,
    ) -> dict[str, Any]:
        """A change, sent once with its idempotency key, never retried here."""
        request = self._http.build_request(
            method,
            _customer_path(customer_id, *parts),
            json=None if data is None else {"Data": data},
            headers={"Idempotency-Key": idempotency_key},
        )
        return await self._send(request)

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

    async def unfreeze_card(
        self, customer_id: str, card_id: str, idempotency_key: str
    ) -> CardChange:
        return await self._change_card(customer_id, card_id, "unfreeze", idempotency_key, None)

    async def card_controls(self, customer_id: str, card_id: str) -> CardControls:
        body = await self._get(_customer_path(customer_id, "cards", card_id, "controls"))
        return _controls(body["Data"]["CardControls"])

    async def _control_change(
        self, method: str, key: str, body: dict[str, Any] | None, customer_id: str, *parts: str
    ) -> ControlChange:
        request = self._http.build_request(
            method,
            _customer_path(customer_id, *parts),
            json=None if body is None else {"Data": body},
            headers={"Idempotency-Key": key},
        )
        data, headers = await self._exchange(request)
        change = data["Data"]["Change"]
        return ControlChange(
            controls=_controls(data["Data"]["CardControls"]),
            change_id=change["ChangeId"],
            control=change["Control"],
            from_value=change["FromValue"],
            to_value=change["ToValue"],
            replayed=headers.get("Idempotent-Replayed") == "true",
        )

    async def set_card_limit(
        self, customer_id: str, card_id: str, limit: str, amount: Decimal, idempotency_key: str
    ) -> ControlChange:
        """Sent once, never retried here; the same key again returns the first change."""
        body = {"DailyLimit": {"Amount": f"{amount:.2f}", "Currency": "GBP"}}
        path = ("cards", card_id, "controls", "limits", _LIMIT_TYPES[limit])
        return await self._control_change("PUT", idempotency_key, body, customer_id, *path)

    async def set_card_switch(
        self, customer_id: str, card_id: str, switch: str, enabled: bool, idempotency_key: str
    ) -> ControlChange:
        path = ("cards", card_id, "controls", "permissions", switch.capitalize())
        body = {"Enabled": enabled}
        return await self._control_change("PUT", idempotency_key, body, customer_id, *path)

    async def unblock_pin(
        self, customer_id: str, card_id: str, idempotency_key: str
    ) -> ControlChange:
        path = ("cards", card_id, "pin", "unblock")
        return await self._control_change("POST", idempotency_key, None, customer_id, *path)

    async def postal_address(self, customer_id: str) -> PostalAddress | None:
        try:
            body = await self._get(_customer_path(customer_id, "postal-address"))
        except BankRejected as exc:
            if exc.code == "address_not_found":
                return None
            raise
        found = body["Data"]["PostalAddress"]
        return PostalAddress(
            lines=tuple(found["AddressLine"]),
            town=found["TownName"],
            post_code=found["PostCode"],
            country=found["Country"],
        )

    async def replace_card(
        self, customer_id: str, card_id: str, reason: str, idempotency_key: str
    ) -> CardReplacement:
        """Sent once, never retried here; the same key again returns the first order."""
        request = self._http.build_request(
            "POST",
            _customer_path(customer_id, "cards", card_id, "replacement"),
            json={"Data": {"Reason": reason}},
            headers={"Idempotency-Key": idempotency_key},
        )
        data, headers = await self._exchange(request)
        replacement = data["Data"]["Replacement"]
        return CardReplacement(
            card=_card(data["Data"]["Card"]),
            replacement_id=replacement["ReplacementId"],
            reason=replacement["Reason"],
            old_card_status=replacement["ReplacedCardStatus"],
            replayed=headers.get("Idempotent-Replayed") == "true",
        )

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
