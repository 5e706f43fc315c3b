"""Per-customer lockout: after repeated locked OTP challenges, money movement pauses a while.

Three wrong codes lock one challenge; without this a guesser could simply start a new transfer.
Counting happens in the `Counters` port: Redis when configured (shared by every worker),
in-process otherwise; either raises StoreUnavailable when it cannot count.
"""

from __future__ import annotations

from bot.ports import Counters


class CustomerLockout:
    def __init__(
        self,
        counters: Counters,
        max_locked: int = 3,
        window_seconds: float = 24 * 3600,
        block_seconds: float = 30 * 60,
    ) -> None:
        self._counters = counters
        self._max_locked = max_locked
        self._window = window_seconds
        self._block = block_seconds

    async def record_locked(self, customer_id: str) -> bool:
        """Note a challenge locked by wrong codes; True if the customer is now blocked."""
        count = await self._counters.incr(f"otp-locked:{customer_id}", self._window)
        if count < self._max_locked:
            return False
        await self._counters.flag(f"otp-blocked:{customer_id}", self._block)
        return True

    async def is_blocked(self, customer_id: str) -> bool:
        """True while the customer may not start a money movement."""
        return await self._counters.flagged(f"otp-blocked:{customer_id}")
