"""Which alert a message is about (`alert_kind`): "low balance", "when my salary arrives",
"my card used abroad", "payments over £500", "my budget".

These sit beside the other entities rather than competing with them ("abroad" is also a
card control, "£500" still an amount), so only the flows that ask for an alert read them.
"""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found

_KINDS = re.compile(
    r"\b(?:"
    r"(?P<low_balance>low\s+(?:balance|funds)|balance\S*(?:\s+\w+){0,3}?\s+(?:is\s+)?"
    r"(?:low|drops?|dips?|falls?|goes\s+(?:under|below)|gets\s+(?:low|below|under)|below|under)"
    r"|running\s+low|nearly\s+empty|balance)"
    r"|(?P<large_payment>(?:large|big|huge|larger?)\s+(?:payments?|transactions?|spends?|purchases?)"
    r"|payments?\s+(?:over|above|of\s+more\s+than)|anything\s+over|over\s+£)"
    r"|(?P<salary>salar(?:y|ies)|wages?|pay\s?day|get\s+paid|(?:my\s+)?pay\s+(?:comes|arrives|goes))"
    r"|(?P<card_abroad>abroad|overseas|foreign|outside\s+(?:the\s+)?uk|international)"
    r"|(?P<budget>budgets?)"
    r")",
    re.IGNORECASE,
)


# Words that make a message about alerts; without one only a short answer names a kind
# ("low balance" asked which alert), so "what's my current balance" names none.
_CUE = re.compile(
    r"\b(?:alert\w*|notif\w*|let\s+me\s+know|tell\s+me|warn\w*|text\s+me|message\s+me|"
    r"ping\s+me|subscri\w*|remind\w*|stop\s+telling|messaged|know\s+when|heads\s+up|"
    r"watch|keep\s+an\s+eye)\b"
    r"|^\s*(?:when|if|whenever)\b",  # "when my wages come in": the answer to which alert
    re.IGNORECASE,
)
SHORT_ANSWER_WORDS = 3


def find_alert_kinds(text: str) -> list[Found]:
    """The first kind the message names (one alert at a time), or none."""
    if _CUE.search(text) is None and len(text.split()) > SHORT_ANSWER_WORDS:
        return []
    match = _KINDS.search(text)
    if match is None or match.lastgroup is None:
        return []
    return [Found("alert_kind", match.lastgroup, match.start(), match.end())]
