"""In-process twins of every port, for one worker with no servers: `make run` without
Redis, the shell, conversation tests and unit tests.

Each behaves as its Redis or MongoDB adapter does (the store contract tests run both),
except that nothing outlives the process and nothing is shared with another worker.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from bot.events import Event
from bot.observe import metrics
from bot.ports import (
    AGENT_CHANGES,
    AgentRecord,
    AgentSession,
    AlreadyExists,
    BusMessage,
    ChatLink,
    Claim,
    ConversationRecord,
    Delivered,
    KeptFile,
    LockTimeout,
    NotDelivered,
    Notice,
    Recipient,
    SeqConflict,
    Subscription,
)

# -- conversations ------------------------------------------------------------------------


class MemoryEventStore:
    """`EventStore` in dicts; an append is all or nothing, like the MongoDB one."""

    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = defaultdict(list)
        self._documents: dict[str, ConversationRecord] = {}

    async def get_conversation(self, conversation_id: str) -> ConversationRecord | None:
        return self._documents.get(conversation_id)

    async def conversations(self, statuses: Sequence[str], limit: int) -> list[ConversationRecord]:
        found = [d for d in self._documents.values() if d.status in statuses]
        return sorted(found, key=lambda d: d.status_since)[:limit]

    async def append(
        self, conversation_id: str, events: Sequence[Event], document: Mapping[str, Any]
    ) -> None:
        if not events:
            raise ValueError("append needs at least one event")
        log = self._events[conversation_id]
        taken = {e.seq for e in log}
        clash = next((e.seq for e in events if e.seq in taken), None)
        if clash is not None or len({e.seq for e in events}) < len(events):
            raise SeqConflict(f"conversation {conversation_id} already has seq {clash}")
        log.extend(events)
        log.sort(key=lambda e: e.seq)
        if document:
            self._update(conversation_id, document, max(e.seq for e in events))

    def _update(self, conversation_id: str, fields: Mapping[str, Any], seq: int) -> None:
        current = self._documents.get(conversation_id) or ConversationRecord(
            conversation_id, None, "", 0.0
        )
        values = {k: v for k, v in fields.items() if k in ConversationRecord.__slots__}
        values["last_seq"] = max(current.last_seq, seq)
        self._documents[conversation_id] = replace(current, **values)

    async def events(self, conversation_id: str, after_seq: int = 0) -> list[Event]:
        return [e for e in self._events.get(conversation_id, ()) if e.seq > after_seq]

    async def ping(self) -> None:
        return None


@dataclass(slots=True)
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class MemoryTurnLock:
    """`TurnLock` for one worker: an asyncio.Lock per key, dropped when nobody uses it."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        """How many keys are held or waited for (the rest are forgotten)."""
        return len(self._entries)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        entry = self._entries.setdefault(key, _Entry())
        entry.users += 1
        try:
            try:
                async with asyncio.timeout(self._timeout):
                    await entry.lock.acquire()
            except TimeoutError:
                metrics.LOCK_TIMEOUTS.inc()
                raise LockTimeout(f"conversation {key} is busy") from None
            try:
                yield
            finally:
                entry.lock.release()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]


class MemorySeqMarks:
    """`SeqMarks` for one worker (its cache is the truth, but the port behaves the same)."""

    def __init__(self) -> None:
        self._marks: dict[str, int] = {}

    async def get(self, conversation_id: str) -> int | None:
        return self._marks.get(conversation_id)

    async def set(self, conversation_id: str, seq: int) -> None:
        self._marks[conversation_id] = seq


# -- between workers (here: between tasks) ------------------------------------------------


class _QueueSubscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[BusMessage] = asyncio.Queue(maxsize=1000)

    async def get(self, within: float | None = None) -> BusMessage | None:
        try:
            return await asyncio.wait_for(self.queue.get(), within)
        except TimeoutError:
            return None


class MemoryBus:
    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[_QueueSubscription]] = defaultdict(set)

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        message = (topic, json.loads(json.dumps(payload)))  # same copy semantics as Redis
        for subscription in tuple(self._subscribers.get(topic, ())):
            if not subscription.queue.full():
                subscription.queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        subscription = _QueueSubscription()
        for topic in topics:
            self._subscribers[topic].add(subscription)
        try:
            yield subscription
        finally:
            for topic in topics:
                self._subscribers[topic].discard(subscription)
                if not self._subscribers[topic]:
                    del self._subscribers[topic]


class MemoryOnceGuard:
    """`OnceGuard` for one worker; expired keys are dropped as time passes."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    async def first_time(self, key: str, ttl_seconds: int) -> bool:
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        now = time.monotonic()
        while self._by_expiry and self._by_expiry[0][0] <= now:
            expiry, old = heapq.heappop(self._by_expiry)
            if self._expiry.get(old) == expiry:
                del self._expiry[old]
        if key in self._expiry:
            return False
        self._expiry[key] = now + ttl_seconds
        heapq.heappush(self._by_expiry, (now + ttl_seconds, key))
        return True


class MemoryDeliveryClaims:
    """`DeliveryClaims` for one worker; expired keys are dropped as time passes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._keys: dict[str, tuple[str, float]] = {}  # key -> (token, or "" when done; until)
        self._by_expiry: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._keys)

    async def claim(self, key: str, token: str, lease_seconds: float) -> Claim:
        now = self._forget_expired()
        held = self._keys.get(key)
        if held is not None and held[1] > now:
            return Claim.DONE if held[0] == "" else Claim.BUSY
        self._hold(key, token, now + lease_seconds)
        return Claim.CLAIMED

    async def done(self, key: str, ttl_seconds: int) -> None:
        _check_ttl(ttl_seconds)
        self._hold(key, "", self._forget_expired() + ttl_seconds)

    async def release(self, key: str, token: str) -> None:
        held = self._keys.get(key)
        if held is not None and held[0] == token:
            del self._keys[key]

    def _hold(self, key: str, token: str, until: float) -> None:
        self._keys[key] = (token, until)
        heapq.heappush(self._by_expiry, (until, key))

    def _forget_expired(self) -> float:
        now = self._clock()
        while self._by_expiry and self._by_expiry[0][0] <= now:
            until, key = heapq.heappop(self._by_expiry)
            held = self._keys.get(key)
            if held is not None and held[1] == until:
                del self._keys[key]
        return now


def _check_ttl(ttl_seconds: int) -> None:
    if ttl_seconds < 1:
        raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")


class MemoryCounters:
    """`Counters` for one worker."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}
        self._flags: dict[str, float] = {}
        self._events: dict[str, deque[float]] = {}

    async def incr(self, key: str, window_seconds: float) -> int:
        now = self._clock()
        count, resets_at = self._counts.get(key, (0, 0.0))
        if now >= resets_at:
            count, resets_at = 0, now + window_seconds
        self._counts[key] = (count + 1, resets_at)
        return count + 1

    async def record(self, key: str, window_seconds: float) -> int:
        times = self._events.setdefault(key, deque())
        times.append(self._clock())
        return await self.recent(key, window_seconds)

    async def recent(self, key: str, window_seconds: float) -> int:
        times = self._events.get(key)
        if not times:
            return 0
        since = self._clock() - window_seconds
        while times and times[0] <= since:
            times.popleft()
        if not times:
            del self._events[key]
            return 0
        return len(times)

    async def flag(self, key: str, ttl_seconds: float) -> None:
        self._flags[key] = self._clock() + ttl_seconds

    async def flagged(self, key: str) -> bool:
        expires_at = self._flags.get(key)
        if expires_at is None:
            return False
        if self._clock() >= expires_at:
            del self._flags[key]
            return False
        return True

    async def expires_in(self, key: str) -> float:
        now = self._clock()
        until = self._flags.get(key) or self._counts.get(key, (0, 0.0))[1]
        return max(0.0, until - now)

    async def forget(self, key: str) -> None:
        self._flags.pop(key, None)
        self._counts.pop(key, None)


class MemoryPresence:
    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._until: dict[str, float] = {}

    async def beat(self, agent_id: str) -> None:
        self._until[agent_id] = time.monotonic() + self._ttl

    async def leave(self, agent_id: str) -> None:
        self._until.pop(agent_id, None)

    async def online(self) -> int:
        now = time.monotonic()
        self._until = {agent: until for agent, until in self._until.items() if until > now}
        return len(self._until)


# -- reaching people ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    customer_id: str
    to: str
    text: str
    sent_at: float


class DevOutbox:
    """`Notifier` for dev mode and the shell: keeps what would have been sent, newest first,
    addressed to the phone (else the email) the bank has for the customer."""

    name = "outbox"

    def __init__(self, capacity: int = 500) -> None:
        self._entries: deque[OutboxEntry] = deque(maxlen=capacity)

    async def send(self, recipient: Recipient, notice: Notice) -> Delivered:
        to = recipient.phone or recipient.email
        if not recipient.customer_id or not to:
            raise NotDelivered("the bank has no phone or email for this customer")
        self._entries.appendleft(OutboxEntry(recipient.customer_id, to, notice.text, time.time()))
        metrics.NOTIFIER.labels(self.name, "delivered").inc()
        return Delivered(self.name, to)

    def recent(self, customer_id: str) -> list[OutboxEntry]:
        return [e for e in self._entries if e.customer_id == customer_id]


# -- records beside the conversations -----------------------------------------------------


class MemoryAgentStore:
    def __init__(self) -> None:
        self._agents: dict[str, AgentRecord] = {}
        self._sessions: dict[str, AgentSession] = {}
        self.audit_trail: list[dict[str, Any]] = []

    async def add(self, agent: AgentRecord) -> None:
        if agent.id in self._agents:
            raise AlreadyExists(agent.id)
        self._agents[agent.id] = agent

    async def get(self, agent_id: str) -> AgentRecord | None:
        return self._agents.get(agent_id)

    async def agents(self) -> list[AgentRecord]:
        return [self._agents[name] for name in sorted(self._agents)]

    async def update(self, agent_id: str, changes: Mapping[str, Any]) -> bool:
        unknown = set(changes) - AGENT_CHANGES
        if unknown:
            raise ValueError(f"agents have no changeable fields {sorted(unknown)}")
        if agent_id not in self._agents:
            return False
        self._agents[agent_id] = replace(self._agents[agent_id], **changes)
        return True

    async def count_failure(self, agent_id: str) -> int:
        record = self._agents.get(agent_id)
        if record is None:
            return 0
        self._agents[agent_id] = replace(record, failed_sign_ins=record.failed_sign_ins + 1)
        return record.failed_sign_ins + 1

    async def lock(self, agent_id: str, now: float) -> bool:
        record = self._agents.get(agent_id)
        if record is None or record.locked_at is not None:
            return False
        self._agents[agent_id] = replace(record, locked_at=now)
        return True

    async def add_session(self, session: AgentSession) -> None:
        self._sessions[session.key] = session

    async def session(self, key: str) -> AgentSession | None:
        found = self._sessions.get(key)
        if found is not None and found.expires_at <= time.time():
            del self._sessions[key]
            return None
        return found

    async def end_session(self, key: str) -> AgentSession | None:
        return self._sessions.pop(key, None)

    async def end_sessions(self, agent_id: str) -> int:
        ended = [key for key, s in self._sessions.items() if s.agent_id == agent_id]
        for key in ended:
            del self._sessions[key]
        return len(ended)

    async def audit(
        self, event_type: str, agent_id: str, data: Mapping[str, Any], now: float
    ) -> None:
        self.audit_trail.append({"type": event_type, "agent_id": agent_id, **dict(data), "ts": now})


class MemoryLinkStore:
    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, float]] = {}  # hash -> (customer, expires_at)
        self._links: dict[tuple[str, str], ChatLink] = {}
        self.audit_trail: list[dict[str, Any]] = []

    async def replace_code(self, code_hash: str, customer_id: str, expires_at: float) -> bool:
        now = time.time()
        self._codes = {
            h: (who, until)
            for h, (who, until) in self._codes.items()
            if who != customer_id and until > now
        }
        if code_hash in self._codes:
            return False
        self._codes[code_hash] = (customer_id, expires_at)
        return True

    async def take_code(self, code_hash: str, now: float) -> str | None:
        found = self._codes.pop(code_hash, None)
        return found[0] if found and found[1] > now else None

    async def link_for(self, channel: str, channel_user_id: str) -> ChatLink | None:
        return self._links.get((channel, channel_user_id))

    async def links_of(self, customer_id: str) -> list[ChatLink]:
        found = [link for link in self._links.values() if link.customer_id == customer_id]
        return sorted(found, key=lambda link: link.linked_at)

    async def add_link(self, link: ChatLink) -> None:
        if (link.channel, link.channel_user_id) in self._links:
            raise AlreadyExists(f"{link.channel}:{link.channel_user_id}")
        self._links[(link.channel, link.channel_user_id)] = link

    async def remove_link_of(self, customer_id: str, link_id: str) -> ChatLink | None:
        for key, link in self._links.items():
            if link.id == link_id and link.customer_id == customer_id:
                return self._links.pop(key)
        return None

    async def audit(self, event_type: str, data: Mapping[str, Any], now: float) -> None:
        self.audit_trail.append({"type": event_type, "data": dict(data), "ts": now})


class MemoryChatStore:
    def __init__(self) -> None:
        self._conversations: dict[str, str] = {}
        self._payloads: dict[str, str] = {}
        self.deliveries: dict[str, dict[str, Any]] = {}

    async def chat_conversation(self, key: str) -> str | None:
        return self._conversations.get(key)

    async def start_chat_conversation(self, key: str, conversation_id: str, now: float) -> None:
        self._conversations[key] = conversation_id

    async def put_payload(self, button_id: str, payload: str, now: float) -> None:
        self._payloads[button_id] = payload

    async def payload(self, button_id: str) -> str | None:
        return self._payloads.get(button_id)

    async def sent(
        self, message_id: str, channel: str, conversation_id: str | None, recipient: str, now: float
    ) -> None:
        record = self.deliveries.setdefault(message_id, {"statuses": []})
        record.update(
            channel=channel, conversation_id=conversation_id, recipient=recipient, sent_at=now
        )

    async def delivery_status(
        self, message_id: str, channel: str, entry: Mapping[str, Any], now: float
    ) -> None:
        record = self.deliveries.setdefault(message_id, {"statuses": []})
        if dict(entry) not in record["statuses"]:
            record["statuses"].append(dict(entry))
        record.update(channel=channel, updated_at=now)


class MemoryFileStore:
    """`FileStore` for one worker: what an offline run or a single dev worker serves."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._files: dict[str, tuple[float, KeptFile]] = {}

    async def put(self, file_id: str, file: KeptFile, ttl_seconds: float) -> None:
        now = self._clock()
        self._files = {k: v for k, v in self._files.items() if v[0] > now}
        self._files[file_id] = (now + ttl_seconds, file)

    async def get(self, file_id: str) -> KeptFile | None:
        until, file = self._files.get(file_id, (0.0, None))
        return file if until > self._clock() else None
