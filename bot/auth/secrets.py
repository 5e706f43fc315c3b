"""Secrets come from the environment only; dev mode generates the missing ones once, on disk.

Dev secrets persist in `dev_dir/dev-secrets.json` (mode 0600) so a restart keeps issued tokens
and pending one-time codes valid. Values are never logged: only variable names are.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import ConfigError

log = logging.getLogger(__name__)

JWT_SECRET = "TELLER_JWT_SECRET"
JWT_PUBLIC_KEY = "TELLER_JWT_PUBLIC_KEY"
OTP_KEY = "TELLER_OTP_KEY"
BANK_API_KEY = "BANK_API_KEY"
DEV_SECRETS_FILE = "dev-secrets.json"
# Shorter HMAC keys make offline guessing of tokens and code hashes feasible (RFC 7518 §3.2).
MIN_KEY_CHARS = 32
_GENERATED = (JWT_SECRET, OTP_KEY, BANK_API_KEY)


@dataclass(frozen=True, slots=True)
class Secrets:
    """Every secret the service needs; `repr` shows none of them."""

    jwt_secret: str | None = field(repr=False)
    jwt_public_key: str | None = field(repr=False)
    otp_key: bytes = field(repr=False)
    bank_api_key: str = field(repr=False)


def load_secrets(dev_mode: bool, dev_dir: Path) -> Secrets:
    """Read secrets from the environment; in dev mode fill the gaps from `dev_dir`.

    Outside dev mode a missing secret raises ConfigError naming the variable: the service must
    not start with a key somebody could guess.
    """
    env = {name: os.environ.get(name) or None for name in (*_GENERATED, JWT_PUBLIC_KEY)}
    if dev_mode and any(env[name] is None for name in _GENERATED):
        stored = _dev_secrets(dev_dir, [name for name in _GENERATED if env[name] is None])
        env.update({name: stored[name] for name in _GENERATED if env[name] is None})
    _require(env, OTP_KEY, BANK_API_KEY)
    if env[JWT_SECRET] is None and env[JWT_PUBLIC_KEY] is None:
        raise ConfigError(f"set {JWT_SECRET} (HS256) or {JWT_PUBLIC_KEY} (RS256/ES256)")
    for name in (JWT_SECRET, OTP_KEY):
        if env[name] is not None and len(env[name]) < MIN_KEY_CHARS:
            raise ConfigError(f"{name} must be at least {MIN_KEY_CHARS} characters")
    return Secrets(
        jwt_secret=env[JWT_SECRET],
        jwt_public_key=env[JWT_PUBLIC_KEY],
        otp_key=env[OTP_KEY].encode(),
        bank_api_key=env[BANK_API_KEY],
    )


def _require(env: Mapping[str, str | None], *names: str) -> None:
    for name in names:
        if env[name] is None:
            raise ConfigError(f"environment variable {name} is required outside dev mode")


def _dev_secrets(dev_dir: Path, needed: list[str]) -> dict[str, str]:
    """Return the stored dev secrets, generating `needed` ones that are not there yet.

    An exclusive file lock makes concurrent workers agree on one value per secret.
    """
    dev_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = dev_dir / DEV_SECRETS_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        os.fchmod(file.fileno(), 0o600)
        text = file.read()
        try:
            stored = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            raise ConfigError(f"{path} is not valid JSON; delete it to regenerate") from None
        if not isinstance(stored, dict) or not all(isinstance(v, str) for v in stored.values()):
            raise ConfigError(f"{path} must map variable names to strings")
        missing = [name for name in needed if not stored.get(name)]
        if missing:
            stored.update({name: secrets.token_urlsafe(32) for name in missing})
            file.seek(0)
            file.truncate()
            json.dump(stored, file, indent=2, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())
            log.warning("generated dev secrets %s in %s", ", ".join(missing), path)
        return stored
