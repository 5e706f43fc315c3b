"""Resource shapes modelled on UK Open Banking Read/Write (kept to the fields we use).

Sandbox extensions, documented in sandbox/README.md: account references in payments use
the scheme names `Sandbox.AccountId` and `Sandbox.BeneficiaryId`, and a completed domestic
payment carries `Data.Balance`, the debtor account's balance right after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sandbox.money import format_minor, indicator

ACCOUNT_ID_SCHEME = "Sandbox.AccountId"
BENEFICIARY_ID_SCHEME = "Sandbox.BeneficiaryId"
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
    return {
        "PartyId": row["id"],
        "Name": row["name"],
        "FirstName": row["first_name"],
        "Phone": row["phone"],
        "EmailAddress": row["email"],
    }


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
        "CreditorAccount": {
            "SchemeName": "UK.OBIE.SortCodeAccountNumber",
            "Identification": row["sort_code"] + row["account_number"],
            "Name": row["name"],
        },
    }


def domestic_payment(payment: Row, payee_name: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "DomesticPaymentId": payment["id"],
        "Status": payment["status"],
        "CreationDateTime": timestamp(payment["created_at"]),
        "StatusUpdateDateTime": timestamp(payment["created_at"]),
        "Initiation": {
            "InstructedAmount": money(payment["amount_minor"], payment["currency"]),
            "DebtorAccount": {
                "SchemeName": ACCOUNT_ID_SCHEME,
                "Identification": payment["source_account_id"],
            },
            "CreditorAccount": {
                "SchemeName": BENEFICIARY_ID_SCHEME,
                "Identification": payment["payee_id"],
                "Name": payee_name,
            },
            "RemittanceInformation": {"Reference": payment["reference"]},
        },
    }
    if payment["balance_after_minor"] is not None:
        data["Balance"] = {
            "AccountId": payment["source_account_id"],
            "Amount": money(payment["balance_after_minor"], payment["currency"]),
            "CreditDebitIndicator": indicator(payment["balance_after_minor"]),
            "Type": "InterimAvailable",
        }
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
