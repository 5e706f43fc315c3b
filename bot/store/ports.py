"""The ports the engine uses to persist conversations and coordinate workers."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from bot.events import Event


class StoreUnavailable(RuntimeError):
    """The conversation store cannot be reached; callers answer 503 and keep nothing half-done."""


class SeqConflict(RuntimeError):
    """Another writer already appended an event with one of these sequence numbers."""


class LockTimeout(RuntimeError):
    """A conversation's lock could not be taken in time (another turn is still running)."""


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """The conversation document: who owns it and a denormalised summary for queues."""

    id: str
    customer_id: str | None
    channel: str
    created_at: float
    status: str = "bot"
    last_seq: int = 0
    channel_user_id: str | None = None


class EventStore(Protocol):
    async def get_conversation(self, conversation_id: str) -> ConversationRecord | None: ...

    async def append(
        self, conversation_id: str, events: Sequence[Event], summary: dict[str, Any]
    ) -> None:
        """Store events (their `seq` already set) and set `summary` fields on the conversation.

        An empty `summary` writes events only; the conversation's `last_seq` is then left
        as it was (the event log, not the summary, is the truth).

        Raises SeqConflict if any (conversation, seq) exists, StoreUnavailable if unreachable.
        """
        ...

    async def events(self, conversation_id: str, after_seq: int = 0) -> list[Event]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class TurnLock(Protocol):
    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold `key` exclusively across workers; raises LockTimeout if not had in time."""
        ...


class OnceGuard(Protocol):
    async def first_time(self, key: str, ttl_seconds: int) -> bool:
        """True only for the first caller with `key` within `ttl_seconds` (delivery dedup)."""
        ...
