"""Every write to a conversation goes through one unit of work: `Conversations.write`.

A customer's turn, an agent's reply or note, a claim, a hand back: each is a `Decide`
function that adds events to a `Draft` of the conversation. The unit of work around it
holds the conversation's lock (one writer at a time, on any worker), loads the state,
lets `decide` add events (each numbered and applied as it is added), appends them to the
log together with the conversation document's fields when the status or holder changed
(the document's one writer), updates the cache and the seq mark, and then publishes the
events, channel-neutral, on the bus.

The hot path reads no history: a conversation this worker has seen is served from a
bounded cache, and only a cold one (after a restart, or first seen on this worker) is
rebuilt by replaying its events once. With several workers another one may have written
since this worker cached a state, so each write leaves the conversation's last seq in
Redis (`SeqMarks`); a load, under the lock, compares it with the cached state and applies
only the events it missed.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot import events as ev
from bot.auth.identity import Identity
from bot.dialogue.state import ConversationState, Draft
from bot.events import Event
from bot.observe import metrics
from bot.ports import (
    Bus,
    ConversationNotFound,
    EventStore,
    SeqMarks,
    StoreUnavailable,
    TurnLock,
)

log = logging.getLogger(__name__)
_LOCK_WAIT = metrics.LOCK_WAIT


@dataclass(frozen=True, slots=True)
class Opening:
    """Who opens a new conversation, and where."""

    customer_id: str | None
    channel: str
    channel_user_id: str | None = None


# Adds this write's events to the draft; raises to write nothing.
Decide = Callable[[Draft], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Written:
    conversation_id: str
    events: tuple[Event, ...]
    before: ConversationState
    state: ConversationState


def customer_topic(conversation_id: str) -> str:
    """Where every client of one conversation listens, on any worker."""
    return f"conv:{conversation_id}"


def agents_topic(space: str) -> str:
    """Where every open agent console listens; `space` (the database name) keeps
    deployments sharing one Redis apart."""
    return f"agents:{space}"


def feed_payload(written: Written, kinds: frozenset[str]) -> dict[str, Any] | None:
    """What the bus carries for a write: its events of `kinds`, as stored."""
    events = [e.to_entry() for e in written.events if e.type in kinds]
    if not events:
        return None
    return {
        "type": "events",
        "conversation_id": written.conversation_id,
        "status": written.state.status,
        "events": events,
    }


class Conversations:
    def __init__(
        self,
        *,
        store: EventStore,
        lock: TurnLock,
        bus: Bus,
        space: str,
        marks: SeqMarks | None = None,
        capacity: int = 20_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock` stamps every write (epoch seconds); code expiry is measured against it."""
        self._clock = clock
        self._store = store
        self._lock = lock
        self._bus = bus
        self._agents_topic = agents_topic(space)
        self._marks = marks
        self._capacity = capacity
        self._cache: OrderedDict[str, ConversationState] = OrderedDict()

    async def write(
        self,
        conversation_id: str,
        decide: Decide,
        *,
        customer: Identity | None = None,
        opening: Opening | None = None,
    ) -> Written:
        """Run one write; returns what it stored (no events if `decide` added none).

        `customer` writes only to a conversation that customer owns (staff writes pass
        None); `opening` starts a new conversation. Raises ConversationNotFound,
        UnstorableEvent, StoreUnavailable, LockTimeout or SeqConflict (nothing is stored
        then).
        """
        waited = time.perf_counter()
        async with self._lock.hold(conversation_id):
            _LOCK_WAIT.observe(time.perf_counter() - waited)  # timeouts: the lock counts them
            if opening is None:
                before = await self._current(conversation_id)
                if customer is not None and before.customer_id != customer.customer_id:
                    raise ConversationNotFound(conversation_id)
            else:
                before = ConversationState(conversation_id)
            draft = Draft(before.copy(), self._clock())
            if opening is not None:
                draft.add(
                    ev.CONVERSATION_STARTED,
                    customer_id=opening.customer_id,
                    channel=opening.channel,
                )
            await decide(draft)
            written = Written(conversation_id, tuple(draft.events), before, draft.state)
            if written.events:
                await self._append(written, _document(written, draft.now, opening))
        if written.events:
            if written.before.status != written.state.status:
                _count_handoff(written, draft.now)
            await self._publish(written)
        return written

    async def _current(self, conversation_id: str) -> ConversationState:
        """The current state (call under the conversation's lock)."""
        state = self._cache.get(conversation_id)
        if state is None:
            events = await self._store.events(conversation_id)
            if not events:
                raise ConversationNotFound(conversation_id)
            state = ConversationState.replay(conversation_id, events)
        elif self._marks is not None and await self._marks.get(conversation_id) != state.last_seq:
            state = await self._catch_up(state)
        self._remember(state)
        return state

    async def _catch_up(self, cached: ConversationState) -> ConversationState:
        """Apply what other workers appended since `cached`; no history before it is read."""
        missed = await self._store.events(cached.conversation_id, after_seq=cached.last_seq)
        state = cached.copy()
        for event in missed:
            state.apply(event)
        return state

    async def _append(self, written: Written, document: dict[str, Any]) -> None:
        try:
            await self._store.append(written.conversation_id, written.events, document)
        except BaseException:
            self._cache.pop(written.conversation_id, None)
            raise
        self._remember(written.state)
        if self._marks is None:
            return
        try:
            await self._marks.set(written.conversation_id, written.state.last_seq)
        except StoreUnavailable:
            # The events are stored; without the mark another worker's cache cannot be
            # trusted, and neither can ours: the store is asked next time.
            self._cache.pop(written.conversation_id, None)
            log.warning("seq mark for %s not written", written.conversation_id)

    def _remember(self, state: ConversationState) -> None:
        self._cache[state.conversation_id] = state
        self._cache.move_to_end(state.conversation_id)
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)

    async def _publish(self, written: Written) -> None:
        """After the events are stored: a lost publish costs latency, never a message
        (clients replay from the store), so failures are logged, not raised."""
        topics = [(customer_topic(written.conversation_id), ev.CUSTOMER_VISIBLE)]
        if written.before.status != "bot" or written.state.status != "bot":
            topics.append((self._agents_topic, ev.TRANSCRIPT))  # a person is involved
        for topic, kinds in topics:
            payload = feed_payload(written, kinds)
            if payload is None:
                continue
            try:
                await self._bus.publish(topic, payload)
            except StoreUnavailable:
                log.warning("could not publish on %s; clients will catch up by replay", topic)


# teller_handoffs_total's event for each status a conversation moves to.
_HANDOFF_EVENTS = {"queued": "queued", "agent": "claimed", "bot": "handed_back", "closed": "closed"}


def _count_handoff(written: Written, now: float) -> None:
    after = written.state.status
    metrics.HANDOFFS.labels(_HANDOFF_EVENTS.get(after, "other")).inc()
    if after == "agent" and written.before.status == "queued" and written.before.status_since:
        metrics.TIME_TO_CLAIM.observe(max(0.0, now - written.before.status_since))


def _document(written: Written, now: float, opening: Opening | None) -> dict[str, Any]:
    """The conversation document's fields, when this write changes them.

    The document is the queue's index: it is written when a conversation opens or its
    status or holder changes, so most turns leave it alone and its `last_seq` is as of
    its last change; the event log and the seq marks, not the document, say where a
    conversation is.
    """
    before, after = written.before, written.state
    fields: dict[str, Any] = {}
    if opening is not None:
        fields |= {
            "customer_id": opening.customer_id,
            "channel": opening.channel,
            "channel_user_id": opening.channel_user_id,
            "created_at": now,
        }
    if opening is not None or (after.status, after.agent_id) != (before.status, before.agent_id):
        fields |= {
            "status": after.status,
            "agent_id": after.agent_id,
            "last_seq": after.last_seq,
            "updated_at": now,
            "status_since": now,
        }
    return fields
