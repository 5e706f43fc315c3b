"""Masking applied before anything a customer typed is stored or logged."""

from __future__ import annotations

import re

# 13-19 digits, optionally grouped by spaces or dashes: the shape of a card number (PAN).
_PAN_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_DIGIT = re.compile(r"\d")
# A message that is nothing but a short number may be a one-time code (even a used one).
_CODE_LIKE = re.compile(r"\s*\d(?:[ -]?\d){3,7}\s*")
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


def may_be_code(text: str, code_expected: bool) -> bool:
    """True while a code is awaited, or when the whole message looks like one."""
    return code_expected or _CODE_LIKE.fullmatch(text) is not None


def redact(text: str, secret: bool) -> str:
    """`secret`: the message may hold a one-time code, so no digit of it is kept."""
    return mask_digits(text) if secret else mask_card_numbers(text)
