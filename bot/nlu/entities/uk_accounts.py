"""UK bank details typed in a message: a sort code ("20-00-00") and an account number.

A sort code is taken in its usual written forms (pairs joined by hyphens or spaces), or as six
bare digits right after the words "sort code"; an account number is eight digits. Six bare
digits anywhere else are more likely an amount or a one-time code, so they are left alone.
"""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found

_SORT_CODE = re.compile(
    r"(?<![\d-])(?P<a>\d{2})(?P<sep>[-\s])(?P<b>\d{2})(?P=sep)(?P<c>\d{2})(?![\d-])"
    r"|(?<=sort code)[\s:is]*(?P<bare>\d{6})(?!\d)",
    re.IGNORECASE,
)
_ACCOUNT_NUMBER = re.compile(r"(?<![\d-])\d{8}(?![\d-])")


def find_uk_accounts(text: str) -> list[Found]:
    found = []
    for m in _SORT_CODE.finditer(text):
        if m.group("bare"):
            found.append(Found("sort_code", m.group("bare"), m.start("bare"), m.end("bare")))
        else:
            value = m.group("a") + m.group("b") + m.group("c")
            found.append(Found("sort_code", value, m.start(), m.end()))
    found += [
        Found("account_number", m.group(), m.start(), m.end())
        for m in _ACCOUNT_NUMBER.finditer(text)
    ]
    return found
