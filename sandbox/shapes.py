"""Resource shapes modelled on UK Open Banking Read/Write (kept to the fields we use).

Sandbox extensions, documented in sandbox/README.md: account references in payments use
the scheme names `Sandbox.AccountId` and `Sandbox.BeneficiaryId`, and a completed domestic
payment carries `Data.Balance`, the debtor account's balance right after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox.bills import BY_ID
from sandbox.money import format_foreign, format_minor, indicator

ACCOUNT_ID_SCHEME = "Sandbox.AccountId"
BENEFICIARY_ID_SCHEME = "Sandbox.BeneficiaryId"
BILL_ID_SCHEME = "Sandbox.BillId"
CREDITOR_SCHEMES = (BENEFICIARY_ID_SCHEME, ACCOUNT_ID_SCHEME, BILL_ID_SCHEME)
UK_ACCOUNT_SCHEME = "UK.OBIE.SortCodeAccountNumber"
IBAN_SCHEME = "UK.OBIE.IBAN"
BIC_SCHEME = "UK.OBIE.BICFI"
SUB_TYPES = {"current": "CurrentAccount", "savings": "Savings", "credit_card": "CreditCard"}

Row = Mapping[str, Any]


def timestamp(value: datetime) -> str:
    """Stored datetimes are naive UTC."""
    return value.isoformat(timespec="seconds") + "+00:00"


def envelope(name: str, items: Any) -> dict[str, Any]:
    return {"Data": {name: items}, "Links": {}, "Meta": {}}


def money(minor: int, currency: str) -> dict[str, str]:
    return {"Amount": format_minor(minor), "Currency": currency}


def party(row: Row) -> dict[str, Any]:
    found = {
        "PartyId": row["id"],
        "Name": row["name"],
        "FirstName": row["first_name"],
        "Phone": row["phone"],
        "EmailAddress": row["email"],
    }
    if row["contact_preference"]:  # a sandbox extension: only when the customer chose
        found["ContactPreference"] = row["contact_preference"]
    return found


def account(row: Row) -> dict[str, Any]:
    if row["kind"] == "credit_card":
        identifier = {"SchemeName": "UK.OBIE.PAN", "Identification": "************" + row["last4"]}
    else:
        identifier = {
            "SchemeName": "UK.OBIE.SortCodeAccountNumber",
            "Identification": row["sort_code"] + row["account_number"],
        }
    return {
        "AccountId": row["id"],
        "Currency": row["currency"],
        "AccountType": "Personal",
        "AccountSubType": SUB_TYPES[row["kind"]],
        "Nickname": row["name"],
        "OpeningDate": row["opened_at"].date().isoformat(),
        "Account": [identifier | {"Name": row["owner"]}],
    }


def balance(row: Row, at: datetime) -> dict[str, Any]:
    return {
        "AccountId": row["id"],
        "Amount": money(row["balance_minor"], row["currency"]),
        "CreditDebitIndicator": indicator(row["balance_minor"]),
        "Type": "InterimAvailable",
        "DateTime": timestamp(at),
    }


def transaction(row: Row) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "AccountId": row["account_id"],
        "TransactionId": row["id"],
        "Amount": money(row["amount_minor"], row["currency"]),
        "CreditDebitIndicator": indicator(row["amount_minor"]),
        "Status": "Booked",
        "BookingDateTime": timestamp(row["booked_at"]),
        "TransactionInformation": row["description"],
    }
    if row["merchant"]:
        shaped["MerchantDetails"] = {
            "MerchantName": row["merchant"],
            "MerchantCategoryCode": row["merchant_category"],
        }
    return shaped


def beneficiary(row: Row) -> dict[str, Any]:
    return {
        "BeneficiaryId": row["id"],
        "Reference": row.get("reference"),
        "CreditorAccount": {
            "SchemeName": UK_ACCOUNT_SCHEME,
            "Identification": row["sort_code"] + row["account_number"],
            "Name": row["name"],
        },
    }


def international_beneficiary(row: Row) -> dict[str, Any]:
    """`Currency` (what the payee is paid in) is a sandbox extension."""
    return {
        "BeneficiaryId": row["id"],
        "Reference": row["reference"],
        "Currency": row["currency"],
        "CreditorAgent": {"SchemeName": BIC_SCHEME, "Identification": row["bic"]},
        "CreditorAccount": {
            "SchemeName": IBAN_SCHEME,
            "Identification": row["iban"],
            "Name": row["name"],
        },
    }


def creditor(scheme: str, creditor_id: str, name: str) -> dict[str, str]:
    return {"SchemeName": scheme, "Identification": creditor_id, "Name": name}


def debtor(account_id: str) -> dict[str, str]:
    return {"SchemeName": ACCOUNT_ID_SCHEME, "Identification": account_id}


def balance_after(account_id: str, minor: int, currency: str) -> dict[str, Any]:
    return {
        "AccountId": account_id,
        "Amount": money(minor, currency),
        "CreditDebitIndicator": indicator(minor),
        "Type": "InterimAvailable",
    }


def domestic_payment(
    payment: Row, creditor_name: str, shown_reference: str | None = None
) -> dict[str, Any]:
    """`shown_reference` replaces a bill's reference that is a card number (masked)."""
    data: dict[str, Any] = {
        "DomesticPaymentId": payment["id"],
        "Status": payment["status"],
        "CreationDateTime": timestamp(payment["created_at"]),
        "StatusUpdateDateTime": timestamp(payment["created_at"]),
        "Initiation": {
            "InstructedAmount": money(payment["amount_minor"], payment["currency"]),
            "DebtorAccount": debtor(payment["source_account_id"]),
            "CreditorAccount": creditor(
                payment.get("creditor_scheme") or BENEFICIARY_ID_SCHEME,
                payment["payee_id"],
                creditor_name,
            ),
            "RemittanceInformation": {"Reference": shown_reference or payment["reference"]},
        },
    }
    if payment["balance_after_minor"] is not None:
        data["Balance"] = balance_after(
            payment["source_account_id"], payment["balance_after_minor"], payment["currency"]
        )
    return {"Data": data, "Links": {}, "Meta": {}}


def _day(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _moment(value: datetime | None) -> str | None:
    return None if value is None else timestamp(value)


def card(row: Row) -> dict[str, Any]:
    """Sandbox extension (Open Banking has no card resource): a card, its state and delivery."""
    shaped: dict[str, Any] = {
        "CardId": row["id"],
        "AccountId": row["account_id"],
        "Kind": row["kind"],
        "Scheme": row["scheme"],
        "MaskedPan": "************" + row["last4"],
        "Status": row["status"],
        "ExpiryDate": row["expires_on"].strftime("%Y-%m"),
        "Delivery": None,
    }
    if row["delivery_status"] is not None:
        shaped["Delivery"] = {
            "Status": row["delivery_status"],
            "OrderedDateTime": _moment(row["ordered_at"]),
            "DispatchedDateTime": _moment(row["dispatched_at"]),
            "DeliveredDateTime": _moment(row["delivered_at"]),
            "ExpectedDeliveryDate": _day(row["expected_on"]),
        }
    return shaped


def card_action(row: Row) -> dict[str, Any]:
    return {
        "ActionId": row["id"],
        "Action": row["action"],
        "Reason": row["reason"],
        "FromStatus": row["from_status"],
        "ToStatus": row["to_status"],
        "CreationDateTime": timestamp(row["created_at"]),
    }


def pending_transaction(row: Row) -> dict[str, Any]:
    """An Open Banking transaction with Status Pending, plus `Kind` and `ExpectedBookingDate`."""
    shaped: dict[str, Any] = {
        "AccountId": row["account_id"],
        "TransactionId": row["id"],
        "Amount": money(row["amount_minor"], row["currency"]),
        "CreditDebitIndicator": "Debit",
        "Status": "Pending",
        "Kind": row["kind"],
        "TransactionDateTime": timestamp(row["created_at"]),
        "ExpectedBookingDate": row["expected_on"].isoformat(),
        "TransactionInformation": row["description"],
    }
    if row["merchant"]:
        shaped["MerchantDetails"] = {"MerchantName": row["merchant"]}
    return shaped


def top_up(row: Row) -> dict[str, Any]:
    return {
        "TopUpId": row["id"],
        "AccountId": row["account_id"],
        "Method": row["method"],
        "Source": row["source"],
        "Amount": money(row["amount_minor"], row["currency"]),
        "Status": row["status"],
        "StatusReason": row["reason"],
        "CreationDateTime": timestamp(row["created_at"]),
        "StatusUpdateDateTime": timestamp(row["updated_at"]),
    }


def fx_rate(row: Row) -> dict[str, Any]:
    return {
        "BaseCurrency": "GBP",
        "Currency": row["currency"],
        "Rate": row["rate"],
        "UpdateDateTime": timestamp(row["updated_at"]),
    }


def biller(b: Any) -> dict[str, Any]:
    """A biller of the directory (sandbox extension) with its customer-reference rule."""
    return {
        "BillerId": b.id,
        "Name": b.name,
        "Category": b.category,
        "Reference": {
            "Pattern": f"^{b.pattern}$",
            "CheckDigit": b.check_digit,
            "Description": b.rule,
            "Example": b.show(b.example),
        },
    }


def bill(row: Row) -> dict[str, Any]:
    found = BY_ID[row["biller_id"]]
    return {
        "BillId": row["id"],
        "BillerId": found.id,
        "BillerName": found.name,
        "Category": found.category,
        "Reference": found.show(row["reference"]),
        "Nickname": row["nickname"],
        "CreationDateTime": timestamp(row["created_at"]),
    }


def day_time(value: Any) -> str | None:
    """A date as Open Banking's ISODateTime at 00:00 UTC (payments run at the start of a day)."""
    return None if value is None else f"{value.isoformat()}T00:00:00+00:00"


_SCHEDULED_STATUS = {
    "pending": "InitiationPending",
    "executed": "InitiationCompleted",
    "rejected": "InitiationFailed",
    "cancelled": "Cancelled",
}


def scheduled_payment(row: Row, creditor_name: str, shown_reference: str | None) -> dict[str, Any]:
    """OBScheduledPayment, plus the payment order's Status and why it failed or was cancelled."""
    return {
        "ScheduledPaymentId": row["id"],
        "AccountId": row["source_account_id"],
        "ScheduledPaymentDateTime": day_time(row["execution_date"]),
        "ScheduledType": "Execution",
        "Reference": shown_reference or row["reference"],
        "InstructedAmount": money(row["amount_minor"], row["currency"]),
        "CreditorAccount": creditor(row["creditor_scheme"], row["creditor_id"], creditor_name),
        "Status": _SCHEDULED_STATUS[row["status"]],
        "StatusReason": row["status_reason"],
        "CreationDateTime": timestamp(row["created_at"]),
        "StatusUpdateDateTime": timestamp(row["updated_at"]),
    }


def standing_order(row: Row, creditor_name: str, shown_reference: str | None) -> dict[str, Any]:
    """OBStandingOrder; StatusReason (completed | cancelled) and PaymentsDue are extensions."""
    last = row["last_paid_minor"]
    return {
        "StandingOrderId": row["id"],
        "AccountId": row["source_account_id"],
        "Frequency": row["frequency"],
        "Reference": shown_reference or row["reference"],
        "FirstPaymentDateTime": day_time(row["first_date"]),
        "NextPaymentDateTime": day_time(row["next_date"]),
        "LastPaymentDateTime": day_time(row["last_paid_date"]),
        "FinalPaymentDateTime": day_time(row["final_date"]),
        "NumberOfPayments": row["number_of_payments"],
        "PaymentsDue": row["payments_due"],
        "StandingOrderStatusCode": "Active" if row["status"] == "active" else "Inactive",
        "StatusReason": None if row["status"] == "active" else row["status"],
        "FirstPaymentAmount": money(row["amount_minor"], row["currency"]),
        "NextPaymentAmount": (
            money(row["amount_minor"], row["currency"]) if row["next_date"] else None
        ),
        "LastPaymentAmount": None if last is None else money(last, row["currency"]),
        "CreditorAccount": creditor(row["creditor_scheme"], row["creditor_id"], creditor_name),
    }


def direct_debit(row: Row) -> dict[str, Any]:
    """OBDirectDebit; Category and the expected next collection are sandbox extensions."""
    previous = row["previous_minor"]
    day = row["day_of_month"]
    return {
        "DirectDebitId": row["id"],
        "AccountId": row["account_id"],
        "MandateIdentification": row["mandate_reference"],
        "DirectDebitStatusCode": "Active" if row["status"] == "active" else "Inactive",
        "Name": row["name"],
        "Category": row["category"],
        "Frequency": f"IntrvlMnthDay:01:{day:02d}",
        "PreviousPaymentDateTime": day_time(row["previous_date"]),
        "PreviousPaymentAmount": None if previous is None else money(previous, "GBP"),
        "NextPaymentDateTime": day_time(row["next_date"]),
        "NextPaymentAmount": money(row["amount_minor"], "GBP") if row["next_date"] else None,
    }


def foreign_money(minor: int, currency: str) -> dict[str, str]:
    return {"Amount": format_foreign(minor, currency), "Currency": currency}


def fx_quote(row: Row) -> dict[str, Any]:
    """A sandbox quote, named as Open Banking's ExchangeRateInformation where it can be."""
    return {
        "QuoteId": row["id"],
        "UnitCurrency": "GBP",
        "Currency": row["currency"],
        "ExchangeRate": row["rate"],
        "RateType": "Agreed",
        "SendAmount": money(row["send_minor"], "GBP"),
        "Fee": money(row["fee_minor"], "GBP"),
        "TotalDebit": money(row["send_minor"] + row["fee_minor"], "GBP"),
        "ReceiveAmount": foreign_money(row["receive_minor"], row["currency"]),
        "CreationDateTime": timestamp(row["created_at"]),
        "ExpirationDateTime": timestamp(row["expires_at"]),
    }


def international_payment(row: Row, quote: Row, payee: Row) -> dict[str, Any]:
    data = {
        "InternationalPaymentId": row["id"],
        "Status": "AcceptedSettlementCompleted",
        "CreationDateTime": timestamp(row["created_at"]),
        "ExchangeRateInformation": {
            "UnitCurrency": "GBP",
            "ExchangeRate": quote["rate"],
            "RateType": "Agreed",
            "ContractIdentification": quote["id"],
        },
        "Charges": [
            {
                "ChargeBearer": "BorneByDebtor",
                "Type": "Sandbox.InternationalPaymentFee",
                "Amount": money(quote["fee_minor"], "GBP"),
            }
        ],
        "Initiation": {
            "InstructedAmount": money(quote["send_minor"], "GBP"),
            "CurrencyOfTransfer": quote["currency"],
            "DebtorAccount": debtor(row["source_account_id"]),
            "CreditorAccount": creditor(BENEFICIARY_ID_SCHEME, row["payee_id"], payee["name"]),
            "RemittanceInformation": {"Reference": row["reference"]},
        },
        "ReceiveAmount": foreign_money(quote["receive_minor"], quote["currency"]),
        "Balance": balance_after(row["source_account_id"], row["balance_after_minor"], "GBP"),
    }
    return {"Data": data, "Links": {}, "Meta": {}}


def execution(row: Row) -> dict[str, Any]:
    return {
        "ExecutionId": row["id"],
        "Kind": row["kind"],
        "SourceId": row["source_id"],
        "AccountId": row["account_id"],
        "DueDate": row["due_on"].isoformat(),
        "Amount": money(row["amount_minor"], "GBP"),
        "Status": row["status"],
        "Reason": row["reason"],
        "TransactionId": row["transaction_id"],
    }


def card_statement(row: Row, paid_since: int) -> dict[str, Any]:
    """A card statement (sandbox extension): owed amounts are positive; PaidSinceStatement is
    money into the card since, and MinimumPaymentRemaining what is left of the minimum."""
    return {
        "StatementId": row["id"],
        "AccountId": row["account_id"],
        "StatementDate": row["statement_date"].isoformat(),
        "PaymentDueDate": row["due_date"].isoformat(),
        "StatementBalance": money(row["balance_minor"], "GBP"),
        "MinimumPayment": money(row["minimum_minor"], "GBP"),
        "PaidSinceStatement": money(paid_since, "GBP"),
        "MinimumPaymentRemaining": money(max(0, row["minimum_minor"] - paid_since), "GBP"),
    }
