"""Saved payees: UK ones (sort code and account number) and ones abroad (IBAN and BIC).

Ids never change and are never reused: deleting a payee marks it deleted, so past payments
still name it, but it takes no new payments (`422 payee_deleted`) and drops out of the list.
Deleting a payee also cancels its pending scheduled payments and active standing orders.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox import shapes
from sandbox.db import fx_rates, international_payees, payees, scheduled_payments, standing_orders
from sandbox.errors import BankApiError
from sandbox.modulus import is_valid
from sandbox.operations import Row, Step

_UK_ACCOUNT = re.compile(r"^(\d{6})(\d{8})$")


def new_payee_id() -> str:
    return f"payee-{uuid.uuid4().hex[:12]}"


async def find(conn: AsyncConnection, customer_id: str, payee_id: str) -> tuple[str, Row] | None:
    for kind, table in (("domestic", payees), ("international", international_payees)):
        row = (
            (
                await conn.execute(
                    select(table).where(table.c.id == payee_id, table.c.customer_id == customer_id)
                )
            )
            .mappings()
            .first()
        )
        if row is not None:
            return kind, row
    return None


async def payee(conn: AsyncConnection, customer_id: str, payee_id: str, kind: str) -> Row:
    """A live payee of this customer of the given kind (domestic | international), or a refusal."""
    found = await find(conn, customer_id, payee_id)
    if found is None:
        raise BankApiError(404, "payee_not_found", "no such payee for this customer")
    found_kind, row = found
    if row["deleted_at"] is not None:
        raise BankApiError(422, "payee_deleted", "this payee was deleted")
    if found_kind != kind:
        if kind == "domestic":
            raise BankApiError(
                422, "payee_not_domestic", "this payee is abroad: use international-payments"
            )
        raise BankApiError(
            422, "payee_not_international", "this payee is in the UK: use domestic-payments"
        )
    return row


async def any_payee_name(conn: AsyncConnection, customer_id: str, payee_id: str) -> str:
    """The name of a payee, deleted or not (for showing past payments)."""
    found = await find(conn, customer_id, payee_id)
    return found[1]["name"] if found else payee_id


async def list_all(
    conn: AsyncConnection, customer_id: str, kind: str | None
) -> list[dict[str, Any]]:
    """Live payees, UK ones first, each by name."""
    shaped: list[dict[str, Any]] = []
    for table_kind, table, shape in (
        ("domestic", payees, shapes.beneficiary),
        ("international", international_payees, shapes.international_beneficiary),
    ):
        if kind not in (None, table_kind):
            continue
        rows = await conn.execute(
            select(table)
            .where(table.c.customer_id == customer_id, table.c.deleted_at.is_(None))
            .order_by(table.c.name, table.c.id)
        )
        shaped += [shape(r) for r in rows.mappings()]
    return shaped


def uk_account(identification: str) -> tuple[str, str]:
    """'20041531926819' (spaces and hyphens allowed) -> ('200415', '31926819'), checked."""
    match = _UK_ACCOUNT.match(re.sub(r"[\s-]", "", identification))
    if match is None:
        raise BankApiError(
            422,
            "invalid_account_identification",
            "Identification must be a 6-digit sort code followed by an 8-digit account number",
        )
    sort_code, number = match.groups()
    if not is_valid(sort_code, number):
        raise BankApiError(
            422,
            "modulus_check_failed",
            "this account number cannot exist at that sort code (modulus check)",
        )
    return sort_code, number


async def create_domestic(step: Step, name: str, identification: str, reference: str | None) -> Row:
    sort_code, number = uk_account(identification)
    taken = await step.conn.scalar(
        select(payees.c.id).where(
            payees.c.customer_id == step.customer_id,
            payees.c.sort_code == sort_code,
            payees.c.account_number == number,
            payees.c.deleted_at.is_(None),
        )
    )
    if taken is not None:
        raise BankApiError(409, "payee_exists", f"this account is already saved as {taken}")
    row = {
        "id": new_payee_id(),
        "customer_id": step.customer_id,
        "name": name,
        "sort_code": sort_code,
        "account_number": number,
        "reference": reference,
        "deleted_at": None,
    }
    await step.conn.execute(payees.insert().values(**row))
    await step.audit("create", "payee", row["id"], None, row)
    return row


def _iban_and_bic(iban_text: str, bic_text: str) -> tuple[str, str]:
    try:
        iban = IBAN(iban_text)
    except SchwiftyException as error:
        raise BankApiError(422, "invalid_iban", f"not a valid IBAN: {error}") from None
    try:
        bic = BIC(bic_text)
    except SchwiftyException as error:
        raise BankApiError(422, "invalid_bic", f"not a valid BIC: {error}") from None
    if bic.country_code != iban.country_code:
        raise BankApiError(
            422,
            "bic_country_mismatch",
            f"the BIC is for {bic.country_code} but the IBAN is in {iban.country_code}",
        )
    return iban.compact, bic.compact


async def create_international(
    step: Step, name: str, iban_text: str, bic_text: str, currency: str, reference: str | None
) -> Row:
    iban, bic = _iban_and_bic(iban_text, bic_text)
    quoted = await step.conn.scalar(
        select(fx_rates.c.currency).where(fx_rates.c.currency == currency)
    )
    if quoted is None:
        raise BankApiError(
            422, "currency_not_supported", f"the bank does not pay out in {currency}"
        )
    taken = await step.conn.scalar(
        select(international_payees.c.id).where(
            international_payees.c.customer_id == step.customer_id,
            international_payees.c.iban == iban,
            international_payees.c.deleted_at.is_(None),
        )
    )
    if taken is not None:
        raise BankApiError(409, "payee_exists", f"this IBAN is already saved as {taken}")
    row = {
        "id": new_payee_id(),
        "customer_id": step.customer_id,
        "name": name,
        "iban": iban,
        "bic": bic,
        "currency": currency,
        "reference": reference,
        "created_at": step.now,
        "deleted_at": None,
    }
    await step.conn.execute(international_payees.insert().values(**row))
    await step.audit("create", "payee", row["id"], None, row)
    return row


async def _cancel_schedules_to(step: Step, payee_id: str) -> list[str]:
    """Pending scheduled payments and active standing orders to the payee: cancelled, audited."""
    cancelled = []
    for resource, table, live in (
        ("scheduled_payment", scheduled_payments, "pending"),
        ("standing_order", standing_orders, "active"),
    ):
        rows = await step.conn.execute(
            select(table).where(
                table.c.customer_id == step.customer_id,
                table.c.creditor_scheme == shapes.BENEFICIARY_ID_SCHEME,
                table.c.creditor_id == payee_id,
                table.c.status == live,
            )
        )
        for row in rows.mappings().all():
            changes: dict[str, Any] = {"status": "cancelled", "updated_at": step.now}
            if table is standing_orders:
                changes["next_date"] = None
            else:
                changes["status_reason"] = "payee_deleted"
            await step.conn.execute(update(table).where(table.c.id == row["id"]).values(**changes))
            await step.audit("cancel", resource, row["id"], row, dict(row) | changes)
            cancelled.append(row["id"])
    return cancelled


async def delete(step: Step, payee_id: str) -> tuple[str, Mapping[str, Any], list[str]]:
    """Mark the payee deleted; returns its kind, the row as deleted and what was cancelled."""
    found = await find(step.conn, step.customer_id, payee_id)
    if found is None or found[1]["deleted_at"] is not None:
        raise BankApiError(404, "payee_not_found", "no such payee for this customer")
    kind, row = found
    table = payees if kind == "domestic" else international_payees
    await step.conn.execute(update(table).where(table.c.id == payee_id).values(deleted_at=step.now))
    after = dict(row) | {"deleted_at": step.now}
    await step.audit("delete", "payee", payee_id, row, after)
    return kind, after, await _cancel_schedules_to(step, payee_id)
