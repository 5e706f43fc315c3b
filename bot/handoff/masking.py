"""The customer's profile as an agent sees it: enough to recognise them, not to copy it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.bank import Account, Customer


def mask_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return "•••• ••• " + "".join(digits[-3:]) if len(digits) > 3 else "••••"


def mask_email(email: str) -> str:
    local, at, domain = email.partition("@")
    if not at:
        return "••••"
    return f"{local[:1]}•••@{domain}"


def masked_profile(customer: Customer, accounts: Sequence[Account]) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "name": customer.name,
        "phone": mask_phone(customer.phone),
        "email": mask_email(customer.email),
        "accounts": [f"{a.name} ••{a.last4}" for a in accounts],
    }
