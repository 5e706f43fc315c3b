"""What an agent does to a conversation: claim, reply, note, hand back, close; the queue.

Every change is one write through the unit of work (`Conversations.write`), under the
conversation's lock, so it is ordered with the customer's turns on every worker, and the
conversation document is written there and nowhere else. A claim decides on the state
read under that lock: of two agents clicking together, on the same worker or not, exactly
one sees the conversation still queued (and were a worker's cache stale, the log's unique
sequence numbers would refuse the second write).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import events as ev
from bot.bank import Bank, BankError
from bot.conversations import Conversations, Decide
from bot.dialogue.domain import Domain
from bot.dialogue.state import ConversationState, Draft
from bot.events import Event
from bot.handlers import declared
from bot.handoff.agents import Agent
from bot.handoff.cases import CASE_TEXTS, attached_references, case_summaries
from bot.handoff.masking import masked_profile
from bot.messages import BotMessage
from bot.outbound import NoSender, Outbound
from bot.ports import ConversationNotFound, EventStore
from bot.redact import mask_card_numbers

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
QUEUE_LIMIT = 200
SAYS = declared(
    {
        "utter_agent_joined": ["agent_name"],
        "utter_agent_handed_back": ["agent_name"],
        "utter_agent_closed": ["agent_name"],
    }
)


class DeskError(Exception):
    """Refused: `status` and `code` become the HTTP answer; the console shows the
    response `error_<code>` from the domain, filled with `variables`."""

    def __init__(self, status: int, code: str, **variables: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.variables = status, code, variables


ERRORS = declared(
    {
        "error_conversation_not_found": [],
        "error_already_claimed": [],
        "error_not_your_conversation": [],
        "error_not_handed_over": [],
        "error_empty_message": [],
        "error_message_too_long": ["max_chars"],
    }
)


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


class Desk:
    def __init__(
        self,
        *,
        conversations: Conversations,
        store: EventStore,
        domain: Domain,
        bank: Bank,
        outbound: Outbound,
    ) -> None:
        domain.require(SAYS, "the agent desk")
        domain.require(ERRORS, "the agent desk")
        domain.require(CASE_TEXTS, "the agent desk's case list")
        self._conversations = conversations
        self._store = store
        self._domain = domain
        self._bank = bank
        self._outbound = outbound

    @property
    def canned(self) -> list[dict[str, str]]:
        return [{"title": c.title, "text": c.text} for c in self._domain.canned]

    # -- reading --------------------------------------------------------------------------

    async def queue(self) -> list[QueueItem]:
        """Conversations waiting for or held by a person, longest waiting first."""
        records = await self._store.conversations(("queued", "agent"), QUEUE_LIMIT)
        return [
            QueueItem(r.id, r.status, r.customer_id, r.channel, r.agent_id, r.status_since)
            for r in records
        ]

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        """The transcript (notes included: this is for agents only) and the masked profile.

        Only conversations that were handed over are shown: agents have no business reading
        chats the bot handled alone.
        """
        record = await self._store.get_conversation(conversation_id)
        if record is None:
            raise DeskError(404, "conversation_not_found")
        events = await self._store.events(conversation_id)
        if not any(e.type == ev.HANDOFF for e in events):
            raise DeskError(404, "conversation_not_found")
        state = ConversationState.replay(conversation_id, events)
        profile, cases = None, []
        if record.customer_id:
            try:
                customer = await self._bank.get_customer(record.customer_id)
                accounts = await self._bank.list_accounts(record.customer_id)
                profile = masked_profile(customer, accounts)
            except BankError:
                log.warning("profile of %s unavailable", record.customer_id)
            try:
                found = await self._bank.list_cases(record.customer_id)
                cases = case_summaries(
                    found, attached_references(events), lambda key: self._domain.text(key, {})
                )
            except BankError:
                log.warning("cases of %s unavailable", record.customer_id)
        return {
            "conversation_id": conversation_id,
            "status": state.status,
            "agent_id": state.agent_id,
            "channel": record.channel,
            "customer": profile,
            "cases": cases,
            "transcript": [e.to_entry() for e in events if e.type in ev.TRANSCRIPT],
        }

    # -- acting ---------------------------------------------------------------------------

    async def claim(self, agent: Agent, conversation_id: str) -> list[Event]:
        async def decide(draft: Draft) -> None:
            if draft.state.status != "queued":
                raise DeskError(409, "already_claimed")
            draft.add(ev.HANDOFF, status="agent", reason="claimed", agent_id=agent.id)
            self._notice(draft, "utter_agent_joined", agent)

        return await self._write(conversation_id, decide, deliver=True)

    async def reply(self, agent: Agent, conversation_id: str, text: str) -> list[Event]:
        text = _text(text)

        async def decide(draft: Draft) -> None:
            _hold(draft.state, agent)
            draft.add(ev.AGENT_MESSAGE, agent_id=agent.id, agent_name=agent.name, text=text)

        return await self._write(conversation_id, decide, deliver=True)

    async def note(self, agent: Agent, conversation_id: str, text: str) -> list[Event]:
        """Internal: stored and shown to agents, never published to the customer."""
        text = _text(text)

        async def decide(draft: Draft) -> None:
            if draft.state.status not in ("queued", "agent"):
                raise DeskError(409, "not_handed_over")
            draft.add(ev.AGENT_NOTE, agent_id=agent.id, agent_name=agent.name, text=text)

        return await self._write(conversation_id, decide, deliver=False)

    async def hand_back(self, agent: Agent, conversation_id: str) -> list[Event]:
        """The bot takes over again with the state it had: slots, sign-in strength, history."""
        return await self._finish(agent, conversation_id, "bot", "utter_agent_handed_back")

    async def close_conversation(self, agent: Agent, conversation_id: str) -> list[Event]:
        return await self._finish(agent, conversation_id, "closed", "utter_agent_closed")

    async def _finish(
        self, agent: Agent, conversation_id: str, status: str, response: str
    ) -> list[Event]:
        reason = "agent_handed_back" if status == "bot" else "agent_closed"

        async def decide(draft: Draft) -> None:
            _hold(draft.state, agent)
            draft.add(ev.HANDOFF, status=status, reason=reason, agent_id=agent.id)
            self._notice(draft, response, agent)

        return await self._write(conversation_id, decide, deliver=True)

    # -- helpers --------------------------------------------------------------------------

    async def _write(self, conversation_id: str, decide: Decide, deliver: bool) -> list[Event]:
        try:
            written = await self._conversations.write(conversation_id, decide)
        except ConversationNotFound:
            raise DeskError(404, "conversation_not_found") from None
        if deliver:
            await self._deliver(conversation_id, written.events)
        return list(written.events)

    def _notice(self, draft: Draft, key: str, agent: Agent) -> None:
        """A message from the system (not the bot's dialogue) about who is talking."""
        message = self._domain.render(key, {"agent_name": agent.name}, draft.state.last_seq + 1)
        draft.add(ev.BOT_MESSAGE, **message.to_dict(), **{"from": "system"})

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
        raise DeskError(403, "not_your_conversation")


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise DeskError(400, "empty_message")
    if len(text) > MAX_TEXT_CHARS:
        raise DeskError(400, "message_too_long", max_chars=MAX_TEXT_CHARS)
    return mask_card_numbers(text)
