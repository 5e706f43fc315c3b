"""How long a fixed-term deposit is for: "12-month", "six months", "a year", "2yr".

Entity `deposit_term`, its value the number of months as a string ("12"). Rules, not
training data: the ways to say a term are few, and the flow's validator checks the value
against the bank's rate table (an unknown term is answered with the terms there are).
"""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found

_WORDS = {
    "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "nine": 9, "twelve": 12, "eighteen": 18, "twenty four": 24, "twenty-four": 24,
    "thirty six": 36, "thirty-six": 36,
}  # fmt: skip
_WORD_COUNT = "|".join(
    sorted((w for w in _WORDS if " " not in w and "-" not in w), key=len, reverse=True)
)
# Digits take any unit, short ones too ("3m", "2yr"); a number word takes a whole unit word,
# apart ("six months", "a year"), so "any" and "am" are never terms.
_TERM = re.compile(
    r"\b(?:(?P<n>\d{1,3})\s*-?\s*(?:(?P<months>months?|mnths?|mths?|mos?|m)"
    r"|(?P<years>years?|yrs?|y))"
    rf"|(?P<w>twenty[\s-]four|thirty[\s-]six|{_WORD_COUNT})[\s-]+"
    r"(?:(?P<wmonths>months?|mnths?|mths?)|(?P<wyears>years?|yrs?)))\b",
    re.IGNORECASE,
)
_HALF = re.compile(r"\bhalf\s+(?:a\s+)?year\b", re.IGNORECASE)


def _count(text: str) -> int | None:
    said = " ".join(text.lower().replace("-", " ").split())
    if said.isdigit():
        return int(said)
    return _WORDS.get(said)


def find_deposit_terms(text: str) -> list[Found]:
    found = [Found("deposit_term", "6", m.start(), m.end()) for m in _HALF.finditer(text)]
    for m in _TERM.finditer(text):
        if any(f.overlaps(m.start(), m.end()) for f in found):
            continue
        count = _count(m.group("n") or m.group("w"))
        if not count:
            continue
        years = m.group("years") or m.group("wyears")
        if (m.group("w") or "").lower() in ("a", "an") and not years:
            continue  # "a month" is not a deposit's term
        months = count * 12 if years else count
        if months <= 120:
            found.append(Found("deposit_term", str(months), m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)
