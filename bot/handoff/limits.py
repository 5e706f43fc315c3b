"""Limits on agents' sign-in attempts, per sign-in name and per client address.

Every wrong password is counted twice in the `Counters` port (Redis when configured, so
every worker shares the counts): once for the name tried, once for the address it came
from, each in a window of `sign_in_window_seconds`. Past a free allowance (3 for a name,
10 for an address, which may be a whole office behind one NAT), each further wrong
password makes the next try of that name, or from that address, wait: 1 s, doubling up to
`sign_in_max_backoff_seconds`. A try during a wait is refused before any password is
checked (and is not counted). A right password forgets the name's count; an address's is
never forgotten early, or one guesser with an account of their own could reset it.

Separately, `lock_after` (10) wrong passwords in a row lock an account until an operator
enables it (`Agents`, in the agent's record). A name nobody has "locks" alike, counted
here for a day, so the answers do not tell which names are accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import HandoffSettings
from bot.ports import Counters

_PREFIX = "agent-sign-in:"


LOCK_SECONDS_UNKNOWN = 24 * 3600  # how long a name nobody has stays "locked"


class SignInRefused(Exception):
    """A sign-in refused before any password was checked: `status` and `code` become the
    answer, the console shows the response `error_<code>` filled with `variables`, and
    `retry_after` (seconds) says when to try again."""

    def __init__(
        self, status: int, code: str, retry_after: float | None = None, **variables: Any
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.retry_after = status, code, retry_after
        self.variables = variables


@dataclass(frozen=True, slots=True)
class Allowance:
    """How many wrong passwords one kind of key gets free, and the waits after that."""

    free: int
    window_seconds: float
    backoff_seconds: float
    max_backoff_seconds: float

    def wait_after(self, failures: int) -> float:
        """The wait that the `failures`-th wrong password in the window imposes."""
        if failures <= self.free:
            return 0.0
        doubling = min(failures - self.free - 1, 30)
        return min(self.backoff_seconds * 2**doubling, self.max_backoff_seconds)


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    per_name: Allowance
    per_address: Allowance
    lock_after: int = 10  # wrong passwords in a row lock an account

    @classmethod
    def from_settings(cls, settings: HandoffSettings) -> SignInPolicy:
        def allowance(free: int) -> Allowance:
            return Allowance(
                free,
                settings.sign_in_window_seconds,
                settings.sign_in_backoff_seconds,
                settings.sign_in_max_backoff_seconds,
            )

        return cls(
            per_name=allowance(settings.sign_in_free_failures_per_name),
            per_address=allowance(settings.sign_in_free_failures_per_address),
            lock_after=settings.sign_in_lock_after,
        )


class SignInLimits:
    def __init__(self, counters: Counters, policy: SignInPolicy) -> None:
        self._counters = counters
        self.policy = policy

    def _kinds(self, name: str, address: str) -> tuple[tuple[str, Allowance], ...]:
        return (
            (f"name:{name}", self.policy.per_name),
            (f"address:{address}", self.policy.per_address),
        )

    async def check(self, name: str, address: str) -> None:
        """Raise SignInRefused (429 `sign_in_wait`) while the name or the address waits."""
        waits = [
            await self._counters.expires_in(f"{_PREFIX}wait:{key}")
            for key, _ in self._kinds(name, address)
        ]
        if max(waits) > 0:
            seconds = max(1, int(max(waits) + 0.999))
            raise SignInRefused(429, "sign_in_wait", retry_after=seconds, seconds=seconds)

    async def failed(self, name: str, address: str) -> None:
        """Count a wrong password for the name and the address."""
        for key, allowance in self._kinds(name, address):
            count = await self._counters.incr(f"{_PREFIX}failed:{key}", allowance.window_seconds)
            wait = allowance.wait_after(count)
            if wait > 0:
                await self._counters.flag(f"{_PREFIX}wait:{key}", wait)

    async def failed_unknown(self, name: str) -> bool:
        """Count a wrong password for a name nobody has, so that it "locks" as an account
        would (10 in a day, then for a day): True once it has."""
        key = f"{_PREFIX}in-a-row:name:{name}"
        if await self._counters.incr(key, LOCK_SECONDS_UNKNOWN) < self.policy.lock_after:
            return False
        await self._counters.flag(f"{_PREFIX}locked:name:{name}", LOCK_SECONDS_UNKNOWN)
        return True

    async def locked_unknown(self, name: str) -> bool:
        return await self._counters.flagged(f"{_PREFIX}locked:name:{name}")

    async def succeeded(self, name: str) -> None:
        await self._counters.forget(f"{_PREFIX}failed:name:{name}")
        await self._counters.forget(f"{_PREFIX}wait:name:{name}")
