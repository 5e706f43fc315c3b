"""Masking applied before anything a customer typed is stored, published, logged or shown.

A card number (PAN) is 13-19 digits that pass the Luhn check, however a person groups
them: "4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111",
"4111_1111_1111_1111" or "4111111111111111". Each becomes "•••• 1111": its last four
digits, enough to recognise the card and never enough to use it. A run of digits longer
than a card number (a card number followed by its expiry or security code) is searched
for one along its groups.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.nlu.types import Parse

MASK = "•"
# Digits, with up to three separators (spaces, dashes, dots, underscores) between them.
_RUN = re.compile(r"(?<!\d)\d(?:[\s._-]{0,3}\d)*")
_DIGIT = re.compile(r"\d")
# A message that is nothing but a short number may be a one-time code (even a used one).
_CODE_LIKE = re.compile(r"\s*\d(?:[ -]?\d){3,7}\s*")
PAN_MIN, PAN_MAX = 13, 19
# A sort code in pairs, then an 8-digit account number: no card number is written so.
_UK_ACCOUNT = re.compile(r"\d{2}([-\s])\d{2}\1\d{2}[\s,]{1,3}\d{8}")
_GLUED_AFTER = 16
# Entities that read a number: a card number is never one of them.
_NUMERIC_ENTITIES = frozenset({"amount", "number"})


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _pans(digits: str, cuts: set[int]) -> list[tuple[int, int]]:
    """Card numbers in a run of `digits` as (start, end) digit indexes, left to right,
    each starting and ending where the writer grouped the digits (`cuts`)."""
    found: list[tuple[int, int]] = []
    start = 0
    while len(digits) - start >= PAN_MIN:
        ends = (end for end in range(min(len(digits), start + PAN_MAX), start + PAN_MIN - 1, -1))
        end = next((e for e in ends if e in cuts and _luhn_ok(digits[start:e])), None)
        if end is not None:
            found.append((start, end))
            start = end
            continue
        start = next((cut for cut in sorted(cuts) if cut > start), len(digits))
    return found


def _mask_run(match: re.Match[str]) -> str:
    run = match.group()
    if _UK_ACCOUNT.fullmatch(run):
        return run  # a sort code and account number ("20-00-00 12345678"), never a card
    positions = [i for i, ch in enumerate(run) if ch.isdigit()]
    if len(positions) < PAN_MIN:
        return run
    digits = "".join(run[i] for i in positions)
    # Group edges; inside a group longer than the commonest card number (16 digits, as
    # when the expiry or security code follows it unspaced) every digit is one.
    cuts = {0, len(digits)}
    group_start = 0
    for k in range(1, len(digits) + 1):
        if k == len(digits) or positions[k] != positions[k - 1] + 1:
            if k - group_start > _GLUED_AFTER:
                cuts.update(range(group_start, k))
            cuts.add(k)
            group_start = k
    pieces: list[str] = []
    at = 0
    for start, end in _pans(digits, cuts):
        pieces.append(run[at : positions[start]])
        pieces.append(MASK * 4 + " " + digits[end - 4 : end])
        at = positions[end - 1] + 1
        if end < len(digits) and positions[end] == at:  # keep what followed it apart
            pieces.append(" ")
    pieces.append(run[at:])
    return "".join(pieces)


# An IBAN (ISO 13616: two country letters and two check digits glued to the account, compact
# or in groups) is given out to be paid into, and a typo in one is for its validator to
# explain: it is not a card number as people write them, so it is kept as written.
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}")
IBAN_MIN, IBAN_MAX = 15, 34


def _iban_end(text: str, start: int) -> int | None:
    """Where the longest IBAN-shaped text starting at `start` ends (single spaces may
    group it), or None."""
    compact, best, i = "", None, start
    while i < len(text) and len(compact) < IBAN_MAX:
        if text[i] == " " and compact and i + 1 < len(text) and text[i + 1].isalnum():
            i += 1
        if not text[i].isascii() or not text[i].isalnum():
            break
        compact += text[i]
        i += 1
        at_edge = i == len(text) or not text[i].isalnum()
        if len(compact) >= IBAN_MIN and at_edge:
            best = i
    return best


def mask_card_numbers(text: str) -> str:
    """Replace every card number in `text` with its last four digits; IBANs are left alone."""
    pieces, at = [], 0
    for match in _IBAN_START.finditer(text):
        end = _iban_end(text, match.start()) if match.start() >= at else None
        if end is not None:
            pieces += [_RUN.sub(_mask_run, text[at : match.start()]), text[match.start() : end]]
            at = end
    pieces.append(_RUN.sub(_mask_run, text[at:]))
    return "".join(pieces)


def has_card_number(text: str) -> bool:
    return mask_card_numbers(text) != text


def mask_value(value: Any) -> Any:
    """`value` (a slot value, an entity's value: text, numbers, lists and mappings of them)
    with every card number masked; a number that is one becomes its masked text."""
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        masked = mask_card_numbers(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(item) for item in value)
    return value


def mask_parse(parse: Parse) -> Parse:
    """A parse with no card number in its text or entities: an entity that held one is
    masked, or dropped if it read the card number as a number (an amount, a count)."""
    entities = []
    for entity in parse.entities:
        value, text = mask_value(entity.value), mask_card_numbers(entity.text)
        if value == entity.value and text == entity.text:
            entities.append(entity)
        elif entity.entity not in _NUMERIC_ENTITIES:
            entities.append(replace(entity, value=value, text=text))
    return replace(parse, text=mask_card_numbers(parse.text), entities=tuple(entities))


# A message that talks about a PIN: a 4-6 digit number in it may be the PIN itself.
_PIN_WORD = re.compile(r"\b(?:pin|pins|pin\s*code|pincode|pin\s*number|p\.i\.n\.?)\b", re.I)
_PIN_LIKE = re.compile(
    r"(?<![\d£$€•])(?<!\d[.,:/])(?<!ending\s)(?<!ends\sin\s)(?<!last\s4\s)"
    r"(?<!last\sfour\s)\d{4,6}(?!\d|[.,:/]\d)"
)


def mask_pins(text: str) -> str:
    """Hide what may be a PIN ("my pin is 4821", "pin 1234 not working"): any 4-6 digit
    number in a message that names a PIN, except a card's last four ("ending 4417")."""
    if not _PIN_WORD.search(text):
        return text
    return _PIN_LIKE.sub(lambda m: MASK * len(m.group(0)), text)


def mask_digits(text: str) -> str:
    """Hide every digit: used for what a customer types while a one-time code is awaited."""
    return _DIGIT.sub(MASK, text)


def may_be_code(text: str, code_expected: bool) -> bool:
    """True while a code is awaited, or when the whole message looks like one."""
    return code_expected or _CODE_LIKE.fullmatch(text) is not None


def redact(text: str, secret: bool) -> str:
    """`secret`: the message may hold a one-time code, so no digit of it is kept."""
    return mask_digits(text) if secret else mask_card_numbers(text)
