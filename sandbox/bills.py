"""The biller directory and customers' saved bills.

Each biller says what its customer references look like (a pattern and, for some, a check
digit: see checkdigits.py) so a mistyped reference is refused when the bill is saved, not
when the biller cannot match the payment weeks later. A card issuer's reference is a card
number: it is stored because the issuer needs it, and only ever shown masked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.checkdigits import luhn_ok, mod11_ok
from sandbox.db import bills
from sandbox.errors import BankApiError
from sandbox.operations import Row, Step

CHECKS: dict[str, Callable[[str], bool]] = {"luhn": luhn_ok, "mod11": mod11_ok}


@dataclass(frozen=True, slots=True)
class Biller:
    id: str
    name: str
    category: str  # energy | water | council_tax | mobile | broadband | card_issuer
    pattern: str  # the whole reference must match (after removing spaces)
    rule: str  # the rule in words, for people and the README
    example: str
    check_digit: str | None = None  # luhn | mod11
    masked: bool = False  # a card number: shown as ************1234

    def valid(self, reference: str) -> bool:
        if re.fullmatch(self.pattern, reference) is None:
            return False
        return self.check_digit is None or CHECKS[self.check_digit](reference)

    def show(self, reference: str) -> str:
        return "*" * (len(reference) - 4) + reference[-4:] if self.masked else reference


BILLERS = (
    Biller(
        "biller-octopus-energy",
        "Octopus Energy",
        "energy",
        r"A-[0-9A-F]{8}",
        "A- then 8 hexadecimal characters",
        "A-7F3C9E21",
    ),
    Biller(
        "biller-british-gas",
        "British Gas",
        "energy",
        r"8\d{11}",
        "12 digits starting 8; the last is a Luhn check digit",
        "850034129377",
        check_digit="luhn",
    ),
    Biller(
        "biller-thames-water",
        "Thames Water",
        "water",
        r"\d{12}",
        "12 digits",
        "900412558301",
    ),
    Biller(
        "biller-lambeth-council",
        "Lambeth Council Tax",
        "council_tax",
        r"5\d{7}",
        "8 digits starting 5; the last is a mod-11 check digit (weights 8 to 2)",
        "50412787",
        check_digit="mod11",
    ),
    Biller("biller-ee", "EE", "mobile", r"\d{9}", "9 digits", "402118876"),
    Biller(
        "biller-bt",
        "BT Broadband",
        "broadband",
        r"[A-Z]{2}\d{8}",
        "2 capital letters then 8 digits",
        "GP31224580",
    ),
    Biller(
        "biller-barclaycard",
        "Barclaycard",
        "card_issuer",
        r"[45]\d{15}",
        "the 16-digit card number (starts 4 or 5); the last is a Luhn check digit",
        "4929123456789015",
        check_digit="luhn",
        masked=True,
    ),
    Biller(
        "biller-amex",
        "American Express",
        "card_issuer",
        r"3[47]\d{13}",
        "the 15-digit card number (starts 34 or 37); the last is a Luhn check digit",
        "378282246310005",
        check_digit="luhn",
        masked=True,
    ),
)
BY_ID = {b.id: b for b in BILLERS}
# The ISO 18245 code a payment to a biller of each kind is booked with (a card issuer's is a
# repayment of a card at another bank: no merchant category, so no spending category).
MERCHANT_CATEGORIES = {
    "energy": "4900",
    "water": "4900",
    "council_tax": "9311",
    "mobile": "4814",
    "broadband": "4814",
}


def biller(biller_id: str) -> Biller:
    if biller_id not in BY_ID:
        raise BankApiError(404, "biller_not_found", "no such biller in the directory")
    return BY_ID[biller_id]


def normalise(reference: str) -> str:
    return re.sub(r"\s", "", reference).upper()


async def saved_bill(conn: AsyncConnection, customer_id: str, bill_id: str) -> Row:
    row = (
        (
            await conn.execute(
                select(bills).where(bills.c.id == bill_id, bills.c.customer_id == customer_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "bill_not_found", "no such saved bill for this customer")
    return row


async def list_bills(conn: AsyncConnection, customer_id: str) -> list[Row]:
    rows = await conn.execute(
        select(bills)
        .where(bills.c.customer_id == customer_id)
        .order_by(bills.c.created_at, bills.c.id)
    )
    return list(rows.mappings())


async def add_bill(
    step: Step, biller_id: str, reference: str, nickname: str | None
) -> dict[str, Any]:
    found = biller(biller_id)
    reference = normalise(reference)
    if not found.valid(reference):
        raise BankApiError(422, "invalid_reference", f"a {found.name} reference is {found.rule}")
    taken = await step.conn.scalar(
        select(bills.c.id).where(
            bills.c.customer_id == step.customer_id,
            bills.c.biller_id == biller_id,
            bills.c.reference == reference,
        )
    )
    if taken is not None:
        raise BankApiError(409, "bill_exists", f"this bill is already saved as {taken}")
    row = {
        "id": f"bill-{uuid.uuid4().hex[:12]}",
        "customer_id": step.customer_id,
        "biller_id": biller_id,
        "reference": reference,
        "nickname": nickname,
        "created_at": step.now,
    }
    await step.conn.execute(bills.insert().values(**row))
    await step.audit("create", "bill", row["id"], None, row | {"reference": found.show(reference)})
    return row
