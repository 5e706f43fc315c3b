"""Numbers written as digits or English words ("fifty", "two hundred and five", "a tenner")."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_SLANG = {"fiver": 5, "tenner": 10, "score": 20, "pony": 25, "ton": 100, "monkey": 500}

_WORD = "|".join(sorted([*_UNITS, *_SCALES], key=len, reverse=True))
# A run of number words, optionally led by "a" ("a hundred") and joined by spaces,
# hyphens or "and" ("one hundred and five").
WORD_NUMBER = (
    rf"(?:(?:an?\s+)?(?:{_WORD})(?:(?:\s+and\s+|[\s-]+)(?:{_WORD}))*"
    rf"|(?:an?\s+)?(?:{'|'.join(_SLANG)}))"
)
# Digits or words: what "last N transactions" or "N days ago" accept.
COUNT = rf"(?:\d{{1,4}}|{WORD_NUMBER})"
MAX_COUNT = 9999  # the most four digits say; words are held to the same
_SPLIT = re.compile(r"[\s-]+")


def words_to_int(text: str) -> int:
    """Value of a WORD_NUMBER or digit match; raises ValueError on anything else."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    words = [w for w in _SPLIT.split(text) if w and w != "and"]
    if words and words[0] in {"a", "an"}:
        words[0] = "one"
    if len(words) == 2 and words[1] in _SLANG and words[0] == "one":
        return _SLANG[words[1]]
    if len(words) == 1 and words[0] in _SLANG:
        return _SLANG[words[0]]
    total = current = 0
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current = 0
        else:
            raise ValueError(f"not a number word: {word!r}")
    return total + current
