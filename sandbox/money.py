"""Decimal strings on the wire, integer pence in the database."""

from __future__ import annotations

import re
from decimal import Decimal

from sandbox.errors import BankApiError

_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


def parse_amount(text: str) -> int:
    """'50.5' -> 5050; refuses anything that is not a positive amount with at most 2 decimals."""
    if not _AMOUNT.match(text):
        raise BankApiError(400, "invalid_amount", f"amount {text!r} is not a decimal like 50.00")
    minor = int(Decimal(text) * 100)
    if minor <= 0:
        raise BankApiError(400, "invalid_amount", "amount must be greater than zero")
    return minor


def format_minor(minor: int) -> str:
    """5050 -> '50.50' (always positive: the sign travels as CreditDebitIndicator)."""
    return f"{abs(minor) // 100}.{abs(minor) % 100:02d}"


def indicator(minor: int) -> str:
    return "Debit" if minor < 0 else "Credit"


EXPONENTS = {"JPY": 0}  # ISO 4217 minor units; every other currency the bank quotes has 2


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency, 2)


def format_foreign(minor: int, currency: str) -> str:
    """Minor units of any currency as a decimal string: 19240 JPY -> '19240'."""
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"
