"""The composition root: Teller assembled from settings, the one module that knows it all.

`open_teller` builds the engine and its adapters (MongoDB or in-memory stores, Redis or
in-process coordination, the bank over HTTP or in process, the notifier that delivers
one-time codes), the actions, the agent desk and the chat apps, with keyword arguments so
every wire is visible. `create_app` puts the channels' routes on top of that (`server.py`
runs it); `open_offline` is the same engine with nothing but the process (in-memory stores,
an in-process sandbox bank, the dev outbox) for the shell and the conversation tests.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from actions.bank_client import BankClient
from actions.cached_bank import CachedBank
from actions.registry import load_actions
from bot.auth.lockout import CustomerLockout
from bot.auth.otp import SAYS as OTP_SAYS
from bot.auth.otp import OtpService
from bot.auth.secrets import Secrets, load_secrets
from bot.auth.tokens import TokenVerifier
from bot.bank import Bank
from bot.bank_events import AlertStore
from bot.config import (
    DEV_OUTBOX,
    PROJECT_ROOT,
    ConfigError,
    OtpSettings,
    Settings,
    load_settings,
    notifier_names,
    require_serving,
)
from bot.conversations import Conversations, agents_topic
from bot.dialogue.alerts import BudgetAlerts
from bot.dialogue.domain import Domain, load_domain
from bot.dialogue.manager import SAYS as DIALOGUE_SAYS
from bot.dialogue.manager import DialogueManager
from bot.files import FILES_SECRET, FileLinks, FileShelf, load_files_secret
from bot.handlers import Action
from bot.handoff.agents import Agents, SessionsEnded, sessions_topic
from bot.handoff.desk import ERRORS as DESK_ERRORS
from bot.handoff.desk import SAYS as DESK_SAYS
from bot.handoff.desk import Desk
from bot.handoff.limits import SignInLimits, SignInPolicy
from bot.handoff.sessions import AGENT_SECRET, Sessions, load_agent_secret
from bot.linking import AccountLinks
from bot.nlu.model import NluModel, load_or_train
from bot.notify.email import EmailChannel, EmailSettings
from bot.notify.fallback import FallbackNotifier
from bot.notify.push import PushChannel, PushSettings
from bot.notify.sms import SmsChannel, SmsSettings
from bot.observe.bank import MeteredBank
from bot.outbound import Outbound
from bot.ports import (
    AgentStore,
    Bus,
    ChannelSender,
    ChatStore,
    ConversationRecord,
    Counters,
    DeliveryClaims,
    EventStore,
    FileStore,
    LinkStore,
    LiveChats,
    NoticeChannel,
    Notifier,
    OnceGuard,
    Presence,
    SeqMarks,
    TurnLock,
)
from bot.store import memory, redis
from bot.store.memory_alerts import MemoryAlertStore, MemoryLiveChats
from bot.store.mongo import connect_mongo
from bot.store.mongo.alerts import MongoAlertStore
from bot.store.mongo.events import MongoEventStore
from bot.store.mongo.records import MongoAgentStore, MongoChatStore, MongoLinkStore
from bot.turn import TurnEngine
from connectors import (
    agent,
    bank_events,
    deps,
    dev,
    files,
    link_codes,
    observe,
    rest,
    telegram,
    websocket,
    whatsapp,
)
from connectors.attachments import SAYS as ATTACHMENT_SAYS
from connectors.errors import SAYS as ERROR_SAYS
from connectors.errors import install_error_handlers
from connectors.limits import BodyLimit
from connectors.link_codes import SAYS as LINK_CODE_SAYS
from connectors.messaging import SAYS as CHAT_SAYS
from connectors.messaging import ButtonIds, ChatConversations, ChatSender, Messaging

log = logging.getLogger(__name__)
STATIC = PROJECT_ROOT / "connectors" / "static"
SEND_TIMEOUT_SECONDS = 10.0
WEB_CHANNELS = ("web", "rest")  # their clients follow the bus: nothing to send
LIVE_TTL_SECONDS = 60.0  # an open widget beats every 20 s (connectors/websocket.py)


@dataclass(frozen=True, slots=True)
class Stores:
    """Every storage and coordination port, from one technology each."""

    events: EventStore
    agents: AgentStore
    links: LinkStore
    chats: ChatStore
    lock: TurnLock
    marks: SeqMarks | None  # None: one worker, its cache is the truth
    bus: Bus
    once: OnceGuard
    claims: DeliveryClaims
    counters: Counters
    presence: Presence
    files: FileStore  # statements and charts until their links expire
    alerts: AlertStore  # the bank's alert events as received (bank_events)
    live: LiveChats  # the widgets customers have open now, for alerts
    redis_ping: Callable[[], Awaitable[object]] | None = None  # None: no Redis (dev)


@dataclass(frozen=True, slots=True)
class Teller:
    """Teller assembled: what the routes and the command line are given."""

    settings: Settings
    domain: Domain
    actions: Mapping[str, Action]
    stores: Stores
    bank: Bank
    tokens: TokenVerifier
    outbox: memory.DevOutbox
    engine: TurnEngine
    links: AccountLinks
    console: agent.Console
    whatsapp: whatsapp.WhatsAppChannel | None
    telegram: telegram.TelegramChannel | None
    files: files.Downloads | None = None  # None: no TELLER_FILES_SECRET, no files served
    bank_events: bank_events.BankWebhook | None = None  # None: no TELLER_BANK_EVENTS_SECRET


@asynccontextmanager
async def _stores(settings: Settings) -> AsyncIterator[Stores]:
    """MongoDB when a URI is configured (else in memory); Redis when a URL is (else in process)."""
    config = settings.stores
    ttl = settings.handoff.presence_ttl_seconds
    async with AsyncExitStack() as stack:
        if config.mongodb_uri:
            client = connect_mongo(config.mongodb_uri)
            stack.push_async_callback(client.close)
            db = client.get_database(config.mongodb_db)
            events = MongoEventStore(db)
            links = MongoLinkStore(db)
            agents = MongoAgentStore(db)
            await events.open()
            stack.push_async_callback(events.close)
            await links.open()
            await agents.open()
            alerts: AlertStore = MongoAlertStore(db)
            await alerts.open()
            documents: tuple[EventStore, AgentStore, LinkStore, ChatStore] = (
                events,
                agents,
                links,
                MongoChatStore(db),
            )
        else:
            alerts = MemoryAlertStore()
            documents = (
                memory.MemoryEventStore(),
                memory.MemoryAgentStore(),
                memory.MemoryLinkStore(),
                memory.MemoryChatStore(),
            )
        if config.redis_url:
            client = redis.connect_redis(config.redis_url)
            stack.push_async_callback(client.aclose)
            prefix = config.redis_prefix
            yield Stores(
                *documents,
                lock=redis.RedisTurnLock(client, config.lock_timeout_seconds, prefix=prefix),
                marks=redis.RedisSeqMarks(client, prefix),
                bus=redis.RedisBus(client, prefix),
                once=redis.RedisOnceGuard(client, prefix),
                claims=redis.RedisDeliveryClaims(client, prefix),
                counters=redis.RedisCounters(client, prefix),
                presence=redis.RedisPresence(
                    client, ttl, key=f"{prefix}agents:online:{config.mongodb_db}"
                ),
                files=redis.RedisFileStore(client, prefix),
                redis_ping=client.ping,
                alerts=alerts,
                live=redis.RedisLiveChats(client, LIVE_TTL_SECONDS, prefix),
            )
        else:
            yield Stores(
                *documents,
                lock=memory.MemoryTurnLock(config.lock_timeout_seconds),
                marks=None,
                bus=memory.MemoryBus(),
                once=memory.MemoryOnceGuard(),
                claims=memory.MemoryDeliveryClaims(),
                counters=memory.MemoryCounters(),
                presence=memory.MemoryPresence(ttl),
                files=memory.MemoryFileStore(),
                alerts=alerts,
                live=MemoryLiveChats(LIVE_TTL_SECONDS),
            )


def declarations() -> dict[str, Mapping[str, frozenset[str]]]:
    """What each part of Teller renders from the domain, with the variables it fills
    (the actions declare theirs on themselves): what `python -m bot validate` checks."""
    return {
        "the dialogue": DIALOGUE_SAYS,
        "the agent desk": {**DESK_SAYS, **DESK_ERRORS},
        "the one-time codes": OTP_SAYS,
        "link codes": LINK_CODE_SAYS,
        "the API's errors": ERROR_SAYS,
        "the chat apps": CHAT_SAYS,
        "the WhatsApp channel": whatsapp.SAYS,
        "the Telegram channel": telegram.SAYS,
        "file downloads": files.SAYS,
        "the widget": websocket.SAYS,
        "rich messages in the chat apps": ATTACHMENT_SAYS,
        "bank alerts": bank_events.SAYS,
    }


@asynccontextmanager
async def open_teller(
    settings: Settings,
    secrets: Secrets,
    *,
    bank: Bank,
    nlu: NluModel | None = None,
    chat_apps: bool = True,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Teller]:
    """Everything but the routes. `bank` is the bank port to use (HTTP, or in process),
    kept behind a short per-customer cache of reference data (`bank.cache_seconds`);
    `chat_apps=False` leaves WhatsApp and Telegram off whatever the environment says;
    `clock` stamps every conversation write (conversation tests move it on)."""
    channels = _channel_settings(settings, os.environ)  # before the slow part: refuse early
    nlu = nlu or await asyncio.to_thread(load_or_train, settings.nlu)
    bank = CachedBank(MeteredBank(bank), settings.bank.cache_seconds)  # times what reaches it
    domain = load_domain(settings.dialogue.domain)
    for caller, says in declarations().items():
        domain.require(says, caller)
    actions = load_actions()
    outbox = memory.DevOutbox()
    # One parsing thread a core: more threads only fight over the GIL (bench/load.py chat:
    # 424-438 turns/s with 2 threads, 335 with asyncio's default pool of 6).
    parsing = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="parse")
    # Agents' password checks (argon2, ~200 ms of CPU each) on one thread of their own: a
    # burst of sign-ins takes one core at most, never the event loop.
    hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")
    async with AsyncExitStack() as stack:
        stack.callback(parsing.shutdown, wait=False)
        stack.callback(hashing.shutdown, wait=False)
        stores = await stack.enter_async_context(_stores(settings))
        notifier = await stack.enter_async_context(_notifier(settings.otp, channels, outbox))
        otp = OtpService(
            key=secrets.otp_key,
            notifier=notifier,
            settings=settings.otp,
            render=lambda key, variables: domain.text(key, variables),
        )
        links = AccountLinks(stores.links, secrets.otp_key, stores.counters, settings.linking)
        files_key = load_files_secret(settings.dev_mode, PROJECT_ROOT / "var")
        file_links = (
            FileLinks(files_key, settings.files.public_url) if files_key is not None else None
        )
        if file_links is None:
            log.warning("%s is not set: statements and charts are off", FILES_SECRET)
        dialogue = DialogueManager(
            domain=domain,
            actions=actions,
            bank=bank,
            otp=otp,
            lockout=CustomerLockout(stores.counters, settings.otp),
            settings=settings,
            presence=stores.presence,
            links=links,
            budget_alerts=BudgetAlerts(bank, settings.dialogue.budget_alert_check_seconds),
            files=FileShelf(stores.files, settings.files, clock) if file_links else None,
            notifier=notifier,
        )
        conversations = Conversations(
            store=stores.events,
            lock=stores.lock,
            bus=stores.bus,
            space=settings.stores.mongodb_db,
            marks=stores.marks,
            clock=clock,
        )
        engine = TurnEngine(
            nlu=nlu,
            dialogue=dialogue,
            conversations=conversations,
            parsing=parsing,
            files=file_links,
        )
        apps = await stack.enter_async_context(
            _chat_apps(settings, engine, links, stores, domain, enabled=chat_apps)
        )
        senders: dict[str, ChannelSender] = {channel: _Published() for channel in WEB_CHANNELS}
        if apps[0] is not None:
            senders[whatsapp.CHANNEL] = apps[0].sender
        if apps[1] is not None:
            senders[telegram.CHANNEL] = apps[1].sender
        webhook = _bank_webhook(settings, conversations, links, stores, domain, apps, clock)
        if webhook is not None:
            await stack.enter_async_context(bank_events.releasing(webhook.dispatcher))
        desk = Desk(
            conversations=conversations,
            store=stores.events,
            domain=domain,
            bank=bank,
            outbound=Outbound(senders),
        )
        yield Teller(
            settings=settings,
            domain=domain,
            actions=actions,
            stores=stores,
            bank=bank,
            tokens=TokenVerifier(settings.auth, secrets),
            outbox=outbox,
            engine=engine,
            links=links,
            console=_console(settings, desk, stores, hashing),
            whatsapp=apps[0],
            telegram=apps[1],
            files=files.Downloads(file_links, stores.files) if file_links else None,
            bank_events=webhook,
        )


ChannelSettings = SmsSettings | EmailSettings | PushSettings
_FROM_ENV: dict[str, Callable[[Mapping[str, str]], ChannelSettings]] = {
    "sms": SmsSettings.from_env,
    "email": EmailSettings.from_env,
    "push": PushSettings.from_env,
}


def _channel_settings(settings: Settings, env: Mapping[str, str]) -> list[ChannelSettings]:
    """The settings of each channel `otp.notifiers` lists, in order, from the environment;
    empty for the dev outbox. ConfigError names the setting or variable that is wrong."""
    names = notifier_names(settings.otp, settings.dev_mode)
    log.info("one-time codes go by %s", ", ".join(names))
    return [] if names == (DEV_OUTBOX,) else [_FROM_ENV[name](env) for name in names]


@asynccontextmanager
async def _notifier(
    otp: OtpSettings, channels: list[ChannelSettings], outbox: memory.DevOutbox
) -> AsyncIterator[Notifier]:
    """The dev outbox, or the configured channels behind one fallback (SMS and push share
    an HTTP client; email opens an SMTP connection a message)."""
    if not channels:
        yield outbox
        return
    async with httpx.AsyncClient(timeout=otp.send_timeout_seconds) as http:

        def channel(config: ChannelSettings) -> NoticeChannel:
            if isinstance(config, SmsSettings):
                return SmsChannel(config, http)
            if isinstance(config, EmailSettings):
                return EmailChannel(config)
            return PushChannel(config, http)

        yield FallbackNotifier(
            [channel(config) for config in channels],
            attempt_seconds=otp.send_timeout_seconds,
            backoff_seconds=otp.retry_backoff_seconds,
            budget_seconds=otp.delivery_budget_seconds,
        )


class _Published:
    """The sender for the widget and REST: their clients follow the bus, where the unit
    of work has already published every stored message."""

    async def send(self, conversation: ConversationRecord, messages: Any) -> None:
        return None


@asynccontextmanager
async def _chat_apps(
    settings: Settings,
    engine: TurnEngine,
    links: AccountLinks,
    stores: Stores,
    domain: Domain,
    *,
    enabled: bool,
) -> AsyncIterator[tuple[whatsapp.WhatsAppChannel | None, telegram.TelegramChannel | None]]:
    """WhatsApp and Telegram, each on when its secrets are set in the environment (half
    set refuses to start); on exit, queued turns finish before the clients close."""
    wa_settings = whatsapp.WhatsAppSettings.from_env(os.environ) if enabled else None
    tg_settings = telegram.TelegramSettings.from_env(os.environ) if enabled else None
    if wa_settings is None and tg_settings is None:
        yield None, None
        return
    async with httpx.AsyncClient(timeout=SEND_TIMEOUT_SECONDS) as http:
        buttons = ButtonIds(stores.chats)
        senders: dict[str, ChatSender] = {}
        wa_sender = tg_sender = None
        if wa_settings is not None:
            deliveries = whatsapp.Deliveries(stores.chats)
            wa_sender = whatsapp.WhatsAppSender(
                settings=wa_settings,
                http=http,
                buttons=buttons,
                deliveries=deliveries,
                controls=whatsapp.Controls.from_domain(domain),
            )
            senders[whatsapp.CHANNEL] = wa_sender
        if tg_settings is not None:
            tg_sender = telegram.TelegramSender(
                settings=tg_settings, http=http, buttons=buttons, domain=domain
            )
            senders[telegram.CHANNEL] = tg_sender
        messaging = Messaging(
            engine=engine,
            links=links,
            conversations=ChatConversations(stores.chats),
            buttons=buttons,
            claims=stores.claims,
            lock=stores.lock,
            senders=senders,
            domain=domain,
        )
        try:
            yield (
                None
                if wa_settings is None or wa_sender is None
                else whatsapp.WhatsAppChannel(wa_settings, wa_sender, deliveries, messaging),
                None
                if tg_settings is None or tg_sender is None
                else telegram.TelegramChannel(tg_settings, tg_sender, messaging),
            )
        finally:
            await messaging.close()


def _bank_webhook(
    settings: Settings,
    conversations: Conversations,
    links: AccountLinks,
    stores: Stores,
    domain: Domain,
    apps: tuple[whatsapp.WhatsAppChannel | None, telegram.TelegramChannel | None],
    clock: Callable[[], float],
) -> bank_events.BankWebhook | None:
    """The bank's alert webhook, on when TELLER_BANK_EVENTS_SECRET is set."""
    secret = bank_events.load_secret()
    if secret is None:
        log.warning("TELLER_BANK_EVENTS_SECRET is not set: the bank's alerts are off")
        return None
    senders: dict[str, ChatSender] = {}
    if apps[0] is not None:
        senders[whatsapp.CHANNEL] = apps[0].sender
    if apps[1] is not None:
        senders[telegram.CHANNEL] = apps[1].sender
    dispatcher = bank_events.AlertDispatcher(
        alerts=stores.alerts,
        conversations=conversations,
        links=links,
        live=stores.live,
        domain=domain,
        settings=settings.alerts,
        lock=stores.lock,
        chats=ChatConversations(stores.chats),
        senders=senders,
        clock=clock,
    )
    return bank_events.BankWebhook(secret, settings.alerts.timestamp_window_seconds, dispatcher)


def _console(
    settings: Settings, desk: Desk, stores: Stores, hashing: ThreadPoolExecutor
) -> agent.Console:
    secret = load_agent_secret(settings.dev_mode, PROJECT_ROOT / "var")
    if secret is None:
        log.warning("agent console off: %s is not set", AGENT_SECRET)
    topic = sessions_topic(settings.stores.mongodb_db)
    ended = SessionsEnded(stores.bus, topic)
    ttl = settings.handoff.session_hours * 3600
    return agent.Console(
        agents=Agents(
            stores.agents,
            ended=ended,
            hashing=hashing,
            limits=SignInLimits(stores.counters, SignInPolicy.from_settings(settings.handoff)),
        ),
        sessions=Sessions(secret, ttl, stores.agents, ended) if secret else None,
        presence=stores.presence,
        desk=desk,
        bus=stores.bus,
        agents_topic=agents_topic(settings.stores.mongodb_db),
        sessions_topic=topic,
        beat_seconds=settings.handoff.presence_ttl_seconds / 3,
        secure_cookie=not settings.dev_mode,
    )


def _monitoring(settings: Settings, teller: Teller, bank: BankClient) -> observe.Monitoring:
    """What /readyz asks (each must answer) and who may read /metrics."""
    probes: dict[str, observe.Probe] = {"mongodb": teller.stores.events.ping}
    if teller.stores.redis_ping is not None:
        probes["redis"] = teller.stores.redis_ping
    probes["model"] = lambda: teller.engine.parse("hello")  # loaded, and it parses
    probes["bank"] = bank.ping
    token = observe.Monitoring.metrics_token()
    if settings.observability.metrics and token is None and not settings.dev_mode:
        log.warning("%s is not set: /metrics is off", observe.METRICS_TOKEN)
    return observe.Monitoring(
        probes,
        timeout=settings.observability.probe_timeout_seconds,
        metrics_on=settings.observability.metrics,
        token=token,
        dev_mode=settings.dev_mode,
    )


def bank_base_url(settings: Settings) -> str:
    if settings.bank.base_url:
        return settings.bank.base_url.rstrip("/")
    if settings.bank.embedded_sandbox:
        return f"http://127.0.0.1:{settings.server.port}/sandbox"
    raise ConfigError("BANK_API_URL is required when the sandbox bank is not embedded")


def _provide(app: FastAPI, teller: Teller) -> None:
    """Fill every dependency the routes declare (`connectors.deps.Provided`)."""
    deps.SETTINGS.fill(app, teller.settings)
    deps.ENGINE.fill(app, teller.engine)
    deps.TOKENS.fill(app, teller.tokens)
    deps.STORE.fill(app, teller.stores.events)
    deps.BUS.fill(app, teller.stores.bus)
    deps.ONCE.fill(app, teller.stores.once)
    deps.DOMAIN.fill(app, teller.domain)
    deps.BANK.fill(app, teller.bank)
    deps.OUTBOX.fill(app, teller.outbox)
    agent.CONSOLE.fill(app, teller.console)
    whatsapp.WHATSAPP.fill(app, teller.whatsapp)
    telegram.TELEGRAM.fill(app, teller.telegram)
    chat_on = teller.whatsapp is not None or teller.telegram is not None
    link_codes.LINKS.fill(app, teller.links if chat_on else None)
    files.DOWNLOADS.fill(app, teller.files)
    deps.LIVE.fill(app, teller.stores.live)
    bank_events.BANK_EVENTS.fill(app, teller.bank_events)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service: every channel's routes over one `Teller`, built in the app's lifespan."""
    settings = settings or load_settings()
    if not settings.stores.mongodb_uri:
        raise ConfigError("MONGODB_URI is not set (make run starts a local SecantusDB for you)")
    require_serving(settings)
    notifier_names(settings.otp, settings.dev_mode)  # refuse now, not at the first code
    secrets = load_secrets(settings.dev_mode, PROJECT_ROOT / "var")
    sandbox_app = None
    if settings.bank.embedded_sandbox and not settings.bank.base_url:
        from sandbox.app import create_app as create_sandbox

        sandbox_app = create_sandbox(settings.bank.sandbox_database_url, secrets.bank_api_key)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if sandbox_app is not None:
                await stack.enter_async_context(sandbox_app.router.lifespan_context(sandbox_app))
            bank = await stack.enter_async_context(
                BankClient(
                    bank_base_url(settings), secrets.bank_api_key, settings.bank.timeout_seconds
                )
            )
            teller = await stack.enter_async_context(open_teller(settings, secrets, bank=bank))
            _provide(app, teller)
            observe.MONITORING.fill(app, _monitoring(settings, teller, bank))
            yield
            log.info("shutting down: turns in flight are done, queued events are written next")
        log.info("shut down: the event store is flushed and closed")

    docs = settings.dev_mode or settings.observability.api_docs  # production: only if configured
    app = FastAPI(
        title="Teller",
        summary="Conversational banking: the chat API, the widget's socket and the channels.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_error_handlers(app)
    limits = settings.server
    app.add_middleware(
        BodyLimit,
        limit=limits.max_body_bytes,
        by_prefix={"/webhooks/": limits.max_webhook_body_bytes},
    )
    app.add_middleware(observe.RequestIds)  # outermost: every line of a request has its id
    app.mount("/widget", StaticFiles(directory=STATIC / "widget"), name="widget")  # any host page
    for router in (rest.router(limits), websocket.router, whatsapp.router, telegram.router):
        app.include_router(router)
    app.include_router(link_codes.router)
    app.include_router(observe.router)  # /metrics, /livez, /readyz
    app.include_router(files.router)
    app.include_router(bank_events.router)
    agent.install(app)  # the agent console at /agent

    @app.get("/healthz")
    async def health(store: deps.Store) -> dict[str, str]:
        await store.ping()
        return {"status": "ok"}

    if settings.dev_mode:
        app.include_router(dev.router)
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

        @app.get("/", include_in_schema=False)
        async def demo_page() -> FileResponse:
            return FileResponse(STATIC / "demo.html")

    if sandbox_app is not None:
        app.mount("/sandbox", sandbox_app)
    return app


@asynccontextmanager
async def _in_process_bank(database: Path) -> AsyncIterator[BankClient]:
    """The sandbox bank on `database` (seeded if empty), in this process, spoken to over an
    in-process HTTP transport: the same client and API as a real bank, no server."""
    from sandbox.app import create_app as create_sandbox

    key = "offline-sandbox-key"
    sandbox_app = create_sandbox(f"sqlite+aiosqlite:///{database}", key)
    async with sandbox_app.router.lifespan_context(sandbox_app):
        transport = httpx.ASGITransport(app=sandbox_app)
        async with BankClient("http://sandbox", key, transport=transport) as bank:
            yield bank


@asynccontextmanager
async def open_sandbox_bank() -> AsyncIterator[BankClient]:
    """A freshly seeded sandbox bank in this process, gone when the context ends."""
    async with sandbox_banks() as fresh, fresh() as bank:
        yield bank


@asynccontextmanager
async def sandbox_banks() -> AsyncIterator[Callable[[], AbstractAsyncContextManager[Bank]]]:
    """A factory of freshly seeded in-process sandbox banks: the bank is seeded once and
    each one starts from a copy, so every conversation test case has the same books."""
    from sandbox.app import prepare

    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "seeded.db"
        await prepare(f"sqlite+aiosqlite:///{template}")
        copies = itertools.count()

        @asynccontextmanager
        async def fresh() -> AsyncIterator[Bank]:
            database = Path(tmp) / f"bank-{next(copies)}.db"
            shutil.copyfile(template, database)
            try:
                async with _in_process_bank(database) as bank:
                    yield bank
            finally:
                database.unlink(missing_ok=True)

        yield fresh


def offline_settings(settings: Settings) -> Settings:
    """`settings` with nothing outside the process: in-memory stores, no Redis, one-time
    codes in the dev outbox."""
    stores = replace(settings.stores, mongodb_uri="", redis_url="")
    otp = replace(settings.otp, notifiers=())
    return replace(settings, dev_mode=True, stores=stores, otp=otp)


@asynccontextmanager
async def open_offline(
    settings: Settings,
    *,
    nlu: NluModel | None = None,
    bank: Bank | None = None,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Teller]:
    """Teller with in-memory stores and the sandbox bank in process (no MongoDB, Redis or
    server), for the shell and the conversation tests."""
    settings = offline_settings(settings)
    secrets = load_secrets(True, PROJECT_ROOT / "var")
    async with AsyncExitStack() as stack:
        if bank is None:
            bank = await stack.enter_async_context(open_sandbox_bank())
        teller = await stack.enter_async_context(
            open_teller(settings, secrets, bank=bank, nlu=nlu, chat_apps=False, clock=clock)
        )
        yield teller
