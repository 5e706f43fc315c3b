"""Check digits used by billers' customer references (see the biller directory in bills.py)."""

from __future__ import annotations


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10), as on card numbers: double every second digit from the right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def mod11_ok(digits: str) -> bool:
    """The last digit is (11 - weighted sum mod 11) mod 11, weights 8, 7, ... 2 from the left
    over the first seven; a remainder that would need the check digit 10 is never issued."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * w for d, w in zip(body, range(len(body) + 1, 1, -1), strict=True))
    expected = (11 - total % 11) % 11
    return expected != 10 and expected == check
