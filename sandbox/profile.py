"""The customer's profile as the bank keeps it: contact details (the `customers` row), the
postal address (`postal_addresses`, shared with card delivery) and marketing preferences.

Every change runs inside an idempotent operation (`sandbox.operations.run`) with an audit row
holding the value before and after. The bank checks what it is given on its own (an email's
form, an E.164 number, a UK postcode) and refuses a change to the value it already holds
(`contact_unchanged`), so a client that forgot to check changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, String, Table, select, update

from sandbox.card_tables import postal_addresses
from sandbox.db import customers, metadata
from sandbox.errors import BankApiError
from sandbox.operations import Row, Step

marketing_preferences = Table(
    "marketing_preferences",
    metadata,
    Column("customer_id", String(32), ForeignKey("customers.id"), primary_key=True),
    Column("email", Boolean, nullable=False),
    Column("sms", Boolean, nullable=False),
    Column("post", Boolean, nullable=False),
    Column("updated_at", DateTime, nullable=True),  # NULL: as the bank set it up
)
CHANNELS = ("email", "sms", "post")
DEFAULT = {"email": False, "sms": False, "post": False}  # no marketing without a yes

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# The UK postcode's shape (outward code, a space, inward code), as Royal Mail writes them.
POSTCODE = re.compile(
    r"^(?:GIR 0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRV-Y\d]?)"
    r" \d[ABD-HJLNP-UW-Z]{2})$"
)


def check_contact(field: str, value: str) -> str:
    value = value.strip()
    if field == "email" and (len(value) > 254 or not _EMAIL.match(value)):
        raise BankApiError(400, "invalid_email", "EmailAddress is not an email address")
    if field == "phone" and not _E164.match(value):
        raise BankApiError(400, "invalid_phone", "Phone must be in E.164 form, e.g. +447700900123")
    return value


def check_address(lines: list[str], town: str, post_code: str, country: str) -> dict[str, str]:
    lines = [" ".join(line.split()) for line in lines if line.strip()]
    if not lines or len(lines) > 3 or any(len(line) > 70 for line in lines):
        raise BankApiError(400, "invalid_address", "AddressLine: 1 to 3 lines of up to 70")
    if not town.strip() or len(town) > 60:
        raise BankApiError(400, "invalid_address", "TownName is required")
    if country != "GB":
        raise BankApiError(400, "address_not_uk", "the bank posts to UK addresses only")
    code = " ".join(post_code.upper().split())
    if not POSTCODE.match(code):
        raise BankApiError(400, "invalid_postcode", "PostCode is not a UK postcode")
    return {
        "address_line": ", ".join(lines)[:140],
        "town": " ".join(town.split()),
        "post_code": code,
        "country": country,
    }


async def change_contact(step: Step, field: str, value: str) -> tuple[str, str]:
    """(previous, current); audited as `customer.contact.change`."""
    column = customers.c[field]
    previous = str(step.customer[field])
    same = previous.lower() == value.lower() if field == "email" else previous == value
    if same:
        raise BankApiError(409, "contact_unchanged", f"the bank already holds this {field}")
    await step.conn.execute(
        update(customers).where(customers.c.id == step.customer_id).values({column: value})
    )
    await step.audit(
        "customer.contact.change",
        "customer",
        step.customer_id,
        {field: previous},
        {field: value},
    )
    return previous, value


async def address_of(step_or_conn: Any, customer_id: str) -> Row | None:
    conn = getattr(step_or_conn, "conn", step_or_conn)
    query = select(postal_addresses).where(postal_addresses.c.customer_id == customer_id)
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def change_address(step: Step, values: Mapping[str, str]) -> tuple[Row | None, Row]:
    before = await address_of(step, step.customer_id)
    after = {"customer_id": step.customer_id, **values}
    if before is not None and all(before[k] == after[k] for k in values):
        raise BankApiError(409, "contact_unchanged", "the bank already holds this address")
    if before is None:
        await step.conn.execute(postal_addresses.insert().values(after))
    else:
        await step.conn.execute(
            update(postal_addresses)
            .where(postal_addresses.c.customer_id == step.customer_id)
            .values(dict(values))
        )
    await step.audit("customer.address.change", "postal_address", step.customer_id, before, after)
    return before, after


async def preferences_of(conn: Any, customer_id: str) -> dict[str, bool]:
    conn = getattr(conn, "conn", conn)
    query = select(marketing_preferences).where(marketing_preferences.c.customer_id == customer_id)
    row = (await conn.execute(query)).mappings().first()
    return {c: bool(row[c]) for c in CHANNELS} if row else dict(DEFAULT)


async def set_preferences(step: Step, changes: Mapping[str, bool]) -> dict[str, bool]:
    """Changing a preference to what it is already is no error: it is said as it stands."""
    before = await preferences_of(step, step.customer_id)
    after = {**before, **changes}
    exists = await step.conn.scalar(
        select(marketing_preferences.c.customer_id).where(
            marketing_preferences.c.customer_id == step.customer_id
        )
    )
    values = {**after, "updated_at": step.now}
    if exists is None:
        await step.conn.execute(
            marketing_preferences.insert().values(customer_id=step.customer_id, **values)
        )
    else:
        await step.conn.execute(
            update(marketing_preferences)
            .where(marketing_preferences.c.customer_id == step.customer_id)
            .values(values)
        )
    await step.audit(
        "customer.marketing.change", "marketing_preferences", step.customer_id, before, after
    )
    return after
