"""Payments abroad: a quote fixes the rate and fee for a few minutes, a payment takes it once.

The rate is the fx_rates table's (units of the currency per £1, margin included). The fee is
0.5% of the pounds sent, to the nearest penny, at least £1.00 and at most £20.00, and is
debited with them. Sending £S arrives as S x rate, rounded down to the currency's minor unit;
asking for R to arrive sends R / rate, rounded up to the penny (so at least R arrives). A
quote expires QUOTE_LIFETIME after it was made, by the sandbox clock, and serves one payment:
after that it is `409 quote_expired`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox import payees, shapes
from sandbox.db import fx_quotes, fx_rates, international_payments
from sandbox.errors import BankApiError
from sandbox.ledger import FEE_INCOME, INTERNATIONAL_OUT, post
from sandbox.money import exponent
from sandbox.operations import Refusal, Row, Step
from sandbox.payments import REFUSALS, refusal, source_account

QUOTE_LIFETIME = timedelta(minutes=5)
FEE_RATE = Decimal("0.005")
FEE_MIN, FEE_MAX = 100, 2_000  # pence


def parse_foreign(text: str, currency: str) -> int:
    """'100.50' EUR -> 10050; refuses more decimals than the currency has."""
    places = exponent(currency)
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal(1).scaleb(-places)):
        raise BankApiError(400, "invalid_amount", f"{text!r} is not an amount of {currency}")
    return int(value.scaleb(places))


def fee_for(send_minor: int) -> int:
    fee = int((Decimal(send_minor) * FEE_RATE).to_integral_value(ROUND_HALF_UP))
    return min(FEE_MAX, max(FEE_MIN, fee))


def receive_for(send_minor: int, rate: Decimal, currency: str) -> int:
    arrives = Decimal(send_minor) / 100 * rate
    return int(arrives.scaleb(exponent(currency)).to_integral_value(ROUND_FLOOR))


def send_for(receive_minor: int, rate: Decimal, currency: str) -> int:
    pounds = Decimal(receive_minor).scaleb(-exponent(currency)) / rate
    return int((pounds * 100).to_integral_value(ROUND_CEILING))


async def make_quote(
    step: Step, currency: str, send_minor: int | None, receive_minor: int | None
) -> dict[str, Any]:
    rate_text = await step.conn.scalar(
        select(fx_rates.c.rate).where(fx_rates.c.currency == currency)
    )
    if rate_text is None:
        raise BankApiError(
            422, "currency_not_supported", f"the bank does not pay out in {currency}"
        )
    rate = Decimal(rate_text)
    if send_minor is None:
        assert receive_minor is not None
        send_minor = send_for(receive_minor, rate, currency)
    receive_minor = receive_for(send_minor, rate, currency)
    if receive_minor <= 0:
        raise BankApiError(400, "invalid_amount", "that would arrive as nothing")
    row = {
        "id": f"QUOTE-{uuid.uuid4().hex[:12].upper()}",
        "customer_id": step.customer_id,
        "currency": currency,
        "rate": rate_text,
        "send_minor": send_minor,
        "fee_minor": fee_for(send_minor),
        "receive_minor": receive_minor,
        "created_at": step.now,
        "expires_at": step.now + QUOTE_LIFETIME,
        "used_by": None,
    }
    await step.conn.execute(fx_quotes.insert().values(**row))
    await step.audit("create", "fx_quote", row["id"], None, row)
    return shapes.fx_quote(row)


async def _quote(conn: AsyncConnection, step: Step, quote_id: str) -> Row:
    row = (
        (
            await conn.execute(
                select(fx_quotes).where(
                    fx_quotes.c.id == quote_id, fx_quotes.c.customer_id == step.customer_id
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "quote_not_found", "no such quote for this customer")
    if row["used_by"] is not None or row["expires_at"] <= step.now:
        raise BankApiError(409, "quote_expired", "this quote has expired or was already used")
    return row


async def pay_abroad(
    step: Step, quote_id: str, source_id: str, payee_id: str, reference: str
) -> dict[str, Any]:
    quote = await _quote(step.conn, step, quote_id)
    payee = await payees.payee(step.conn, step.customer_id, payee_id, "international")
    if payee["currency"] != quote["currency"]:
        raise BankApiError(
            422,
            "currency_mismatch",
            f"the quote is for {quote['currency']} but the payee is paid in {payee['currency']}",
        )
    source = await source_account(step.conn, step.customer_id, source_id, "GBP")
    total = quote["send_minor"] + quote["fee_minor"]
    why = await refusal(step.conn, step.customer, total, source["balance_minor"], True, step.now)
    if why is not None:
        raise Refusal(422, why, REFUSALS[why])
    row = {
        "id": f"IPMT-{uuid.uuid4().hex[:12].upper()}",
        "customer_id": step.customer_id,
        "quote_id": quote_id,
        "source_account_id": source_id,
        "payee_id": payee_id,
        "reference": reference,
        "transaction_id": f"txn-{uuid.uuid4().hex[:20]}",
        "balance_after_minor": source["balance_minor"] - total,
        "created_at": step.now,
    }
    await post(
        step.conn,
        transaction_id=row["transaction_id"],
        booked_at=step.now,
        description=f"INTL {payee['name'].upper()} {quote['currency']} {reference}".strip(),
        legs=[
            (source_id, -total),
            (INTERNATIONAL_OUT, quote["send_minor"]),
            (FEE_INCOME, quote["fee_minor"]),
        ],
    )
    await step.conn.execute(international_payments.insert().values(**row))
    await step.conn.execute(
        update(fx_quotes).where(fx_quotes.c.id == quote_id).values(used_by=row["id"])
    )
    await step.audit("create", "international_payment", row["id"], None, row)
    return shapes.international_payment(row, quote, payee)


async def get_international(
    conn: AsyncConnection, customer_id: str, payment_id: str
) -> dict[str, Any]:
    row = (
        (
            await conn.execute(
                select(international_payments).where(
                    international_payments.c.id == payment_id,
                    international_payments.c.customer_id == customer_id,
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "payment_not_found", "no such payment for this customer")
    quote = (
        (await conn.execute(select(fx_quotes).where(fx_quotes.c.id == row["quote_id"])))
        .mappings()
        .one()
    )
    found = await payees.find(conn, customer_id, row["payee_id"])  # deleted ones too
    assert found is not None
    return shapes.international_payment(row, quote, found[1])
