"""The bank's signed alert webhook, `POST /webhooks/bank`, and delivering each alert.

An event is verified first (`bot.bank_events.verify`: signature over timestamp and body,
timestamp window), then recorded under the unique index on its id: a forged, stale or
replayed event is refused with nothing stored (401, 401, 409). Only then is
it told, unless quiet hours hold it until they end (`AlertDispatcher.release_due`, run
every `alerts.release_every_seconds` by every worker; one takes each held event).

Telling an alert is a write through the unit of work of each conversation it goes to, so
it is a `bot_message` event (`from: alert`, with the event id and kind) in that log: "why
did you message me" is answered from it, and a reply continues from it (a card-abroad
alert names the fraud flow and the card it is about). Where it goes:

- every conversation the customer has open in the widget now (`LiveChats`): the bus
  carries the stored event to the socket, on whichever worker holds it;
- each linked WhatsApp and Telegram chat, in the conversation that chat continues (a new
  one if it has none). On WhatsApp free text may only be sent within 24 hours of the
  customer's last message there; outside that window the alert goes as the approved
  template `alerts.whatsapp_template`, its text the one body parameter.

What became of it (channel, conversation, how) is stored on the event (`bank_events`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from bot import events as ev
from bot.bank_events import (
    SECRET_VARIABLE,
    AlertStore,
    BankEvent,
    Duplicate,
    EventRefused,
    QuietHours,
    verify,
)
from bot.config import AlertSettings
from bot.conversations import Conversations, Opening
from bot.dialogue.domain import Domain
from bot.dialogue.state import Draft
from bot.handlers import declared
from bot.linking import AccountLinks
from bot.messages import BotMessage
from bot.ports import ChatLink, LiveChats, StoreUnavailable, TurnLock
from connectors.deps import Provided, switched_on
from connectors.messaging import ChatConversations, ChatSender

log = logging.getLogger(__name__)
SESSION_WINDOW_SECONDS = 24 * 3600  # WhatsApp's customer-service window
FRAUD_FLOW = "compromised_card"  # where "that wasn't me" on a card-abroad alert leads

SAYS = declared(
    {
        "utter_alert_low_balance": ["account", "balance", "threshold"],
        "utter_alert_large_payment": ["account", "amount", "merchant", "threshold"],
        "utter_alert_salary": ["account", "amount", "balance"],
        "utter_alert_card_abroad": ["card", "amount", "merchant", "country"],
        "utter_alert_budget": ["category", "percent", "spent", "amount"],
    }
)


def _money(data: Mapping[str, str], key: str) -> str:
    try:
        amount = Decimal(data.get(f"{key}.Amount", ""))
    except InvalidOperation:
        return ""
    currency = data.get(f"{key}.Currency", "GBP")
    return f"£{amount:,.2f}" if currency == "GBP" else f"{amount:,.2f} {currency}"


@dataclass(frozen=True, slots=True)
class Told:
    """An alert as the customer reads it, and what a reply to it continues."""

    message: BotMessage
    about: dict[str, Any]  # stored with the message: kind, event id, when, continues, slots


class AlertDispatcher:
    def __init__(
        self,
        *,
        alerts: AlertStore,
        conversations: Conversations,
        links: AccountLinks,
        live: LiveChats,
        domain: Domain,
        settings: AlertSettings,
        lock: TurnLock,
        chats: ChatConversations | None = None,
        senders: Mapping[str, ChatSender] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        domain.require(SAYS, "bank alerts")
        self._alerts = alerts
        self._conversations = conversations
        self._links = links
        self._live = live
        self._domain = domain
        self._settings = settings
        self._lock = lock
        self._chats = chats
        self._senders = dict(senders or {})
        self._clock = clock
        self._quiet = QuietHours(settings.quiet_start, settings.quiet_end, settings.timezone)

    async def receive(self, event: BankEvent) -> str:
        """Record a verified event and tell it (or hold it): `delivered`, `held`; raises
        Duplicate for an event id received before (nothing is stored or sent again)."""
        now = self._clock()
        await self._alerts.record(event, now)
        until = self._quiet.until(now)
        if until is not None:
            await self._alerts.hold(event.event_id, until)
            return "held"
        await self.deliver(event)
        return "delivered"

    async def release_due(self) -> int:
        """Tell every held alert whose quiet hours are over; how many were told."""
        count = 0
        while (event := await self._alerts.take_due(self._clock())) is not None:
            await self.deliver(event)
            count += 1
        return count

    async def run(self) -> None:
        """Every worker looks for held alerts now and then; each is taken by one."""
        while True:
            await asyncio.sleep(self._settings.release_every_seconds)
            try:
                await self.release_due()
            except StoreUnavailable as exc:
                log.warning("held alerts not released now: %s", exc)
            except Exception:
                log.exception("releasing held alerts failed")

    async def deliver(self, event: BankEvent) -> list[dict[str, Any]]:
        deliveries: list[dict[str, Any]] = []
        for conversation_id in await self._live.of(event.customer_id):
            try:
                await self._write(conversation_id, event, None)
            except Exception:
                log.exception("alert %s: widget conversation not written", event.event_id)
                continue
            deliveries.append({"channel": "web", "conversation_id": conversation_id})
        for link in await self._links.chats_of(event.customer_id):
            sender = self._senders.get(link.channel)
            if sender is None or self._chats is None:
                continue
            try:
                deliveries.append(await self._to_chat(event, link, sender))
            except Exception as exc:
                log.warning(
                    "alert %s not sent on %s: %s", event.event_id, link.channel, type(exc).__name__
                )
                deliveries.append({"channel": link.channel, "failed": type(exc).__name__})
        await self._alerts.finished(event.event_id, deliveries, self._clock())
        return deliveries

    async def _to_chat(
        self, event: BankEvent, link: ChatLink, sender: ChatSender
    ) -> dict[str, Any]:
        assert self._chats is not None
        async with self._lock.hold(f"chat:{link.channel}:{link.channel_user_id}"):
            known = await self._chats.current(link.channel, link.channel_user_id, link.customer_id)
            opening = None
            if known is None:
                opening = Opening(link.customer_id, link.channel, link.channel_user_id)
            conversation_id = known or uuid.uuid4().hex
            told, last_user_at = await self._write(conversation_id, event, opening)
            if known is None:
                await self._chats.start(
                    link.channel, link.channel_user_id, link.customer_id, conversation_id
                )
        window_open = self._clock() - last_user_at < SESSION_WINDOW_SECONDS
        how = "text"
        if link.channel == "whatsapp" and not window_open:
            send_template = getattr(sender, "send_template", None)
            if send_template is None:
                raise RuntimeError("no template sender")
            await send_template(
                link.channel_user_id,
                self._settings.whatsapp_template,
                self._settings.whatsapp_template_language,
                [told.message.text],
                conversation_id,
            )
            how = "template"
        else:
            await sender.send_to(link.channel_user_id, [told.message], conversation_id)
        return {"channel": link.channel, "conversation_id": conversation_id, "sent_as": how}

    async def _write(
        self, conversation_id: str, event: BankEvent, opening: Opening | None
    ) -> tuple[Told, float]:
        """The alert as a bot message in the conversation's log (one write)."""
        result: dict[str, Any] = {}

        async def decide(draft: Draft) -> None:
            told = self.told(event, draft.state.last_seq + 1, draft.now)
            data = {**told.message.to_dict(), "alert": told.about, "from": "alert"}
            draft.add(ev.BOT_MESSAGE, **data)
            result["told"], result["last_user_at"] = told, draft.state.last_user_at

        await self._conversations.write(conversation_id, decide, opening=opening)
        return result["told"], result["last_user_at"]

    def told(self, event: BankEvent, seq: int, now: float) -> Told:
        data = event.data
        account = " ".join(p for p in (data.get("AccountName", ""), _ending(data, "Account")) if p)
        merchant = data.get("Merchant") or data.get("Description", "")
        about: dict[str, Any] = {"kind": event.kind, "event_id": event.event_id, "at": now}
        buttons: list[tuple[str, str]] = []
        if event.kind == "low_balance":
            variables = {
                "account": account,
                "balance": _money(data, "Balance"),
                "threshold": _money(data, "Threshold"),
            }
        elif event.kind == "large_payment":
            variables = {
                "account": account,
                "amount": _money(data, "Amount"),
                "merchant": merchant,
                "threshold": _money(data, "Threshold"),
            }
        elif event.kind == "salary":
            variables = {
                "account": account,
                "amount": _money(data, "Amount"),
                "balance": _money(data, "Balance"),
            }
        elif event.kind == "card_abroad":
            country = data.get("Country", "")
            name = f"country_{country}"
            card_kind = data.get("CardKind", "")
            label = (
                self._domain.text(f"alert_card_{card_kind}", {})
                if f"alert_card_{card_kind}" in self._domain.responses
                else ""
            )
            variables = {
                "card": " ".join(p for p in (label, _ending(data, "Card")) if p),
                "amount": _money(data, "Amount"),
                "merchant": merchant,
                "country": self._domain.text(name, {})
                if name in self._domain.responses
                else country,
            }
            about |= {"continues": FRAUD_FLOW, "slots": {}}
            if data.get("CardId"):
                about["slots"] = {"card": data["CardId"]}
        else:  # budget
            category = data.get("Category", "")
            if f"category_{category}" in self._domain.responses:
                category = self._domain.text(f"category_{category}", {})
            variables = {
                "category": category,
                "percent": data.get("Percent", ""),
                "spent": _money(data, "Spent"),
                "amount": _money(data, "Amount"),
            }
        message = self._domain.render(f"utter_alert_{event.kind}", variables, seq, buttons)
        return Told(message, about)


def _ending(data: Mapping[str, str], what: str) -> str:
    ending = data.get(f"{what}Ending", "")
    return f"••{ending}" if ending else ""


@dataclass(frozen=True, slots=True)
class BankWebhook:
    secret: str
    window_seconds: float
    dispatcher: AlertDispatcher


BANK_EVENTS: Provided[BankWebhook | None] = Provided("bank_events")
On = Annotated[BankWebhook, Depends(switched_on(BANK_EVENTS))]
router = APIRouter()


def load_secret(env: Mapping[str, str] = os.environ) -> str | None:
    secret = env.get(SECRET_VARIABLE, "").strip()
    return secret or None


@router.post("/webhooks/bank", include_in_schema=False)
async def bank_event(request: Request, hook: On) -> dict[str, str]:
    raw = await request.body()
    try:
        event = verify(
            hook.secret,
            request.headers.get("x-bank-timestamp"),
            request.headers.get("x-bank-signature"),
            raw,
            time.time(),
            hook.window_seconds,
        )
    except EventRefused as refused:
        log.warning("bank event refused: %s", refused.reason)
        status = 400 if refused.reason == "malformed" else 401
        raise HTTPException(status, refused.reason) from None
    try:
        outcome = await hook.dispatcher.receive(event)
    except Duplicate:  # a replay, or a redelivery of one already taken: nothing again
        raise HTTPException(409, "duplicate") from None
    except StoreUnavailable:
        raise HTTPException(503, "Try again later", headers={"Retry-After": "5"}) from None
    return {"status": outcome}


@contextlib.asynccontextmanager
async def releasing(dispatcher: AlertDispatcher) -> Any:
    """Run the held alerts' release loop for as long as the app runs."""
    task = asyncio.create_task(dispatcher.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
