"""Agents who may sign in to the console, over the `AgentStore` port; argon2id hashes.

Only the hash is stored. Signing in with an unknown name still runs one hash check, so the
answer takes as long as for a known name with a wrong password: the response time does not
reveal who has an account.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.ports import AgentRecord, AgentStore, AlreadyExists

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
MIN_PASSWORD_CHARS = 10
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class AgentError(ValueError):
    """A name or password that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Agent:
    id: str  # the sign-in name
    name: str  # what customers and colleagues see


def check_new(agent_id: str, password: str) -> None:
    if not NAME.fullmatch(agent_id):
        raise AgentError("names are 2-32 characters: a-z, 0-9, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AgentError(f"passwords need at least {MIN_PASSWORD_CHARS} characters")


class Agents:
    def __init__(self, store: AgentStore) -> None:
        self._store = store

    async def add(self, agent_id: str, password: str, display_name: str | None = None) -> Agent:
        """Create an agent; raises AgentError for a bad name or password or a taken name."""
        check_new(agent_id, password)
        agent = Agent(agent_id, display_name or agent_id.split(".")[0].capitalize())
        record = AgentRecord(agent.id, agent.name, _hasher.hash(password), time.time())
        try:
            await self._store.add(record)
        except AlreadyExists:
            raise AgentError(f"an agent called {agent_id!r} already exists") from None
        return agent

    async def sign_in(self, agent_id: str, password: str) -> Agent | None:
        """The agent if the password is theirs, else None (same work either way)."""
        record = await self._store.get(agent_id) if NAME.fullmatch(agent_id) else None
        try:
            _hasher.verify(record.password_hash if record else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return None if record is None else Agent(record.id, record.display_name)

    async def get(self, agent_id: str) -> Agent | None:
        record = await self._store.get(agent_id)
        return None if record is None else Agent(record.id, record.display_name)
