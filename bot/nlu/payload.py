"""Button payloads in Rasa's form, `/intent` or `/intent{"entity": "value"}`: no NLU needed.

A payload comes from whoever sends it, not only from our buttons, and its entities go
straight into the conversation log and the dialogue. So they are what our buttons carry
and nothing more: a few entities, each named like an identifier, each a short string.
"""

from __future__ import annotations

import json
import re

from bot.nlu.types import Entity, IntentScore, Parse

_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z_][A-Za-z0-9_\-]*)(?P<entities>\{.*\})?$", re.DOTALL)
_ENTITY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
MAX_ENTITIES = 10
MAX_ENTITY_CHARS = 100  # a payee's name, an account reference: our buttons' longest values


class PayloadError(ValueError):
    """A payload in the button form whose entities are not a few short strings: refused,
    so the turn is not taken (the channel answers 400 or an error frame)."""


def parse_payload(payload: str) -> Parse | None:
    """The parse a payload stands for, with confidence 1.0; None if it is not in the form of
    a payload (the turn reads the text instead). Raises PayloadError for entities that are
    not at most MAX_ENTITIES strings of at most MAX_ENTITY_CHARS, named like identifiers."""
    match = _PAYLOAD.match(payload.strip())
    if match is None:
        return None
    entities: tuple[Entity, ...] = ()
    if match.group("entities"):
        try:
            raw = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            return None
        except (ValueError, RecursionError):  # an int of too many digits; nesting too deep
            raise PayloadError("payload entities are not short strings") from None
        if not isinstance(raw, dict):
            return None
        entities = tuple(Entity(name, value, value, 0, 0) for name, value in _checked(raw))
    intent = IntentScore(match.group("intent"), 1.0)
    return Parse(payload, intent, (intent,), entities)


def _checked(raw: dict[object, object]) -> list[tuple[str, str]]:
    if len(raw) > MAX_ENTITIES:
        raise PayloadError(f"a payload carries at most {MAX_ENTITIES} entities")
    checked = []
    for name, value in raw.items():
        if not isinstance(name, str) or not _ENTITY_NAME.fullmatch(name):
            raise PayloadError("payload entity names are identifiers of up to 32 characters")
        if not isinstance(value, str) or len(value) > MAX_ENTITY_CHARS:
            raise PayloadError(f"payload entity values are strings of {MAX_ENTITY_CHARS} or fewer")
        checked.append((name, value))
    return checked
