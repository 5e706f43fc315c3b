"""Which messaging channels are on, and everything they need, assembled for the server.

WhatsApp and Telegram are configured only from the environment (the names are part of
the contract). A channel whose secrets are unset is off: its webhook answers 404. One
with some secrets but not all refuses to start, since that is a deployment mistake.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from bot.config import Settings
from bot.linking import AccountLinks
from bot.store.factory import build_counters, build_lock, build_once_guard
from bot.store.mongo import CLIENT_OPTIONS
from bot.turn import TurnEngine
from connectors.messaging import ButtonIds, ChatConversations, ChatSender, Messaging
from connectors.telegram import TelegramSender, TelegramSettings
from connectors.whatsapp import Deliveries, WhatsAppSender, WhatsAppSettings

SEND_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class WhatsAppChannel:
    settings: WhatsAppSettings
    sender: WhatsAppSender
    deliveries: Deliveries


@dataclass(frozen=True, slots=True)
class TelegramChannel:
    settings: TelegramSettings
    sender: TelegramSender


@dataclass(frozen=True, slots=True)
class Channels:
    messaging: Messaging
    links: AccountLinks
    whatsapp: WhatsAppChannel | None
    telegram: TelegramChannel | None

    @property
    def senders(self) -> dict[str, ChatSender]:
        """Senders by channel name, for `bot.outbound.Outbound`."""
        return self.messaging.senders

    @property
    def any_on(self) -> bool:
        return self.whatsapp is not None or self.telegram is not None


def load_channel_settings(
    env: Mapping[str, str] = os.environ,
) -> tuple[WhatsAppSettings | None, TelegramSettings | None]:
    return WhatsAppSettings.from_env(env), TelegramSettings.from_env(env)


@asynccontextmanager
async def open_channels(
    settings: Settings, link_key: bytes, engine: TurnEngine, redis: Redis | None
) -> AsyncIterator[Channels]:
    """Build the messaging channels; on exit, let queued turns finish and close clients."""
    whatsapp_settings, telegram_settings = load_channel_settings()
    client: AsyncMongoClient[dict] = AsyncMongoClient(settings.stores.mongodb_uri, **CLIENT_OPTIONS)
    http = httpx.AsyncClient(timeout=SEND_TIMEOUT_SECONDS)
    try:
        db = client.get_database(settings.stores.mongodb_db)
        counters = build_counters(settings, redis)
        links = AccountLinks(db, link_key, counters)
        await links.open()
        buttons = ButtonIds(db)
        whatsapp = telegram = None
        senders: dict[str, ChatSender] = {}
        if whatsapp_settings is not None:
            deliveries = Deliveries(db)
            sender = WhatsAppSender(whatsapp_settings, http, buttons, deliveries)
            whatsapp = WhatsAppChannel(whatsapp_settings, sender, deliveries)
            senders["whatsapp"] = sender
        if telegram_settings is not None:
            telegram = TelegramChannel(
                telegram_settings, TelegramSender(telegram_settings, http, buttons)
            )
            senders["telegram"] = telegram.sender
        messaging = Messaging(
            engine,
            links,
            ChatConversations(db),
            buttons,
            build_once_guard(settings, redis),
            build_lock(settings, redis),
            senders,
        )
        try:
            yield Channels(messaging, links, whatsapp, telegram)
        finally:
            await messaging.close()
    finally:
        await http.aclose()
        await client.close()
