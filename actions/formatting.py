"""How money, accounts and dates read in replies: "£1,234.50", "Current account ••4821"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.bank import Account

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(amount: Decimal, currency: str = "GBP") -> str:
    """-12.5 GBP -> "-£12.50"; unknown currencies keep their code: "CHF 3.00"."""
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency} {digits}"


def account_label(account: Account) -> str:
    return f"{account.name} ••{account.last4}"


def day(value: date) -> str:
    """17 Nov 2026 (no platform-specific strftime flags)."""
    return f"{value.day} {value:%b %Y}"
