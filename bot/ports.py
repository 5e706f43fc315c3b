"""Every port the engine talks to the world through, and the errors they raise.

The engine (everything under `bot/` but its adapters) names only these Protocols. Their
adapters live by technology in `bot/store/`: `mongo/` (PyMongo's AsyncMongoClient),
`redis.py` (redis.asyncio) and `memory.py` (in-process twins for one worker, unit tests
and the shell). Every adapter turns its driver's errors into `StoreUnavailable`, so no
caller ever catches a driver exception. The notifier's channels live in `bot/notify/`
(SMS and push over httpx, email over aiosmtplib) and turn theirs into `DeliveryFailed`.
The bank port lives beside these in `bot/bank.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.events import Event
from bot.messages import BotMessage

# -- errors -------------------------------------------------------------------------------


class StoreUnavailable(RuntimeError):
    """A store cannot be reached; callers answer 503 and keep nothing half-done."""


class SeqConflict(RuntimeError):
    """Another writer already appended an event with one of these sequence numbers."""


class UnstorableEvent(ValueError):
    """An event or conversation field holds a value the store cannot encode (MongoDB: a NUL
    in a key, an int over 8 bytes, a lone surrogate); nothing of that append was stored."""


class LockTimeout(RuntimeError):
    """A conversation's lock could not be taken in time (another turn is still running)."""


class ConversationNotFound(LookupError):
    """Unknown, or owned by someone else: callers must not be able to tell which."""


class AlreadyExists(ValueError):
    """A record with this key exists already (an agent's name, a link)."""


# -- conversations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """The conversation document: who owns it and what the agents' queue lists it by.

    Written by the unit of work only (`bot.conversations`), when a conversation opens or
    its status or holder changes; the event log is the truth, this is its index.
    """

    id: str
    customer_id: str | None
    channel: str
    created_at: float
    status: str = "bot"
    agent_id: str | None = None
    status_since: float = 0.0
    last_seq: int = 0
    channel_user_id: str | None = None


class EventStore(Protocol):
    async def get_conversation(self, conversation_id: str) -> ConversationRecord | None: ...

    async def conversations(self, statuses: Sequence[str], limit: int) -> list[ConversationRecord]:
        """Conversations in one of `statuses`, longest in that status first."""
        ...

    async def append(
        self, conversation_id: str, events: Sequence[Event], document: Mapping[str, Any]
    ) -> None:
        """Store events (their `seq` already set) and set `document` fields on the
        conversation document (an empty mapping writes events only).

        All or nothing per call: raises SeqConflict if any (conversation, seq) exists,
        UnstorableEvent if a value cannot be encoded, StoreUnavailable if unreachable.
        """
        ...

    async def events(self, conversation_id: str, after_seq: int = 0) -> list[Event]: ...

    async def ping(self) -> None: ...


class TurnLock(Protocol):
    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold `key` exclusively across workers; raises LockTimeout if not had in time."""
        ...


class SeqMarks(Protocol):
    """A conversation's last seq, shared by the workers so each can trust its cache."""

    async def get(self, conversation_id: str) -> int | None: ...

    async def set(self, conversation_id: str, seq: int) -> None: ...


# -- between workers ----------------------------------------------------------------------

BusMessage = tuple[str, dict[str, Any]]  # (topic, payload)


class Subscription(Protocol):
    async def get(self, within: float | None = None) -> BusMessage | None:
        """The next message, or None if `within` seconds pass first."""
        ...


class Bus(Protocol):
    """At-most-once pub/sub of JSON-able dicts to subscribers present when published;
    what a late subscriber must see is replayed from the event store, not from the bus."""

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None: ...

    def subscribe(self, *topics: str) -> AbstractAsyncContextManager[Subscription]:
        """`async with bus.subscribe("conv:ID") as sub:`; unsubscribes on exit."""
        ...


class OnceGuard(Protocol):
    async def first_time(self, key: str, ttl_seconds: int) -> bool:
        """True only for the first caller with `key` within `ttl_seconds` (delivery dedup)."""
        ...


@dataclass(frozen=True, slots=True)
class KeptFile:
    """A file Teller made for one customer (a statement, a chart), kept only until its link
    expires: the bytes are the bank's data, never kept longer."""

    customer_id: str
    name: str
    media_type: str
    content: bytes
    expires_at: float  # epoch seconds: the link stops working then


class FileStore(Protocol):
    """Short-lived files by a random id, shared by every worker (Redis in production)."""

    async def put(self, file_id: str, file: KeptFile, ttl_seconds: float) -> None: ...

    async def get(self, file_id: str) -> KeptFile | None:
        """None once `ttl_seconds` have passed, or for an id never kept."""
        ...


class Claim(StrEnum):
    CLAIMED = "claimed"  # yours to process, until the lease runs out
    BUSY = "busy"  # someone holds a live claim: it is being processed (or its worker died)
    DONE = "done"  # processed already: a repeat


class DeliveryClaims(Protocol):
    """Two-phase dedup of platform deliveries (which arrive at least once): a delivery is
    claimed for a short lease while it is processed, and done only once its turn is
    stored, so a retry after a crash is processed and a retry of a finished one is not."""

    async def claim(self, key: str, token: str, lease_seconds: float) -> Claim:
        """Claim `key` for `lease_seconds` under `token`, unless it is claimed or done."""
        ...

    async def done(self, key: str, ttl_seconds: int) -> None:
        """`key` was processed: repeats within `ttl_seconds` are DONE."""
        ...

    async def release(self, key: str, token: str) -> None:
        """Give up our claim (processing failed before anything was stored), so the next
        delivery of `key` is processed at once; someone else's claim is left alone."""
        ...


class Counters(Protocol):
    """Expiring counters and flags: OTP lockout, link-code guessing, agent sign-in limits."""

    async def incr(self, key: str, window_seconds: float) -> int:
        """Add one to `key` and return its count; the count resets `window_seconds` after
        the first increment (a fixed window)."""
        ...

    async def record(self, key: str, window_seconds: float) -> int:
        """Note one event under `key` now; how many it has had in the last
        `window_seconds`, this one included (a sliding window: each event counts for
        exactly that long, so a burst cannot straddle a reset)."""
        ...

    async def recent(self, key: str, window_seconds: float) -> int:
        """How many events `record` noted under `key` in the last `window_seconds`."""
        ...

    async def flag(self, key: str, ttl_seconds: float) -> None:
        """Set `key` for `ttl_seconds`."""
        ...

    async def flagged(self, key: str) -> bool: ...

    async def expires_in(self, key: str) -> float:
        """Seconds until `key` (a count or a flag) expires; 0 when it is not set."""
        ...

    async def forget(self, key: str) -> None:
        """Drop `key` (a count or a flag) now."""
        ...


class Presence(Protocol):
    """Which agents have the console open: beats with a time-to-live."""

    async def beat(self, agent_id: str) -> None: ...

    async def leave(self, agent_id: str) -> None: ...

    async def online(self) -> int:
        """How many agents are online now."""
        ...


class LiveChats(Protocol):
    """Which conversations a customer has open in the widget now, on any worker: beats
    with a time-to-live, so a worker that died forgets its sockets on its own."""

    async def beat(self, customer_id: str, conversation_id: str) -> None: ...

    async def leave(self, customer_id: str, conversation_id: str) -> None: ...

    async def of(self, customer_id: str) -> list[str]:
        """The customer's conversations with a socket open now."""
        ...


# -- reaching people ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a notice is for, as the bank knows them."""

    customer_id: str
    phone: str = ""
    email: str = ""
    prefers: str = ""  # sms | email | push when the customer chose one with the bank, else ""


@dataclass(frozen=True, slots=True)
class Notice:
    """One message in every form a channel needs: `text` is the SMS, the push body and the
    email's plain-text part; `subject` the email's subject and the push title."""

    text: str
    subject: str = ""
    html: str = ""  # the email's HTML part


@dataclass(frozen=True, slots=True)
class Delivered:
    """Where a notice went: the step-up tells the customer where to look."""

    channel: str  # sms | email | push | outbox
    address: str  # the phone number or email address used; the customer id for push


class NotDelivered(RuntimeError):
    """No channel could deliver the notice. The message names channels, never the notice."""


class DeliveryFailed(RuntimeError):
    """One channel could not deliver. `transient` (a timeout, a 5xx, a dropped connection)
    is worth one more try; anything else is not. `reason` is safe to log: it never quotes
    what was sent."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class Notifier(Protocol):
    """Delivers one-time codes (SMS, email, push; a dev outbox locally)."""

    async def send(self, recipient: Recipient, notice: Notice) -> Delivered:
        """Deliver `notice` on one channel; raises NotDelivered when none could."""
        ...


class NoticeChannel(Protocol):
    """One technology that reaches a customer (`bot/notify/`): SMS, email or push."""

    name: str  # sms | email | push: what otp.notifiers and a customer's preference say

    def address(self, recipient: Recipient) -> str | None:
        """Where this channel reaches `recipient`, or None when the bank has nothing usable."""
        ...

    async def deliver(self, address: str, recipient: Recipient, notice: Notice) -> None:
        """Send once; raises DeliveryFailed."""
        ...


class ChannelSender(Protocol):
    """Delivers messages that answer no request (an agent's reply) on a conversation's
    own channel, e.g. to `channel_user_id` on WhatsApp."""

    async def send(
        self, conversation: ConversationRecord, messages: Sequence[BotMessage]
    ) -> None: ...


# -- records beside the conversations -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentRecord:
    id: str  # the sign-in name
    display_name: str  # what customers and colleagues see
    password_hash: str  # argon2id; the password itself is never stored
    created_at: float
    disabled: bool = False  # may not sign in; their sessions have ended
    failed_sign_ins: int = 0  # wrong passwords since the last right one
    locked_at: float | None = None  # locked by wrong passwords until an operator enables it
    sessions_valid_after: float = 0.0  # sessions opened at or before this have ended
    last_sign_in_at: float | None = None


# What `AgentStore.update` may change.
AGENT_CHANGES = frozenset(
    {
        "display_name",
        "password_hash",
        "disabled",
        "sessions_valid_after",
        "last_sign_in_at",
        "failed_sign_ins",
        "locked_at",
    }
)


@dataclass(frozen=True, slots=True)
class AgentSession:
    """A console session; the cookie carries the session id, which is stored only hashed."""

    key: str  # SHA-256 of the session id
    agent_id: str
    created_at: float
    expires_at: float


class AgentStore(Protocol):
    """Agents, their console sessions, and the audit trail of what happened to them."""

    async def add(self, agent: AgentRecord) -> None:
        """Raises AlreadyExists when the name is taken."""
        ...

    async def get(self, agent_id: str) -> AgentRecord | None: ...

    async def agents(self) -> list[AgentRecord]:
        """Every agent, by name."""
        ...

    async def update(self, agent_id: str, changes: Mapping[str, Any]) -> bool:
        """Set fields (names from AGENT_CHANGES); False when there is no such agent."""
        ...

    async def count_failure(self, agent_id: str) -> int:
        """Add one to the agent's failed sign-ins, atomically; the new count (0: no agent)."""
        ...

    async def lock(self, agent_id: str, now: float) -> bool:
        """Lock the agent unless locked already; True for the call that locked it."""
        ...

    async def add_session(self, session: AgentSession) -> None: ...

    async def session(self, key: str) -> AgentSession | None:
        """The session, while it has not expired or ended."""
        ...

    async def end_session(self, key: str) -> AgentSession | None:
        """End one session; the session it was, or None if there was none."""
        ...

    async def end_sessions(self, agent_id: str) -> int:
        """End every session of the agent; how many there were."""
        ...

    async def audit(
        self, event_type: str, agent_id: str, data: Mapping[str, Any], now: float
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class ChatLink:
    """A WhatsApp number or Telegram chat that speaks for a bank customer."""

    id: str  # opaque; what the customer revokes it by
    channel: str
    channel_user_id: str
    customer_id: str
    linked_at: float


class LinkStore(Protocol):
    """Account-linking records: keyed code hashes, links, and their audit trail."""

    async def replace_code(self, code_hash: str, customer_id: str, expires_at: float) -> bool:
        """Drop the customer's earlier codes (and expired ones) and store this one;
        False if another customer holds the same hash right now."""
        ...

    async def take_code(self, code_hash: str, now: float) -> str | None:
        """Redeem a live code once: the customer it was issued to, else None."""
        ...

    async def link_for(self, channel: str, channel_user_id: str) -> ChatLink | None: ...

    async def links_of(self, customer_id: str) -> list[ChatLink]:
        """The customer's links, oldest first."""
        ...

    async def add_link(self, link: ChatLink) -> None:
        """Raises AlreadyExists when the chat is linked already."""
        ...

    async def remove_link_of(self, customer_id: str, link_id: str) -> ChatLink | None:
        """Remove the customer's link `link_id`; None if they have no such link (an id of
        someone else's link is no link of theirs)."""
        ...

    async def audit(self, event_type: str, data: Mapping[str, Any], now: float) -> None: ...


class ChatStore(Protocol):
    """What messaging channels keep: which conversation a chat continues, long button
    payloads behind short ids, and the delivery statuses of what was sent."""

    async def chat_conversation(self, key: str) -> str | None: ...

    async def start_chat_conversation(self, key: str, conversation_id: str, now: float) -> None: ...

    async def put_payload(self, button_id: str, payload: str, now: float) -> None: ...

    async def payload(self, button_id: str) -> str | None: ...

    async def sent(
        self, message_id: str, channel: str, conversation_id: str | None, recipient: str, now: float
    ) -> None: ...

    async def delivery_status(
        self, message_id: str, channel: str, entry: Mapping[str, Any], now: float
    ) -> None:
        """Add a status callback to a sent message's record; a repeat is stored once."""
        ...
