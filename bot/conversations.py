"""Conversation state for the turn: a bounded in-process cache over the event log.

The hot path never reads history: a conversation this worker has seen is served from the
cache, and only a cold conversation (after a restart, or first seen on this worker) is
rebuilt by replaying its events once.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.dialogue.state import ConversationState
from bot.store.ports import EventStore


class ConversationNotFound(LookupError):
    """Unknown, or owned by someone else: callers must not be able to tell which."""


class Conversations:
    def __init__(self, store: EventStore, capacity: int = 20_000) -> None:
        self._store = store
        self._capacity = capacity
        self._cache: OrderedDict[str, ConversationState] = OrderedDict()

    async def load(self, conversation_id: str, customer_id: str | None) -> ConversationState:
        """The current state, if `customer_id` owns the conversation."""
        state = self._cache.get(conversation_id)
        if state is None:
            state = await self._replay(conversation_id)
        if state.customer_id != customer_id:
            raise ConversationNotFound(conversation_id)
        self.remember(state)
        return state

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
