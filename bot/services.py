"""Assembles the engine from settings: the ports, their adapters, and the turn engine."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

from actions.bank_client import BankClient
from actions.registry import load_actions
from bot.auth.lockout import CustomerLockout
from bot.auth.notifier import DevOutbox
from bot.auth.otp import OtpService
from bot.auth.secrets import Secrets
from bot.auth.tokens import TokenVerifier
from bot.config import PROJECT_ROOT, ConfigError, Settings
from bot.conversations import Conversations, RedisSeqMarks
from bot.dialogue.domain import Domain, load_domain
from bot.dialogue.manager import DialogueManager
from bot.handoff.agents import AgentDirectory
from bot.handoff.desk import Desk
from bot.handoff.feed import Feed, agents_topic
from bot.handoff.presence import Presence, build_presence
from bot.handoff.sessions import AGENT_SECRET, Sessions, load_agent_secret
from bot.handoff.web_sender import BUS_CHANNELS, BusDelivered
from bot.handoff.wiring import Handoff
from bot.nlu.model import load_or_train
from bot.outbound import Outbound
from bot.store.bus import Bus
from bot.store.factory import build_bus, build_counters, build_lock, build_once_guard, connect_redis
from bot.store.mongo import MongoEventStore
from bot.store.ports import OnceGuard
from bot.turn import TurnEngine
from connectors.channels import Channels, open_channels

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    tokens: TokenVerifier
    bank: BankClient
    outbox: DevOutbox
    store: MongoEventStore
    engine: TurnEngine
    channels: Channels  # WhatsApp/Telegram webhooks, senders and account linking
    handoff: Handoff
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
    # One parsing thread a core: more threads only fight over the GIL (bench/load.py chat:
    # 424-438 turns/s with 2 threads, 335 with asyncio's default pool of 6).
    parsing = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="parse")
    handoff: Handoff | None = None
    try:
        outbox = DevOutbox()
        # -- handoff: presence, the bus, and the Redis seq marks that keep worker caches true
        bus = build_bus(settings, redis)
        space = settings.stores.mongodb_db
        presence = build_presence(
            redis, settings.handoff.presence_ttl_seconds, space, settings.stores.redis_prefix
        )
        marks = RedisSeqMarks(redis, settings.stores.redis_prefix) if redis is not None else None
        domain = load_domain(settings.dialogue.domain)
        dialogue = DialogueManager(
            domain,
            load_actions(),
            bank,
            OtpService(secrets.otp_key, outbox, settings.otp),
            settings,
            lockout=CustomerLockout(build_counters(settings, redis)),
            presence=presence,
        )
        engine = TurnEngine(
            nlu,
            dialogue,
            store,
            Conversations(store, marks=marks),
            build_lock(settings, redis),
            parsing,
            Feed(bus, space),
        )
        handoff = _build_handoff(settings, engine, store, domain, bank, bus, presence)
        async with open_channels(settings, secrets.otp_key, engine, redis) as channels:
            for channel, sender in channels.senders.items():
                handoff.outbound.register(channel, sender)  # agent replies reach chat apps
            tokens = TokenVerifier(settings.auth, secrets)
            yield Services(
                settings,
                tokens,
                bank,
                outbox,
                store,
                engine,
                channels,
                handoff,
                bus,
                build_once_guard(settings, redis),
            )
    finally:
        if handoff is not None:
            await handoff.close()
        await bank.aclose()
        await store.close()
        if redis is not None:
            await redis.aclose()
        parsing.shutdown(wait=False)


def _build_handoff(
    settings: Settings,
    engine: TurnEngine,
    store: MongoEventStore,
    domain: Domain,
    bank: BankClient,
    bus: Bus,
    presence: Presence,
) -> Handoff:
    """The agent console's services; customers on web/rest are reached through the bus."""
    outbound = Outbound({channel: BusDelivered() for channel in BUS_CHANNELS})
    uri, db = settings.stores.mongodb_uri, settings.stores.mongodb_db
    secret = load_agent_secret(settings.dev_mode, PROJECT_ROOT / "var")
    if secret is None:
        log.warning("agent console off: %s is not set", AGENT_SECRET)
    return Handoff(
        agents=AgentDirectory(uri, db),
        sessions=Sessions(secret, settings.handoff.session_hours * 3600) if secret else None,
        presence=presence,
        desk=Desk(uri, db, engine, store, domain, bank, outbound),
        outbound=outbound,
        bus=bus,
        agents_topic=agents_topic(db),
        beat_seconds=settings.handoff.presence_ttl_seconds / 3,
        secure_cookie=not settings.dev_mode,
    )
