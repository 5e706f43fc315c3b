"""Conversation state for the turn: a bounded in-process cache over the event log.

The hot path never reads history: a conversation this worker has seen is served from the
cache, and only a cold conversation (after a restart, or first seen on this worker) is
rebuilt by replaying its events once.

With several workers another one may have appended since this worker cached a state. Each
append therefore leaves the conversation's last seq in Redis (`SeqMarks`); a load, made
while the conversation's lock is held, compares it with the cached state and, on a
mismatch, applies only the events it missed. Without Redis there is one worker and the
cache is the truth.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.dialogue.state import ConversationState
from bot.store.ports import EventStore, StoreUnavailable

log = logging.getLogger(__name__)


class ConversationNotFound(LookupError):
    """Unknown, or owned by someone else: callers must not be able to tell which."""


class SeqMarks(Protocol):
    async def get(self, conversation_id: str) -> int | None: ...

    async def set(self, conversation_id: str, seq: int) -> None: ...


class RedisSeqMarks:
    """`{prefix}seq:{id}` -> last seq, kept a week (a missing mark only costs a store read)."""

    def __init__(
        self, redis: Redis, prefix: str = "teller:", ttl_seconds: int = 7 * 24 * 3600
    ) -> None:
        self._redis = redis
        self._key = prefix + "seq:"
        self._ttl = ttl_seconds

    async def get(self, conversation_id: str) -> int | None:
        try:
            raw = await self._redis.get(self._key + conversation_id)
        except RedisError as exc:
            raise StoreUnavailable("cannot read the conversation's last seq") from exc
        return None if raw is None else int(raw)

    async def set(self, conversation_id: str, seq: int) -> None:
        try:
            await self._redis.set(self._key + conversation_id, seq, ex=self._ttl)
        except RedisError as exc:
            raise StoreUnavailable("cannot record the conversation's last seq") from exc


class Conversations:
    def __init__(
        self, store: EventStore, capacity: int = 20_000, marks: SeqMarks | None = None
    ) -> None:
        self._store = store
        self._capacity = capacity
        self._marks = marks
        self._cache: OrderedDict[str, ConversationState] = OrderedDict()

    async def load(self, conversation_id: str, customer_id: str | None) -> ConversationState:
        """The current state, if `customer_id` owns the conversation (call under its lock)."""
        state = await self.current(conversation_id)
        if state.customer_id != customer_id:
            raise ConversationNotFound(conversation_id)
        return state

    async def current(self, conversation_id: str) -> ConversationState:
        """The current state whoever owns it: for agents (call under the conversation's lock)."""
        state = self._cache.get(conversation_id)
        if state is None:
            state = await self._replay(conversation_id)
        elif self._marks is not None:
            mark = await self._marks.get(conversation_id)
            if mark != state.last_seq:
                state = await self._catch_up(state)
        self.remember(state)
        return state

    async def stored(self, state: ConversationState) -> None:
        """`state` was just appended: cache it and tell the other workers its seq."""
        self.remember(state)
        if self._marks is None:
            return
        try:
            await self._marks.set(state.conversation_id, state.last_seq)
        except StoreUnavailable:
            # The events are stored; without the mark another worker's cache cannot be
            # trusted, and neither can ours next time: the store is asked then.
            log.warning("seq mark for %s not written", state.conversation_id)

    def remember(self, state: ConversationState) -> None:
        self._cache[state.conversation_id] = state
        self._cache.move_to_end(state.conversation_id)
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)

    def forget(self, conversation_id: str) -> None:
        self._cache.pop(conversation_id, None)

    async def _replay(self, conversation_id: str) -> ConversationState:
        events = await self._store.events(conversation_id)
        if not events:
            raise ConversationNotFound(conversation_id)
        return ConversationState.replay(conversation_id, events)

    async def _catch_up(self, cached: ConversationState) -> ConversationState:
        """Apply what other workers appended since `cached`; no history before it is read."""
        missed = await self._store.events(cached.conversation_id, after_seq=cached.last_seq)
        state = cached.copy()
        for event in missed:
            state.apply(event)
        return state
