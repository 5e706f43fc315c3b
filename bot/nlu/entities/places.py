"""Where a customer wants a branch or cash machine, which kind, and what it must offer.

Read only in a message about one (an ATM, a cash machine, a branch, "nearest bank"), so
"money in Leeds Building Society" or "pay in cash" elsewhere is never a place: `place_kind`
(atm, branch), `place_near` (the town or postcode as typed: "Leeds", "M1 1AE"; the bank's
gazetteer decides whether it is one), and the filters `place_deposits`, `place_open_now` and
`place_accessible` (value "yes"). "Near me" and "around here" name no place: the flow asks
for a shared location instead.
"""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found

_ATM = (
    r"atms?|a\.t\.m\.?|cash\s*(?:machines?|points?|dispensers?)|cashpoints?|cashmachines?"
    r"|hole[-\s]in[-\s]the[-\s]wall|free\s+cash|cash\s+withdrawal\s+machines?"
)
_BRANCH = (
    r"branch(?:es)?|bank\s+branch(?:es)?|branchs|(?:nearest|closest|local|nearby)\s+bank"
    r"|banks?\s+(?=near|in\b|around|close)"
)
SHORT_FILTER_WORDS = 6  # without a word for an ATM or branch, only a short message is a filter
_CONTEXT = re.compile(rf"\b(?:(?P<atm>{_ATM})|(?P<branch>{_BRANCH}))", re.IGNORECASE)
_POSTCODE = re.compile(r"(?<![\w-])([A-Z]{1,2}\d[A-Z\d]?(?:\s*\d[A-Z]{2})?)(?![\w-])", re.I)
_BEFORE_PLACE = re.compile(
    r"\b(?:near(?:\s+to)?|nearest\s+to|closest\s+to|close\s+to|around|in|at|by|round|(?:bank|branch|machine|atm|cashpoint|point)s?\s+to)\s+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
# A place's name ends before these; a phrase that starts with one names no place.
_STOP_WORDS = """that which who with open opened takes take taking accepts accepting accept where
    please pls and or today now tonight right is are can could to i has have accessible
    wheelchair on at near in for deposit deposits cash cheque cheques the a an this these
    it its me here my mine our your you us we there town area moment minute person general
    morning afternoon evening weekend work home office hotel station city centre center
    what how when why any some one ones machine machines atm atm's atms branch branches
    bank banks step level disabled still currently please thanks thank if do does find get use
    take withdraw pay go see speak talk make check know least most all every night"""
_STOP = frozenset(_STOP_WORDS.split())
_KEEP_INSIDE = frozenset({"upon", "on", "city", "centre", "center"})
_DEPOSITS = re.compile(
    r"\b(?:deposit(?:s|ing)?|pay(?:ing|s)?\s+(?:(?:some\s+)?(?:cash|money|notes|coins|a\s+cheque|"
    r"cheques?)\s+)?in(?:to)?\b|paying[-\s]in|cheques?|lodge\s+(?:cash|money))",
    re.IGNORECASE,
)
_OPEN_NOW = re.compile(
    r"\b(?:open(?:ed)?(?:\s+(?:now|right\s+now|today|at\s+the\s+moment|currently|still|late|"
    r"this\s+(?:evening|afternoon|morning)))?|still\s+open|currently\s+open|not\s+closed)\b",
    re.IGNORECASE,
)
_ACCESSIBLE = re.compile(
    r"\b(?:accessible|accessibility|wheel\s*chairs?(?:\s+access(?:ible)?)?|step[-\s]free|"
    r"disabled\s+access|level\s+access|no\s+steps|ramp)\b",
    re.IGNORECASE,
)


def _place_after(text: str, start: int) -> Found | None:
    """The words of a place name from `start`: up to four, not starting with a stop word."""
    words: list[re.Match[str]] = []
    position = start
    while len(words) < 4:
        match = _WORD.match(text, position)
        if match is None:
            break
        word = match.group(0).lower().strip("'’-")
        if (word in _STOP or (not words and word.endswith("ing"))) and not (
            words and word in _KEEP_INSIDE
        ):
            break
        words.append(match)
        gap = re.match(r"[ \t]+", text[match.end() :])
        position = match.end() + (gap.end() if gap else 0)
        if gap is None:
            break
    while words and words[-1].group(0).lower() in _KEEP_INSIDE and len(words) > 1:
        words.pop()
    if not words:
        return None
    begin, end = words[0].start(), words[-1].end()
    return Found("place_near", text[begin:end], begin, end)


def find_place_terms(text: str) -> list[Found]:
    kinds = list(_CONTEXT.finditer(text))
    if not kinds:  # "one that takes deposits" after the finder's answer or question
        return _filters(text) if len(text.split()) <= SHORT_FILTER_WORDS else []
    first = kinds[0]
    found = [Found("place_kind", first.lastgroup or "atm", first.start(), first.end())]
    for match in _POSTCODE.finditer(text):
        if any(c.isdigit() for c in match.group(1)) and any(c.isalpha() for c in match.group(1)):
            value = " ".join(match.group(1).upper().split())
            found.append(Found("place_near", value, match.start(1), match.end(1)))
    if not any(f.entity == "place_near" for f in found):
        for match in _BEFORE_PLACE.finditer(text):
            if (place := _place_after(text, match.end())) is not None:
                found.append(place)
                break
    return found + _filters(text)


def _filters(text: str) -> list[Found]:
    found = []
    for entity, pattern in (
        ("place_deposits", _DEPOSITS),
        ("place_open_now", _OPEN_NOW),
        ("place_accessible", _ACCESSIBLE),
    ):
        if (match := pattern.search(text)) is not None:
            found.append(Found(entity, "yes", match.start(), match.end()))
    return found
