"""Agents who may sign in to the console, over the `AgentStore` port; argon2id hashes.

Only the hash is stored. Signing in with an unknown name still runs one hash check, so the
answer takes as long as for a known name with a wrong password: the response time does not
reveal who has an account.

A check costs about 200 ms of CPU, so it never runs on the event loop: every hash and
check goes to the `hashing` executor (the composition root gives each worker one thread
for it, so a burst of sign-ins takes one core at most and the customers' turns keep the
rest), and no more than `max_waiting` checks wait there at once; beyond that a sign-in is
refused at once with `sign_in_busy`. Wrong passwords are limited per name and per client
address (`bot/handoff/limits.py`).

Ten wrong passwords in a row lock an account: it stays locked, whatever password is tried,
until an operator enables it; its open sessions go on (the guesser never had one).

Operators manage agents from the command line (`python -m bot agents ...`): disabling an
agent or resetting their password ends their sessions at once, on every worker (their
consoles' sockets hear it on the bus), enabling one unlocks it too, and every change is
audited with who made it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.handoff.limits import SignInLimits, SignInRefused
from bot.ports import AgentRecord, AgentStore, AlreadyExists, Bus, StoreUnavailable

log = logging.getLogger(__name__)
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
MIN_PASSWORD_CHARS = 10
MAX_WAITING_CHECKS = 8  # per worker: password checks queued for the hashing thread
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")
T = TypeVar("T")


class AgentError(ValueError):
    """A name or password that cannot be used, or no such agent; the message says why."""


@dataclass(frozen=True, slots=True)
class Agent:
    id: str  # the sign-in name
    name: str  # what customers and colleagues see


def check_new(agent_id: str, password: str) -> None:
    if not NAME.fullmatch(agent_id):
        raise AgentError("names are 2-32 characters: a-z, 0-9, '.', '_' or '-'")
    check_password(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AgentError(f"passwords need at least {MIN_PASSWORD_CHARS} characters")


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sessions_topic(space: str) -> str:
    """Where the workers hear that an agent's sessions have ended (`space`: the database)."""
    return f"agent-sessions:{space}"


class SessionsEnded:
    """Tells every worker that an agent's sessions ended, so their open consoles' sockets
    check at once (each also checks on every beat, with or without a bus)."""

    def __init__(self, bus: Bus | None, topic: str) -> None:
        self._bus = bus
        self.topic = topic

    async def announce(self, agent_id: str) -> None:
        """Best effort: the sessions have ended in the store already, and a socket that
        misses this finds out on its next beat."""
        if self._bus is None:
            return
        try:
            await self._bus.publish(self.topic, {"type": "sessions_ended", "agent_id": agent_id})
        except StoreUnavailable:
            log.warning("could not announce that %s's sessions ended", agent_id, exc_info=True)


class Agents:
    def __init__(
        self,
        store: AgentStore,
        *,
        ended: SessionsEnded,
        hashing: Executor | None = None,
        limits: SignInLimits | None = None,
        max_waiting: int = MAX_WAITING_CHECKS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`hashing` runs every argon2 call (None: asyncio's default thread pool);
        `limits` is required to sign agents in (the command line only manages them)."""
        self._store = store
        self._ended = ended
        self._hashing = hashing
        self._limits = limits
        self._max_waiting = max_waiting
        self._clock = clock
        self._waiting = 0

    async def _off_loop(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._hashing, work, *args)

    async def add(
        self, agent_id: str, password: str, display_name: str | None = None, *, by: str = ""
    ) -> Agent:
        """Create an agent; raises AgentError for a bad name or password or a taken name."""
        check_new(agent_id, password)
        agent = Agent(agent_id, display_name or agent_id.split(".")[0].capitalize())
        password_hash = await self._off_loop(_hasher.hash, password)
        now = self._clock()
        record = AgentRecord(agent.id, agent.name, password_hash, now)
        try:
            await self._store.add(record)
        except AlreadyExists:
            raise AgentError(f"an agent called {agent_id!r} already exists") from None
        await self._store.audit("agent_added", agent.id, {"by": by}, now)
        return agent

    async def sign_in(self, agent_id: str, password: str, address: str) -> Agent | None:
        """The agent if the password is theirs, else None (same work either way). Raises
        SignInRefused for a locked account (before any check, whatever the password, and
        for the wrong password that locks it), while the name or the client `address`
        must wait after wrong passwords, when too many checks are already waiting on this
        worker, or when the password is right but the agent is disabled."""
        limits = self._limits
        if limits is None:
            raise RuntimeError("signing in needs the sign-in limits")
        record = await self._store.get(agent_id) if NAME.fullmatch(agent_id) else None
        if (record is None and await limits.locked_unknown(agent_id)) or (
            record is not None and record.locked_at is not None
        ):
            raise SignInRefused(403, "account_locked")
        await limits.check(agent_id, address)
        if self._waiting >= self._max_waiting:
            raise SignInRefused(429, "sign_in_busy", retry_after=1)
        self._waiting += 1
        try:
            ok = await self._off_loop(
                _matches, record.password_hash if record else _DUMMY_HASH, password
            )
        finally:
            self._waiting -= 1
        if not ok or record is None:
            await limits.failed(agent_id, address)
            if await self._locks(record, agent_id, address):
                raise SignInRefused(403, "account_locked")
            return None
        await limits.succeeded(agent_id)
        if record.disabled:
            raise SignInRefused(403, "account_disabled")
        await self._store.update(
            record.id, {"last_sign_in_at": self._clock(), "failed_sign_ins": 0}
        )
        return Agent(record.id, record.display_name)

    async def _locks(self, record: AgentRecord | None, agent_id: str, address: str) -> bool:
        """Count a wrong password towards the lock; True if the account is locked now."""
        assert self._limits is not None
        if record is None:
            return await self._limits.failed_unknown(agent_id)
        failures = await self._store.count_failure(record.id)
        if failures < self._limits.policy.lock_after:
            return False
        now = self._clock()
        if await self._store.lock(record.id, now):
            log.warning("agent %s locked after %d wrong passwords", record.id, failures)
            data = {"failures": failures, "address": address}
            await self._store.audit("agent_locked", record.id, data, now)
        return True

    async def get(self, agent_id: str) -> Agent | None:
        record = await self._store.get(agent_id)
        return None if record is None else Agent(record.id, record.display_name)

    # -- what operators do (python -m bot agents ...) -------------------------------------

    async def records(self) -> list[AgentRecord]:
        return await self._store.agents()

    async def _existing(self, agent_id: str) -> AgentRecord:
        record = await self._store.get(agent_id)
        if record is None:
            raise AgentError(f"there is no agent called {agent_id!r}")
        return record

    async def _end_sessions(self, agent_id: str, now: float) -> int:
        """End every session the agent has, here and on every worker."""
        await self._store.update(agent_id, {"sessions_valid_after": now})
        ended = await self._store.end_sessions(agent_id)
        await self._ended.announce(agent_id)
        return ended

    async def disable(self, agent_id: str, *, by: str) -> int:
        """The agent may no longer sign in, and their sessions end; how many ended."""
        await self._existing(agent_id)
        now = self._clock()
        await self._store.update(agent_id, {"disabled": True})
        ended = await self._end_sessions(agent_id, now)
        await self._store.audit("agent_disabled", agent_id, {"by": by, "sessions": ended}, now)
        return ended

    async def enable(self, agent_id: str, *, by: str) -> AgentRecord:
        """The agent may sign in again, disabled or locked before (sessions that ended stay
        ended); the record as it was."""
        before = await self._existing(agent_id)
        now = self._clock()
        changes = {"disabled": False, "locked_at": None, "failed_sign_ins": 0}
        await self._store.update(agent_id, changes)
        data = {
            "by": by,
            "was_disabled": before.disabled,
            "was_locked": before.locked_at is not None,
        }
        await self._store.audit("agent_enabled", agent_id, data, now)
        return before

    async def reset_password(self, agent_id: str, password: str, *, by: str) -> int:
        """A new password; the old one and every session end. How many sessions ended."""
        check_password(password)
        await self._existing(agent_id)
        password_hash = await self._off_loop(_hasher.hash, password)
        now = self._clock()
        await self._store.update(agent_id, {"password_hash": password_hash})
        ended = await self._end_sessions(agent_id, now)
        await self._store.audit("password_reset", agent_id, {"by": by, "sessions": ended}, now)
        return ended
