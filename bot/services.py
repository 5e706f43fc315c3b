"""Assembles the engine from settings: the ports, their adapters, and the turn engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from actions.bank_client import BankClient
from actions.registry import load_actions
from bot.auth.notifier import DevOutbox
from bot.auth.otp import OtpService
from bot.auth.secrets import Secrets
from bot.auth.tokens import TokenVerifier
from bot.config import ConfigError, Settings
from bot.conversations import Conversations
from bot.dialogue.domain import load_domain
from bot.dialogue.manager import DialogueManager
from bot.nlu.model import load_or_train
from bot.store.bus import Bus
from bot.store.factory import build_bus, build_lock, build_once_guard, connect_redis
from bot.store.mongo import MongoEventStore
from bot.store.ports import OnceGuard
from bot.turn import TurnEngine


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    tokens: TokenVerifier
    bank: BankClient
    outbox: DevOutbox
    store: MongoEventStore
    engine: TurnEngine
    bus: Bus  # `conv:{id}` pushes to every socket of a conversation, on any worker
    once: OnceGuard  # drops a resent widget message that was already taken


def bank_base_url(settings: Settings) -> str:
    if settings.bank.base_url:
        return settings.bank.base_url.rstrip("/")
    if settings.bank.embedded_sandbox:
        return f"http://127.0.0.1:{settings.server.port}/sandbox"
    raise ConfigError("BANK_API_URL is required when the sandbox bank is not embedded")


@asynccontextmanager
async def build_services(settings: Settings, secrets: Secrets) -> AsyncIterator[Services]:
    if not settings.stores.mongodb_uri:
        raise ConfigError("MONGODB_URI is not set (make run starts a local SecantusDB for you)")
    nlu = await asyncio.to_thread(load_or_train, settings.nlu)
    store = MongoEventStore(settings.stores.mongodb_uri, settings.stores.mongodb_db)
    await store.open()
    redis = connect_redis(settings.stores.redis_url)
    bank = BankClient(bank_base_url(settings), secrets.bank_api_key, settings.bank.timeout_seconds)
    try:
        outbox = DevOutbox()
        dialogue = DialogueManager(
            load_domain(settings.dialogue.domain),
            load_actions(),
            bank,
            OtpService(secrets.otp_key, outbox, settings.otp),
            settings,
        )
        engine = TurnEngine(nlu, dialogue, store, Conversations(store), build_lock(settings, redis))
        yield Services(
            settings,
            TokenVerifier(settings.auth, secrets),
            bank,
            outbox,
            store,
            engine,
            build_bus(redis),
            build_once_guard(redis),
        )
    finally:
        await bank.aclose()
        await store.close()
        if redis is not None:
            await redis.aclose()
