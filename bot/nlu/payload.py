"""Button payloads in Rasa's form, `/intent` or `/intent{"entity": "value"}`: no NLU needed."""

from __future__ import annotations

import json
import re

from bot.nlu.types import Entity, IntentScore, Parse

_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z_][A-Za-z0-9_\-]*)(?P<entities>\{.*\})?$", re.DOTALL)


def parse_payload(payload: str) -> Parse | None:
    """The parse a payload stands for, with confidence 1.0; None if it is not a valid payload."""
    match = _PAYLOAD.match(payload.strip())
    if match is None:
        return None
    entities: tuple[Entity, ...] = ()
    if match.group("entities"):
        try:
            raw = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            return None
        if not isinstance(raw, dict) or not all(isinstance(k, str) and k for k in raw):
            return None
        entities = tuple(
            Entity(name, value, value if isinstance(value, str) else json.dumps(value), 0, 0)
            for name, value in raw.items()
        )
    intent = IntentScore(match.group("intent"), 1.0)
    return Parse(payload, intent, (intent,), entities)
