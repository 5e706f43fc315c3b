"""Card references: "my debit card" -> "debit", "card ending 1934" -> "ending:1934", and a
card number, masked before parsing, "•••• 1934" -> "ending:1934".

Kept apart from accounts: a card is what a customer freezes, replaces or reports
lost, while an account is what holds money. "credit card" alone stays an account
(`credit_card`), because customers use it for the credit account's balance.
"""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found

CARD_KINDS = {
    "debit": "debit", "bank": "debit", "virtual": "virtual", "disposable": "disposable",
    "physical": "physical", "plastic": "physical", "visa": "visa", "mastercard": "mastercard",
    "contactless": "contactless", "apple pay": "virtual", "google pay": "virtual",
}  # fmt: skip
_KIND = "|".join(re.escape(k) for k in sorted(CARD_KINDS, key=len, reverse=True))
_ENDING = re.compile(
    rf"\b(?:(?:my|the)\s+)?(?:(?:{_KIND}|credit)\s+)?card\s+(?:number\s+)?"
    r"(?:ending|ends|finishing|finishes)(?:\s+(?:in|with|on))?\s+(?P<d>\d{4})\b",
    re.IGNORECASE,
)
_NAMED = re.compile(rf"\b(?P<kind>{_KIND})\s+card\b", re.IGNORECASE)
# A card number as `bot.redact` masks it before parsing: "•••• 1111".
_MASKED_PAN = re.compile(r"•{4} (?P<d>\d{4})(?!\d)")


def find_cards(text: str) -> list[Found]:
    found = [
        Found("card", f"ending:{m.group('d')}", m.start(), m.end()) for m in _ENDING.finditer(text)
    ]
    found.extend(
        Found("card", f"ending:{m.group('d')}", m.start(), m.end())
        for m in _MASKED_PAN.finditer(text)
    )
    found.extend(
        Found("card", CARD_KINDS[" ".join(m.group("kind").lower().split())], m.start(), m.end())
        for m in _NAMED.finditer(text)
    )
    return found
