"""What the REST and WebSocket chat channels share: who is calling, input checks, reply shape."""

from __future__ import annotations

from typing import Any

from bot.auth.identity import Identity
from bot.auth.tokens import TokenError, TokenVerifier
from bot.config import ServerSettings
from bot.turn import TurnOutcome
from connectors.errors import ApiError


def identify(verifier: TokenVerifier, authorization: str | None) -> Identity:
    """No header: an anonymous session. A header that is not a valid bearer token: 401."""
    if not authorization:
        return Identity.anonymous()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("invalid_token", "the Authorization header is not a bearer token")
    return verifier.verify(token.strip())


def check_text(text: str, payload: str | None, limits: ServerSettings) -> None:
    """A turn's text and payload within `limits`, Unicode (a lone surrogate is valid JSON,
    not text: the sentence encoder and BSON refuse it), and not both empty."""
    if len(text) > limits.max_message_chars:
        raise ApiError(400, "message_too_long", max_chars=limits.max_message_chars)
    if payload is not None and len(payload) > limits.max_payload_chars:
        raise ApiError(400, "payload_too_long", max_chars=limits.max_payload_chars)
    if not (is_unicode(text) and (payload is None or is_unicode(payload))):
        raise ApiError(400, "bad_request", "error_not_unicode")
    if not text.strip() and not payload:
        raise ApiError(400, "empty_message", "error_empty_turn")


def is_unicode(value: str) -> bool:
    """Whether `value` encodes as UTF-8 (JSON's `\\ud800` decodes to a str that does not)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def outcome_json(outcome: TurnOutcome) -> dict[str, Any]:
    return {
        "conversation_id": outcome.conversation_id,
        "messages": [m.to_dict() for m in outcome.messages],
        "nlu": outcome.parse.to_dict(),
        "state": outcome.state,
    }
