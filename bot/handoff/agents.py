"""Agents who may sign in to the console: MongoDB collection `agents`, argon2id hashes.

Only the hash is stored. Signing in with an unknown name still runs one hash check, so the
answer takes as long as for a known name with a wrong password: the response time does not
reveal who has an account.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from bot.store.mongo import CLIENT_OPTIONS

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


class AgentDirectory:
    def __init__(self, uri: str, db_name: str) -> None:
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, **CLIENT_OPTIONS)
        self._agents = self._client[db_name]["agents"]

    async def close(self) -> None:
        await self._client.close()

    async def add(self, agent_id: str, password: str, display_name: str | None = None) -> Agent:
        """Create an agent; raises AgentError for a bad name or password or a taken name."""
        check_new(agent_id, password)
        agent = Agent(agent_id, display_name or agent_id.split(".")[0].capitalize())
        try:
            await self._agents.insert_one(
                {
                    "_id": agent.id,
                    "display_name": agent.name,
                    "password_hash": _hasher.hash(password),
                    "created_at": time.time(),
                }
            )
        except DuplicateKeyError:
            raise AgentError(f"an agent called {agent_id!r} already exists") from None
        return agent

    async def sign_in(self, agent_id: str, password: str) -> Agent | None:
        """The agent if the password is theirs, else None (same work either way)."""
        doc = await self._agents.find_one({"_id": agent_id}) if NAME.fullmatch(agent_id) else None
        try:
            _hasher.verify(doc["password_hash"] if doc else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if doc is None:
            return None
        return Agent(doc["_id"], doc.get("display_name", doc["_id"]))

    async def get(self, agent_id: str) -> Agent | None:
        doc = await self._agents.find_one({"_id": agent_id}, {"password_hash": False})
        return None if doc is None else Agent(doc["_id"], doc.get("display_name", doc["_id"]))
