"""Typed settings from config.yml, with ${ENV:-default} substitution; secrets from env only."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_ENV_REF = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """The configuration is incomplete or contradictory; the service refuses to start."""


def _expand(value: Any) -> Any:
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = os.environ.get(name)
            if found is None and default is None:
                raise ConfigError(f"environment variable {name} is required by the config")
            return found if found is not None else default

        return _ENV_REF.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where to listen, and the input limits every channel enforces before a turn."""

    host: str = "127.0.0.1"
    port: int = 8000
    max_message_chars: int = 2000  # a customer message's text
    max_payload_chars: int = 1000  # a button payload
    max_body_bytes: int = 65_536  # any request body but a webhook's
    max_webhook_body_bytes: int = 3 * 1024 * 1024  # a WhatsApp or Telegram delivery (batches)
    max_frame_bytes: int = 65_536  # one WebSocket message, widget or agent console
    workers: int = 1  # server processes on the one port (metrics merged across them)
    # On SIGTERM: stop taking connections, let turns in flight finish this long, then
    # flush the event store and stop.
    shutdown_grace_seconds: float = 20.0


@dataclass(frozen=True, slots=True)
class NluSettings:
    data: Path = PROJECT_ROOT / "nlu_data"
    model_dir: Path = PROJECT_ROOT / "models"
    fallback_threshold: float = 0.35


@dataclass(frozen=True, slots=True)
class DialogueSettings:
    domain: Path = PROJECT_ROOT / "bot" / "domain"
    clarify_options: int = 3
    # A job whose confidence is within this of an FAQ's is not started: both are offered.
    job_or_faq_margin: float = 0.15
    # How often a worker asks the bank for a customer's new budget alerts (a turn that ran
    # an action always asks); 0: every turn.
    budget_alert_check_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class AuthSettings:
    jwt_algorithms: tuple[str, ...] = ("HS256",)
    jwt_audience: str = "teller"
    jwt_issuer: str = ""  # customer tokens' `iss`; required outside dev mode (empty: unchecked)
    max_token_lifetime_seconds: int = 3600  # a token's exp - iat may be no more than this
    strong_ttl_seconds: int = 300


@dataclass(frozen=True, slots=True)
class OtpSettings:
    length: int = 6
    ttl_seconds: int = 300
    max_attempts: int = 3
    max_resends: int = 2
    max_wrong_codes: int = 6  # wrong codes of one customer, any challenge, in the window ...
    wrong_code_window_seconds: float = 24 * 3600
    pause_seconds: float = 30 * 60  # ... pause money movement this long
    max_codes_per_window: int = 5  # codes sent to one customer (first and resends) ...
    code_window_seconds: float = 15 * 60  # ... in this sliding window
    # Kinds of operation (a flow's step_up `exempt_as`) that go ahead without a code: moving
    # money between the customer's own accounts is exempt from strong customer
    # authentication (PSD2 RTS article 15). Empty: every operation asks for one.
    exempt: tuple[str, ...] = ("own_account_transfer",)
    # How codes reach customers, in the order tried (a customer's own choice goes first):
    # sms | email | push, or the dev outbox alone (dev mode only, and its default).
    notifiers: tuple[str, ...] = ()
    send_timeout_seconds: float = 3.0  # one attempt on one channel
    retry_backoff_seconds: float = 0.5  # the pause before the one retry of a timeout or 5xx
    # Every attempt on every channel together: the conversation's lock is held meanwhile.
    delivery_budget_seconds: float = 12.0


NOTIFIERS = ("sms", "email", "push")
DEV_OUTBOX = "outbox"


def notifier_names(otp: OtpSettings, dev_mode: bool) -> tuple[str, ...]:
    """The notifiers to build, checked: outside dev mode codes must reach real customers,
    so the dev outbox, or no notifier at all, refuses to start."""
    names = otp.notifiers or ((DEV_OUTBOX,) if dev_mode else ())
    unknown = sorted(set(names) - {*NOTIFIERS, DEV_OUTBOX})
    if unknown:
        raise ConfigError(
            f"otp.notifiers: unknown {unknown}; choose from {', '.join(NOTIFIERS)}"
            f" (or {DEV_OUTBOX} in dev mode)"
        )
    if len(set(names)) < len(names):
        raise ConfigError(f"otp.notifiers lists a notifier twice: {list(names)}")
    if not names:
        raise ConfigError(
            "otp.notifiers is empty: outside dev mode list sms, email and/or push, "
            "or no customer receives a one-time code"
        )
    if DEV_OUTBOX in names and not dev_mode:
        raise ConfigError(
            f"otp.notifiers: {DEV_OUTBOX} (the dev outbox) only works in dev mode, where "
            "/dev/outbox shows it; list sms, email and/or push"
        )
    if DEV_OUTBOX in names and len(names) > 1:
        raise ConfigError(f"otp.notifiers: {DEV_OUTBOX} stands alone, not beside {list(names)}")
    return names


@dataclass(frozen=True, slots=True)
class StoreSettings:
    mongodb_uri: str = ""
    mongodb_db: str = "teller"
    redis_url: str = ""
    redis_prefix: str = "teller:"  # namespaces every key, lock and channel in a shared Redis
    lock_timeout_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class BankSettings:
    base_url: str = ""
    embedded_sandbox: bool = True
    sandbox_database_url: str = "sqlite+aiosqlite:///var/sandbox.db"
    timeout_seconds: float = 5.0
    cache_seconds: float = 30.0  # how long a customer's accounts, payees and cards are kept


@dataclass(frozen=True, slots=True)
class HandoffSettings:
    """When the bot offers a person by itself, and how agents' presence and sign-in last.
    What the customer is told is in `bot/domain/responses.yml`."""

    presence_ttl_seconds: float = 30.0  # an agent whose console stops beating is offline
    failed_actions: int = 2  # this many failed actions in a row trigger `on_failures`
    on_failures: str = "offer"  # offer | queue
    session_hours: float = 8.0  # agent console sign-in lifetime
    # Wrong passwords per sign-in name and per client address (bot/handoff/limits.py):
    sign_in_window_seconds: float = 900.0  # wrong passwords are counted this long
    sign_in_free_failures_per_name: int = 3  # before each further one imposes a wait
    sign_in_free_failures_per_address: int = 10  # an office behind one NAT shares this
    sign_in_backoff_seconds: float = 1.0  # the first wait; each further one doubles it
    sign_in_max_backoff_seconds: float = 300.0
    sign_in_lock_after: int = 10  # wrong passwords in a row lock an account until enabled


@dataclass(frozen=True, slots=True)
class LinkingSettings:
    """Linking a WhatsApp or Telegram chat to a customer (`bot/linking.py`)."""

    code_ttl_seconds: int = 600  # a link code works this long, once
    chat_max_failures: int = 5  # wrong codes from one chat within `chat_pause_seconds` ...
    chat_pause_seconds: int = 3600  # ... pause linking there this long
    global_max_failures: int = 50  # wrong codes from all chats together within ...
    global_window_seconds: int = 900  # ... this sliding window pause linking everywhere
    link_lifetime_days: float = 90.0  # a link lapses this long after it was made


@dataclass(frozen=True, slots=True)
class FileSettings:
    """Files Teller makes for customers (statements, charts) and their links (`bot/files.py`)."""

    link_ttl_seconds: int = 600  # a download link works this long; the file is kept as long
    public_url: str = ""  # Teller's public base URL, for absolute links; empty: "/files/..."
    max_bytes: int = 5 * 1024 * 1024  # the largest file kept


@dataclass(frozen=True, slots=True)
class ObservabilitySettings:
    """Metrics, probes and the API's documentation (README, "Operating Teller")."""

    metrics: bool = True  # /metrics; outside dev mode it needs TELLER_METRICS_TOKEN too
    api_docs: bool = False  # /docs, /redoc and /openapi.json outside dev mode (on in dev)
    probe_timeout_seconds: float = 2.0  # each dependency /readyz asks


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """Alerts the bank sends over its signed webhook (`bot/bank_events.py`); the secret is
    TELLER_BANK_EVENTS_SECRET in the environment, never here."""

    timestamp_window_seconds: int = 300  # an event signed longer ago (or ahead) is refused
    quiet_start: str = "22:00"  # quiet hours, local time: alerts are held until they end
    quiet_end: str = "07:00"  # equal to quiet_start: no quiet hours
    timezone: str = "Europe/London"
    release_every_seconds: float = 30.0  # how often held alerts are looked at
    whatsapp_template: str = "account_alert"  # the approved template for a closed window
    whatsapp_template_language: str = "en_GB"
    reply_window_seconds: int = 86400  # a reply this soon after an alert continues from it


@dataclass(frozen=True, slots=True)
class Settings:
    dev_mode: bool = False
    server: ServerSettings = field(default_factory=ServerSettings)
    nlu: NluSettings = field(default_factory=NluSettings)
    dialogue: DialogueSettings = field(default_factory=DialogueSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    otp: OtpSettings = field(default_factory=OtpSettings)
    stores: StoreSettings = field(default_factory=StoreSettings)
    bank: BankSettings = field(default_factory=BankSettings)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    linking: LinkingSettings = field(default_factory=LinkingSettings)
    files: FileSettings = field(default_factory=FileSettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)


_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def parse_bool(value: Any, key: str) -> bool:
    """A YAML boolean, or a string (e.g. from `${NAME:-false}`) that says true/false, yes/no
    or 1/0 in any case; anything else is a ConfigError naming `key`, never a guess (bool()
    of any non-empty string, "false" included, is True)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).strip().lower() in _TRUE | _FALSE:
        return str(value).strip().lower() in _TRUE
    raise ConfigError(f"{key} must be true or false (or yes/no, 1/0), not {value!r}")


def _section(section: str, cls: type, raw: dict[str, Any] | None) -> Any:
    """Build a settings section, coercing YAML strings to the field's declared type."""
    raw = raw or {}
    defaults = cls()
    values: dict[str, Any] = {}
    for name in cls.__dataclass_fields__:
        if name not in raw:
            continue
        default = getattr(defaults, name)
        value = raw[name]
        if isinstance(default, Path):
            path = Path(value)
            value = path if path.is_absolute() else PROJECT_ROOT / path
        elif isinstance(default, bool):
            value = parse_bool(value, f"{section}.{name}")
        elif isinstance(default, tuple):  # a YAML list, or "a,b" from the environment
            items = value.split(",") if isinstance(value, str) else value
            value = tuple(str(item).strip() for item in items if str(item).strip())
        elif default is not None and not isinstance(value, type(default)):
            value = type(default)(value)
        values[name] = value
    unknown = set(raw) - set(cls.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
    return cls(**values)


SECTIONS = (
    "server",
    "nlu",
    "dialogue",
    "auth",
    "otp",
    "stores",
    "bank",
    "handoff",
    "linking",
    "files",
    "observability",
    "alerts",
)


def require_redis(settings: Settings, variable: str = "REDIS_URL") -> None:
    """Outside dev mode Redis is required: without it, turn locks, lockouts and sign-in
    limits are each worker's own, which is right for one dev worker only."""
    if not settings.dev_mode and not settings.stores.redis_url:
        raise ConfigError(
            f"{variable} is empty or unset (stores.redis_url): outside dev mode Teller needs "
            "Redis for the turn locks, lockouts and sign-in limits its workers share; only "
            "dev mode runs a single worker without it"
        )


def load_settings(path: str | Path | None = None) -> Settings:
    """Read `path` (default: $TELLER_CONFIG or config.yml at the project root)."""
    path = Path(path or os.environ.get("TELLER_CONFIG") or PROJECT_ROOT / "config.yml")
    raw = _expand(yaml.safe_load(path.read_text()) or {})
    sections = {
        name: _section(name, type(getattr(Settings(), name)), raw.get(name)) for name in SECTIONS
    }
    if sections["handoff"].on_failures not in {"offer", "queue"}:
        raise ConfigError("handoff.on_failures must be 'offer' or 'queue'")
    settings = Settings(dev_mode=parse_bool(raw.get("dev_mode", False), "dev_mode"), **sections)
    if settings.auth.max_token_lifetime_seconds <= 0:
        raise ConfigError("auth.max_token_lifetime_seconds must be positive")
    if settings.server.workers < 1:
        raise ConfigError("server.workers must be at least 1")
    if settings.files.link_ttl_seconds <= 0:
        raise ConfigError("files.link_ttl_seconds must be positive")
    return settings


def require_serving(settings: Settings) -> None:
    """What serving customers needs beyond readable settings, checked where Teller is
    assembled (reading a config to train a model needs none of it): outside dev mode,
    Redis, and the issuer customer tokens must name."""
    require_redis(settings)
    if not settings.dev_mode and not settings.auth.jwt_issuer:
        raise ConfigError(
            "auth.jwt_issuer is empty (TELLER_JWT_ISSUER): outside dev mode customer tokens "
            "must name their issuer"
        )
