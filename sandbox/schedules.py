"""Future-dated payments, standing orders and direct debits: set up, change, cancel, list.

The bank runs each day's payments at 00:00 of that day (sandbox/execution.py, when the sandbox
clock reaches it), so the earliest date a new payment or a changed date can take is tomorrow:
today or earlier is `422 date_in_past`. A payment that could never go (more than the daily
limit on its own) is refused when it is set up, not on the day. Open-ended standing orders
paying more than £5,000 a month (weekly ones: 52 payments over 12 months) need a final date or
a number of payments: `422 final_date_required`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox import shapes
from sandbox.db import direct_debits, scheduled_payments, standing_orders
from sandbox.errors import BankApiError
from sandbox.frequency import Frequency
from sandbox.operations import Row, Step
from sandbox.payments import Creditor, creditor, source_account

OPEN_ENDED_MONTHLY_MAX = 500_000  # pence


def parse_date(text: str, field: str) -> date:
    """An ISO date, or the date part of an ISO datetime (Open Banking sends datetimes)."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise BankApiError(
            400, "invalid_request", f"{field}: {text!r} is not an ISO date"
        ) from None


def require_future(day: date, now: datetime, field: str) -> None:
    if day <= now.date():
        raise BankApiError(
            422,
            "date_in_past",
            f"{field} must be after today ({now.date().isoformat()}): today's payments have run",
        )


@dataclass(frozen=True, slots=True)
class Order:
    """What a new scheduled payment or standing order pays, from where to whom."""

    source_account_id: str
    creditor_scheme: str
    creditor_id: str
    amount_minor: int
    currency: str
    reference: str


async def _check_order(step: Step, order: Order) -> tuple[Creditor, str]:
    to = await creditor(
        step.conn,
        step.customer_id,
        order.creditor_scheme,
        order.creditor_id,
        order.source_account_id,
    )
    await source_account(step.conn, step.customer_id, order.source_account_id, order.currency)
    _check_amount(step, to, order.amount_minor)
    return to, to.reference(order.reference)


def _check_amount(step: Step, to: Creditor, amount: int) -> None:
    if to.leaves_bank and amount > step.customer["daily_limit_minor"]:
        raise BankApiError(
            422, "daily_limit_exceeded", "this is more than the customer's daily payment limit"
        )


async def _row(
    conn: AsyncConnection, table: Table, customer_id: str, row_id: str, code: str
) -> Row:
    found = (
        (
            await conn.execute(
                select(table).where(table.c.id == row_id, table.c.customer_id == customer_id)
            )
        )
        .mappings()
        .first()
    )
    if found is None:
        raise BankApiError(404, code, "no such item for this customer")
    return found


def _not_live(kind: str) -> BankApiError:
    return BankApiError(
        409, "schedule_not_active", f"this {kind} has already run, finished or been cancelled"
    )


async def _change(
    step: Step, table: Table, resource: str, row: Row, changes: dict[str, Any]
) -> Row:
    changes = changes | {"updated_at": step.now}
    await step.conn.execute(update(table).where(table.c.id == row["id"]).values(**changes))
    after = dict(row) | changes
    await step.audit(
        "amend" if changes.get("status") != "cancelled" else "cancel",
        resource,
        row["id"],
        row,
        after,
    )
    return after


# Scheduled (one-off, future-dated) payments ------------------------------------------------


async def schedule_payment(step: Step, order: Order, on: date) -> dict[str, Any]:
    require_future(on, step.now, "RequestedExecutionDateTime")
    to, reference = await _check_order(step, order)
    row = {
        "id": f"SP-{uuid.uuid4().hex[:12].upper()}",
        "customer_id": step.customer_id,
        "source_account_id": order.source_account_id,
        "creditor_scheme": order.creditor_scheme,
        "creditor_id": order.creditor_id,
        "amount_minor": order.amount_minor,
        "currency": order.currency,
        "reference": reference,
        "execution_date": on,
        "status": "pending",
        "status_reason": None,
        "created_at": step.now,
        "updated_at": step.now,
    }
    await step.conn.execute(scheduled_payments.insert().values(**row))
    await step.audit("create", "scheduled_payment", row["id"], None, row)
    return shapes.scheduled_payment(row, to.name, to.shown_reference)


async def amend_payment(step: Step, payment_id: str, amount: int | None, on: date | None) -> Row:
    row = await _row(
        step.conn, scheduled_payments, step.customer_id, payment_id, "scheduled_payment_not_found"
    )
    if row["status"] != "pending":
        raise _not_live("scheduled payment")
    changes: dict[str, Any] = {}
    if on is not None:
        require_future(on, step.now, "RequestedExecutionDateTime")
        changes["execution_date"] = on
    if amount is not None:
        to = await creditor(
            step.conn,
            step.customer_id,
            row["creditor_scheme"],
            row["creditor_id"],
            row["source_account_id"],
        )
        _check_amount(step, to, amount)
        changes["amount_minor"] = amount
    return await _change(step, scheduled_payments, "scheduled_payment", row, changes)


async def cancel_payment(step: Step, payment_id: str) -> Row:
    row = await _row(
        step.conn, scheduled_payments, step.customer_id, payment_id, "scheduled_payment_not_found"
    )
    if row["status"] != "pending":
        raise _not_live("scheduled payment")
    return await _change(
        step,
        scheduled_payments,
        "scheduled_payment",
        row,
        {"status": "cancelled", "status_reason": "cancelled_by_customer"},
    )


# Standing orders ----------------------------------------------------------------------------


def _check_open_ended(
    frequency: Frequency, amount: int, final: date | None, count: int | None
) -> None:
    if final is None and count is None and frequency.per_month(amount) > OPEN_ENDED_MONTHLY_MAX:
        raise BankApiError(
            422,
            "final_date_required",
            "an open-ended standing order of more than £5,000 a month needs a "
            "FinalPaymentDateTime or NumberOfPayments",
        )


async def create_standing_order(
    step: Step,
    order: Order,
    frequency_code: str,
    first: date,
    final: date | None,
    count: int | None,
) -> dict[str, Any]:
    frequency = Frequency.parse(frequency_code)
    require_future(first, step.now, "FirstPaymentDateTime")
    if not frequency.falls_on(first):
        raise BankApiError(
            422, "frequency_mismatch", "FirstPaymentDateTime must fall on the Frequency's day"
        )
    if final is not None and final < first:
        raise BankApiError(
            422, "final_date_before_first", "FinalPaymentDateTime is before the first payment"
        )
    _check_open_ended(frequency, order.amount_minor, final, count)
    to, reference = await _check_order(step, order)
    row = {
        "id": f"SO-{uuid.uuid4().hex[:12].upper()}",
        "customer_id": step.customer_id,
        "source_account_id": order.source_account_id,
        "creditor_scheme": order.creditor_scheme,
        "creditor_id": order.creditor_id,
        "amount_minor": order.amount_minor,
        "currency": order.currency,
        "reference": reference,
        "frequency": frequency.code(),
        "first_date": first,
        "next_date": first,
        "final_date": final,
        "number_of_payments": count,
        "payments_due": 0,
        "last_paid_date": None,
        "last_paid_minor": None,
        "status": "active",
        "created_at": step.now,
        "updated_at": step.now,
    }
    await step.conn.execute(standing_orders.insert().values(**row))
    await step.audit("create", "standing_order", row["id"], None, row)
    return shapes.standing_order(row, to.name, to.shown_reference)


async def amend_standing_order(
    step: Step, order_id: str, amount: int | None, on: date | None
) -> Row:
    """A new amount is for the next payment and every one after; a new date moves the order's
    day to that weekday or day of the month from then on."""
    row = await _row(
        step.conn, standing_orders, step.customer_id, order_id, "standing_order_not_found"
    )
    if row["status"] != "active":
        raise _not_live("standing order")
    changes: dict[str, Any] = {}
    frequency = Frequency.parse(row["frequency"])
    if on is not None:
        require_future(on, step.now, "NextPaymentDateTime")
        if row["final_date"] is not None and on > row["final_date"]:
            raise BankApiError(
                422, "date_after_final_date", "NextPaymentDateTime is after the final payment"
            )
        frequency = Frequency.like(frequency, on)
        changes |= {"next_date": on, "frequency": frequency.code()}
    if amount is not None:
        to = await creditor(
            step.conn,
            step.customer_id,
            row["creditor_scheme"],
            row["creditor_id"],
            row["source_account_id"],
        )
        _check_amount(step, to, amount)
        _check_open_ended(frequency, amount, row["final_date"], row["number_of_payments"])
        changes["amount_minor"] = amount
    return await _change(step, standing_orders, "standing_order", row, changes)


async def cancel_standing_order(step: Step, order_id: str) -> Row:
    row = await _row(
        step.conn, standing_orders, step.customer_id, order_id, "standing_order_not_found"
    )
    if row["status"] != "active":
        raise _not_live("standing order")
    return await _change(
        step, standing_orders, "standing_order", row, {"status": "cancelled", "next_date": None}
    )


# Direct debits ------------------------------------------------------------------------------


async def cancel_direct_debit(step: Step, mandate_id: str) -> Row:
    row = await _row(
        step.conn, direct_debits, step.customer_id, mandate_id, "direct_debit_not_found"
    )
    if row["status"] != "active":
        raise _not_live("direct debit")
    return await _change(
        step, direct_debits, "direct_debit", row, {"status": "cancelled", "next_date": None}
    )
