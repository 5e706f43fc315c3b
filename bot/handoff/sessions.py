"""Signed, expiring console sessions, carried in an HttpOnly SameSite=Strict cookie.

The token is an HS256 JWT with its own key (`TELLER_AGENT_SECRET`; dev mode generates one
into var/dev-secrets.json like the other dev secrets), audience `teller-agent`, so a
customer token can never pass for an agent session nor the other way round.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import jwt

from bot.auth.secrets import MIN_KEY_CHARS, _dev_secrets
from bot.config import ConfigError
from bot.handoff.agents import Agent

AGENT_SECRET = "TELLER_AGENT_SECRET"
COOKIE = "teller_agent"
_AUDIENCE = "teller-agent"


def load_agent_secret(dev_mode: bool, dev_dir: Path) -> str | None:
    """The session key; None outside dev mode when unset, which turns the console off."""
    secret = os.environ.get(AGENT_SECRET) or None
    if secret is None and dev_mode:
        secret = _dev_secrets(dev_dir, [AGENT_SECRET])[AGENT_SECRET]
    if secret is None:
        return None
    if len(secret) < MIN_KEY_CHARS:
        raise ConfigError(f"{AGENT_SECRET} must be at least {MIN_KEY_CHARS} characters")
    return secret


class Sessions:
    def __init__(self, secret: str, ttl_seconds: float) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def issue(self, agent: Agent, now: float | None = None) -> str:
        now = time.time() if now is None else now
        claims = {
            "sub": agent.id,
            "name": agent.name,
            "aud": _AUDIENCE,
            "iat": int(now),
            "exp": int(now + self.ttl_seconds),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str | None) -> Agent | None:
        """The signed-in agent, or None for a missing, forged or expired token."""
        if not token:
            return None
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=_AUDIENCE,
                options={"require": ["sub", "exp", "aud"]},
            )
        except jwt.PyJWTError:
            return None
        return Agent(str(claims["sub"]), str(claims.get("name") or claims["sub"]))
