"""What a customer says about managing a card: which control ("ATM", "online", "gambling"),
on or off ("turn off", "block", "allow"), and why a card needs replacing ("snapped").

Entities: `card_control` (atm | online | contactless | abroad | gambling), `card_switch`
(on | off) and `replace_reason` (lost | stolen | damaged | expiring). Rules, not training
data: the words are few and stable, and a flow's validator still checks every value.
"""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found

_CONTROLS = {
    "atm": r"atms?|cash\s*machines?|cash\s*points?|cash\s+withdrawals?|withdrawals?|cash",
    "online": r"online|internet|web|e-?commerce",
    "contactless": r"contact\s*less|contactles|tap(?:\s+to\s+pay|\s+and\s+go)?|apple\s+pay"
    r"|google\s+pay",
    "abroad": r"abroad|overseas|foreign|international|outside\s+(?:the\s+)?uk",
    "gambling": r"gambling|gamble|betting|bets?|casinos?|bookies|bookmakers?|gaming|lottery",
}
_CONTROL = re.compile(
    "|".join(rf"(?P<{name}>\b(?:{words})\b)" for name, words in _CONTROLS.items()), re.I
)

_NOT_TARGET = r"(?!\s+(?:my|the|this|your|that|it'?s?|all)\b)"
# A phrasal verb's particle is the entity's span ("turn online payments *off*"), so the words
# between stay free for `card_control`.
_SWITCH = re.compile(
    r"(?P<on>\b(?:un-?block|re-?enable|enable|allow|reactivate|permit|unlock|let\s+me)\b)"
    r"|(?P<off>\b(?:block|disable|stop|prevent|ban|bar|deactivate|lock|no\s+more)\b)"
    r"|\b(?:turn|switch|put|toggle)\s+(?:(?P<on__>on)|(?:[\w']+\s+){0,4}?"
    rf"(?:(?P<on_>on){_NOT_TARGET}|(?P<off_>off)))\b",
    re.IGNORECASE,
)

_REASONS = {
    "stolen": r"stolen|stole|nicked|pick-?pocketed|robbed|mugged|theft|thief",
    "lost": r"lost|lose|losing|misplaced|can'?t\s+find|cannot\s+find|missing|left\s+it",
    "damaged": r"damaged|broken|broke|snapped|cracked|bent|scratched|worn(?:\s+out)?|melted"
    r"|chewed|split|faulty|demagneti[sz]ed|chip\s+(?:is\s+)?(?:broken|damaged|not\s+working)"
    r"|chip\s+(?:doesn'?t|does\s+not|won'?t)\s+work|damage",
    "expiring": r"expiring|expires?|expired|expiry|running\s+out|out\s+of\s+date"
    r"|about\s+to\s+expire|renewal|renew",
}
_REASON = re.compile(
    "|".join(rf"(?P<{name}>\b(?:{words})\b)" for name, words in _REASONS.items()), re.I
)


def _found(entity: str, pattern: re.Pattern[str], text: str) -> list[Found]:
    found = []
    for m in pattern.finditer(text):
        if m.lastgroup:  # "on_" is the particle of a phrasal verb: its own span
            name = m.lastgroup
            found.append(Found(entity, name.rstrip("_"), m.start(name), m.end(name)))
    return found


def find_card_terms(text: str) -> list[Found]:
    return [
        *_found("card_control", _CONTROL, text),
        *_found("card_switch", _SWITCH, text),
        *_found("replace_reason", _REASON, text),
    ]
