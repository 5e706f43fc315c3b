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
    host: str = "127.0.0.1"
    port: int = 8000
    max_message_chars: int = 2000


@dataclass(frozen=True, slots=True)
class NluSettings:
    data: Path = PROJECT_ROOT / "nlu_data"
    model_dir: Path = PROJECT_ROOT / "models"
    fallback_threshold: float = 0.35


@dataclass(frozen=True, slots=True)
class DialogueSettings:
    domain: Path = PROJECT_ROOT / "bot" / "domain"
    clarify_options: int = 3


@dataclass(frozen=True, slots=True)
class AuthSettings:
    jwt_algorithms: tuple[str, ...] = ("HS256",)
    jwt_audience: str = "teller"
    strong_ttl_seconds: int = 300


@dataclass(frozen=True, slots=True)
class OtpSettings:
    length: int = 6
    ttl_seconds: int = 300
    max_attempts: int = 3
    max_resends: int = 2


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


def _section(cls: type, raw: dict[str, Any] | None) -> Any:
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
            value = value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes"}
        elif isinstance(default, tuple):
            value = tuple(value)
        elif default is not None and not isinstance(value, type(default)):
            value = type(default)(value)
        values[name] = value
    unknown = set(raw) - set(cls.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
    return cls(**values)


SECTIONS = ("server", "nlu", "dialogue", "auth", "otp", "stores", "bank", "handoff", "linking")


def load_settings(path: str | Path | None = None) -> Settings:
    """Read `path` (default: $TELLER_CONFIG or config.yml at the project root)."""
    path = Path(path or os.environ.get("TELLER_CONFIG") or PROJECT_ROOT / "config.yml")
    raw = _expand(yaml.safe_load(path.read_text()) or {})
    sections = {name: _section(type(getattr(Settings(), name)), raw.get(name)) for name in SECTIONS}
    if sections["handoff"].on_failures not in {"offer", "queue"}:
        raise ConfigError("handoff.on_failures must be 'offer' or 'queue'")
    return Settings(dev_mode=bool(raw.get("dev_mode", False)), **sections)
