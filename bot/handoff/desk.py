"""What an agent does to a conversation: claim, reply, note, hand back, close; the queue.

Every change is an event recorded through `TurnEngine.record`, under the conversation's
lock, so it is ordered with the customer's turns on every worker. A claim is also a
conditional update of the conversation document (`status: queued` -> `agent`): of two
agents clicking together, on the same worker or not, exactly one wins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pymongo import ASCENDING, AsyncMongoClient

from actions.bank_client import BankClient, BankError
from bot import events as ev
from bot.conversations import ConversationNotFound
from bot.dialogue.domain import Domain
from bot.dialogue.state import ConversationState
from bot.events import Event
from bot.handoff.agents import Agent
from bot.handoff.feed import TRANSCRIPT, transcript_entry
from bot.handoff.masking import masked_profile
from bot.messages import BotMessage
from bot.outbound import NoSender, Outbound
from bot.redact import mask_card_numbers
from bot.store.mongo import CLIENT_OPTIONS
from bot.store.ports import EventStore
from bot.turn import Plan, TurnEngine

log = logging.getLogger(__name__)

CANNED = Path(__file__).with_name("canned.yml")
MAX_TEXT_CHARS = 2000
QUEUE_LIMIT = 200


class DeskError(Exception):
    """Refused: `status` and `code` become the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _not_found() -> DeskError:
    return DeskError(404, "conversation_not_found", "No such conversation.")


def _not_yours() -> DeskError:
    return DeskError(403, "not_your_conversation", "Only the agent who claimed it can do that.")


@dataclass(frozen=True, slots=True)
class QueueItem:
    conversation_id: str
    status: str
    customer_id: str | None
    channel: str
    agent_id: str | None
    since: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "status": self.status,
            "customer_id": self.customer_id,
            "channel": self.channel,
            "agent_id": self.agent_id,
            "since": self.since,
        }


def load_canned(path: Path = CANNED) -> list[dict[str, str]]:
    items = yaml.safe_load(path.read_text())["canned"]
    return [{"title": str(i["title"]), "text": str(i["text"])} for i in items]


class Desk:
    def __init__(
        self,
        uri: str,
        db_name: str,
        engine: TurnEngine,
        store: EventStore,
        domain: Domain,
        bank: BankClient,
        outbound: Outbound,
    ) -> None:
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, **CLIENT_OPTIONS)
        self._conversations = self._client[db_name]["conversations"]
        self._engine = engine
        self._store = store
        self._domain = domain
        self._bank = bank
        self._outbound = outbound
        self.canned = load_canned()

    async def close(self) -> None:
        await self._client.close()

    # -- reading --------------------------------------------------------------------------

    async def queue(self) -> list[QueueItem]:
        """Conversations waiting for or held by a person, longest waiting first."""
        cursor = (
            self._conversations.find({"status": {"$in": ["queued", "agent"]}})
            .sort("status_since", ASCENDING)
            .limit(QUEUE_LIMIT)
        )
        return [
            QueueItem(
                doc["_id"],
                doc["status"],
                doc.get("customer_id"),
                doc.get("channel", ""),
                doc.get("agent_id"),
                doc.get("status_since", doc.get("updated_at", 0.0)),
            )
            async for doc in cursor
        ]

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        """The transcript (notes included: this is for agents only) and the masked profile.

        Only conversations that were handed over are shown: agents have no business reading
        chats the bot handled alone.
        """
        record = await self._store.get_conversation(conversation_id)
        if record is None:
            raise _not_found()
        events = await self._store.events(conversation_id)
        if not any(e.type == ev.HANDOFF for e in events):
            raise _not_found()
        state = ConversationState.replay(conversation_id, events)
        profile = None
        if record.customer_id:
            try:
                customer = await self._bank.get_customer(record.customer_id)
                accounts = await self._bank.list_accounts(record.customer_id)
                profile = masked_profile(customer, accounts)
            except BankError:
                log.warning("profile of %s unavailable", record.customer_id)
        return {
            "conversation_id": conversation_id,
            "status": state.status,
            "agent_id": state.agent_id,
            "channel": record.channel,
            "customer": profile,
            "transcript": [transcript_entry(e) for e in events if e.type in TRANSCRIPT],
        }

    # -- acting ---------------------------------------------------------------------------

    async def claim(self, agent: Agent, conversation_id: str) -> list[Event]:
        async def plan(state: ConversationState) -> Sequence[Event]:
            if state.status != "queued":
                raise DeskError(409, "already_claimed", "Someone else has already taken this.")
            taken = await self._conversations.update_one(
                {"_id": conversation_id, "status": "queued"},
                {"$set": {"status": "agent", "agent_id": agent.id, "status_since": time.time()}},
            )
            if taken.modified_count != 1:
                raise DeskError(409, "already_claimed", "Someone else has already taken this.")
            return [
                Event(ev.HANDOFF, {"status": "agent", "reason": "claimed", "agent_id": agent.id}),
                self._notice(state, 2, "utter_agent_joined", agent),
            ]

        try:
            recorded = await self._record(conversation_id, plan)
        except DeskError:
            raise
        except Exception:
            # The log still says queued: put the document back so the claim can be retried.
            await self._conversations.update_one(
                {"_id": conversation_id, "status": "agent", "agent_id": agent.id},
                {"$set": {"status": "queued", "agent_id": None}},
            )
            raise
        await self._deliver(conversation_id, recorded)
        return recorded

    async def reply(self, agent: Agent, conversation_id: str, text: str) -> list[Event]:
        text = _text(text)

        async def plan(state: ConversationState) -> Sequence[Event]:
            _hold(state, agent)
            return [
                Event(
                    ev.AGENT_MESSAGE, {"agent_id": agent.id, "agent_name": agent.name, "text": text}
                )
            ]

        recorded = await self._record(conversation_id, plan)
        await self._deliver(conversation_id, recorded)
        return recorded

    async def note(self, agent: Agent, conversation_id: str, text: str) -> list[Event]:
        """Internal: stored and shown to agents, never published to the customer."""
        text = _text(text)

        async def plan(state: ConversationState) -> Sequence[Event]:
            if state.status not in ("queued", "agent"):
                raise DeskError(409, "not_handed_over", "Notes go on queued or held conversations.")
            return [
                Event(ev.AGENT_NOTE, {"agent_id": agent.id, "agent_name": agent.name, "text": text})
            ]

        return await self._record(conversation_id, plan)

    async def hand_back(self, agent: Agent, conversation_id: str) -> list[Event]:
        """The bot takes over again with the state it had: slots, sign-in strength, history."""
        return await self._finish(agent, conversation_id, "bot", "utter_agent_handed_back")

    async def close_conversation(self, agent: Agent, conversation_id: str) -> list[Event]:
        return await self._finish(agent, conversation_id, "closed", "utter_agent_closed")

    async def _finish(
        self, agent: Agent, conversation_id: str, status: str, response: str
    ) -> list[Event]:
        async def plan(state: ConversationState) -> Sequence[Event]:
            _hold(state, agent)
            reason = "agent_handed_back" if status == "bot" else "agent_closed"
            return [
                Event(ev.HANDOFF, {"status": status, "reason": reason, "agent_id": agent.id}),
                self._notice(state, 2, response, agent),
            ]

        recorded = await self._record(conversation_id, plan)
        await self._deliver(conversation_id, recorded)
        return recorded

    # -- helpers --------------------------------------------------------------------------

    async def _record(self, conversation_id: str, plan: Plan) -> list[Event]:
        try:
            return await self._engine.record(conversation_id, plan)
        except ConversationNotFound:
            raise _not_found() from None

    def _notice(self, state: ConversationState, offset: int, key: str, agent: Agent) -> Event:
        """A message from the system (not the bot's dialogue) about who is talking."""
        message = self._domain.render(key, {"agent_name": agent.name}, state.last_seq + offset)
        return Event(ev.BOT_MESSAGE, {**message.to_dict(), "from": "system"})

    async def _deliver(self, conversation_id: str, recorded: Sequence[Event]) -> None:
        """Send what the customer must see on their own channel (web: already on the bus)."""
        messages = [
            BotMessage.from_dict(e.data)
            for e in recorded
            if e.type in (ev.BOT_MESSAGE, ev.AGENT_MESSAGE)
        ]
        if not messages:
            return
        record = await self._store.get_conversation(conversation_id)
        if record is None:
            return
        try:
            await self._outbound.deliver(record, messages)
        except NoSender:
            log.error("no sender for channel %r; conversation %s", record.channel, conversation_id)


def _hold(state: ConversationState, agent: Agent) -> None:
    if state.status != "agent" or state.agent_id != agent.id:
        raise _not_yours()


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise DeskError(400, "empty_message", "Write something first.")
    if len(text) > MAX_TEXT_CHARS:
        raise DeskError(400, "message_too_long", f"At most {MAX_TEXT_CHARS} characters.")
    return mask_card_numbers(text)
