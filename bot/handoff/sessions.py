"""Console sessions on the server, carried in a signed HttpOnly SameSite=Strict cookie.

Signing in stores a session record (the `AgentStore`'s sessions: in MongoDB) with the
agent's id and its expiry; the cookie holds the session id in an HS256 JWT with its own key
(`TELLER_AGENT_SECRET`; dev mode generates one into var/dev-secrets.json like the other dev
secrets), audience `teller-agent`, so a customer token can never pass for an agent session
nor the other way round, and a forged cookie is refused without a database read. Only the
SHA-256 of the session id is stored, so whoever reads the database cannot sign in with it.

Every request and the console's socket check the session against the store: it must
exist (signing out, disabling the agent or resetting their password deletes it), not have
expired, and belong to an agent who is not disabled and whose `sessions_valid_after` is
before the session began.

Each session also has an anti-forgery token, an HMAC of its id under the same key: the
console's page gets it at sign-in (and from /me after a reload) and sends it with every
POST and DELETE, which another site cannot do, since it can read neither the cookie nor
our answers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt

from bot.auth.secrets import MIN_KEY_CHARS, _dev_secrets
from bot.config import ConfigError
from bot.handoff.agents import Agent, SessionsEnded
from bot.ports import AgentSession, AgentStore

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


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A live session: who it is for, its key in the store, its anti-forgery token."""

    agent: Agent
    key: str
    csrf: str

    def allows(self, presented: str | None) -> bool:
        """Whether a request's anti-forgery token is this session's."""
        return presented is not None and hmac.compare_digest(presented, self.csrf)


@dataclass(frozen=True, slots=True)
class Opened:
    cookie: str  # the cookie's value
    csrf: str  # the anti-forgery token for the page


class Sessions:
    def __init__(
        self,
        secret: str,
        ttl_seconds: float,
        store: AgentStore,
        ended: SessionsEnded,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._store = store
        self._ended = ended
        self._clock = clock

    def _csrf(self, session_id: str) -> str:
        mac = hmac.new(self._secret.encode(), f"csrf:{session_id}".encode(), hashlib.sha256)
        return mac.hexdigest()

    async def open(self, agent: Agent, address: str) -> Opened:
        """Store a new session for `agent`; the cookie's value and its anti-forgery token."""
        now = self._clock()
        session_id = secrets.token_urlsafe(32)
        expires_at = now + self.ttl_seconds
        await self._store.add_session(AgentSession(_key(session_id), agent.id, now, expires_at))
        await self._store.audit("signed_in", agent.id, {"address": address}, now)
        claims = {"sid": session_id, "aud": _AUDIENCE, "iat": int(now), "exp": int(expires_at)}
        cookie = jwt.encode(claims, self._secret, algorithm="HS256")
        return Opened(cookie, self._csrf(session_id))

    def _session_id(self, token: str | None) -> str | None:
        if not token:
            return None
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=_AUDIENCE,
                options={"require": ["sid", "exp", "aud"]},
            )
        except jwt.PyJWTError:
            return None
        session_id = claims["sid"]
        return session_id if isinstance(session_id, str) and session_id else None

    async def check(self, token: str | None) -> LiveSession | None:
        """The live session behind a cookie, or None for a missing, forged, expired or
        ended one, or one whose agent is disabled or had their sessions ended since."""
        session_id = self._session_id(token)
        if session_id is None:
            return None
        session = await self._store.session(_key(session_id))
        if session is None or session.expires_at <= self._clock():
            return None
        record = await self._store.get(session.agent_id)
        if record is None or record.disabled or session.created_at <= record.sessions_valid_after:
            return None
        agent = Agent(record.id, record.display_name)
        return LiveSession(agent, session.key, self._csrf(session_id))

    async def close(self, token: str | None) -> None:
        """Sign out: end the cookie's session, here and on every worker's sockets."""
        session_id = self._session_id(token)
        if session_id is None:
            return
        session = await self._store.end_session(_key(session_id))
        if session is not None:
            await self._store.audit("signed_out", session.agent_id, {}, self._clock())
            await self._ended.announce(session.agent_id)
