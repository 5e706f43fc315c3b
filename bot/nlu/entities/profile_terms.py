"""What a customer says about their profile: which detail or channel ("my email", "texts",
"by post"), marketing on or off ("unsubscribe", "opt in"), and a new value typed in the
message (an email address, a phone number, a UK address with its postcode).

Entities: `contact_channel` (email | phone | sms | post | address | name), `marketing_switch`
(on | off: the words `card_switch` leaves, such as "unsubscribe" or "opt in"), and
`contact_value` (the address, number or email as typed; the flow's validator checks it).
Rules, not training data: the forms are fixed, and every value is checked again.
"""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found

_CHANNELS = {
    "email": r"e-?mails?|e-?mail\s+address(?:es)?|inbox",
    "sms": r"texts?|text\s+messages?|sms(?:es)?",
    "phone": r"(?:mobile|phone|cell|telephone|contact)\s+(?:number|no\.?)|phone\s*numbers?"
    r"|mobile(?:\s+phone)?|phone|mob\s+no|(?<=my\s)number|(?<=new\s)number",
    "post": r"post|letters?|leaflets?|brochures?|junk\s+mail|catalogues?|by\s+mail|mailings?",
    "address": r"(?:home\s+|postal\s+|billing\s+|correspondence\s+)?addr?ess?|moved|moving"
    r"|move(?:d)?\s+house|new\s+home|postcode|post\s+code",
    "name": r"(?:sur|last\s+|first\s+|maiden\s+|married\s+)?name",
}
_CHANNEL = re.compile(
    "|".join(rf"(?P<{name}>\b(?:{words})\b)" for name, words in _CHANNELS.items()), re.I
)
_SWITCH = re.compile(
    r"(?P<off>\b(?:un-?subscribe|opt(?:ed)?\s*-?\s*out|take\s+me\s+off|remove\s+me|"
    r"don'?t\s+(?:want|send|email|text|contact)|do\s+not\s+(?:want|send|email|text|contact)|"
    r"no\s+longer|never\s+(?:send|want)|not\s+interested|rather\s+not|"
    r"quit\s+sending|cease)\b)"
    r"|(?P<on>\b(?:subscribe|opt(?:ed)?\s*-?\s*in|sign\s+me\s+up|sign\s+up|"
    r"start\s+sending|(?:happy|like|love|want|keen)\s+to\s+(?:get|receive|hear)|resume|"
    r"send\s+me\s+(?:offers|deals|news|marketing|promotions)|i'?d\s+like\s+(?:offers|marketing))\b)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.+-])[^\s,;<>()\[\]\"']*@[^\s,;<>()\[\]\"']*(?<![.!?])")
_PHONE = re.compile(
    r"(?<![\w+-])(?:\+|00(?=[1-9]))[1-9](?:[\s().-]{0,2}\d){6,14}(?![\d-])"
    r"|(?<![\w+-])0(?:[\s().]{0,2}\d){9,10}(?![\d-])"
)
# A UK postcode, spaced or not, in any case.
POSTCODE = re.compile(
    r"\b(?:GIR\s?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRV-Y\d]?)"
    r"\s?\d[ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
# What comes before an address typed in a request: "change my address to", "it's", "I live at".
_LEAD_IN = re.compile(
    r"^.*?\b(?:address(?:\s+(?:is|to|as))?|moved\s+to|move\s+to|moving\s+to|live\s+at|living\s+at"
    r"|(?:it'?s|it\s+is|now|new\s+one\s+is)|to)\b\s*[:\-]?\s*",
    re.IGNORECASE,
)


_HOUSE_FIRST = re.compile(r"^\s*(?:flat\s+|apartment\s+|unit\s+)?\d+[a-z]?\b", re.IGNORECASE)
_MONEY = re.compile(r"[£$€]|\b(?:pay|send|transfer|quid|pounds?|euros?)\b", re.IGNORECASE)


def address_in(text: str) -> tuple[int, int] | None:
    """Where an address ending with a UK postcode is in `text`, without the words before it."""
    codes = list(POSTCODE.finditer(text))
    if not codes:
        return None
    end = codes[-1].end()
    head = text[: codes[-1].start()]
    start = 0
    for lead in _LEAD_IN.finditer(head):
        start = lead.end()
    if not re.search(r"[A-Za-z0-9]", text[start : codes[-1].start()]):
        start = 0  # nothing but the postcode after the lead-in: the postcode alone
    if start and not re.search(r"\w", head[start:]):
        start = codes[-1].start()
    return start, end


def find_profile_terms(text: str) -> list[Found]:
    found: list[Found] = []
    for m in _CHANNEL.finditer(text):
        if m.lastgroup:
            found.append(Found("contact_channel", m.lastgroup, m.start(), m.end()))
    for m in _SWITCH.finditer(text):
        if m.lastgroup:
            found.append(Found("marketing_switch", m.lastgroup, m.start(), m.end()))
    values = [(m.start(), m.end()) for m in _EMAIL.finditer(text)]
    values += [
        (m.start(), m.end())
        for m in _PHONE.finditer(text)
        if not any(s <= m.start() < e for s, e in values)
    ]
    # A postcode is an address only where one is talked about ("my new address is ...") or
    # the message is one (a house number first), never in a payment's reference.
    talked_about = any(f.value == "address" for f in found) or _HOUSE_FIRST.match(text)
    place = address_in(text) if talked_about and not _MONEY.search(text) else None
    if place is not None and not values:
        values.append(place)
    for start, end in values:
        found.append(Found("contact_value", text[start:end].strip(), start, end))
    return found
