"""Masking applied before anything a customer typed is stored or logged."""

from __future__ import annotations

import re

# 13-19 digits, optionally grouped by spaces or dashes: the shape of a card number (PAN).
_PAN_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_DIGIT = re.compile(r"\d")
MASK = "•"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_pan(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if not _luhn_ok(digits):
        return match.group()
    return MASK * 4 + " " + digits[-4:]


def mask_card_numbers(text: str) -> str:
    """Replace anything that is a valid card number with its last four digits."""
    return _PAN_CANDIDATE.sub(_mask_pan, text)


def mask_digits(text: str) -> str:
    """Hide every digit: used for what a customer types while a one-time code is awaited."""
    return _DIGIT.sub(MASK, text)


def redact(text: str, secret_expected: bool) -> str:
    return mask_digits(text) if secret_expected else mask_card_numbers(text)
