"""Per-customer limits on one-time codes: wrong codes pause money movement, and codes are
sent at a bounded rate.

Every wrong code counts, whatever becomes of its challenge (locked, cancelled, replaced)
and in whichever conversation or worker it was typed: counting only locked challenges let
"two wrong codes, cancel, start again" guess forever. Too many wrong codes in a sliding
window pause money movement for a while. Codes sent (first ones and resends) are counted the
same way, which bounds both guessing and the cost of being made to send SMS.

Counting happens in the `Counters` port: Redis when configured (shared by every worker),
in-process otherwise; either raises StoreUnavailable when it cannot count, and the step-up
then moves nothing.
"""

from __future__ import annotations

from bot.config import OtpSettings
from bot.ports import Counters


class CustomerLockout:
    def __init__(self, counters: Counters, settings: OtpSettings) -> None:
        self._counters = counters
        self._settings = settings

    async def wrong_code(self, customer_id: str) -> bool:
        """Count a wrong code; True if the customer is now paused."""
        s = self._settings
        wrong = await self._counters.record(f"otp-wrong:{customer_id}", s.wrong_code_window_seconds)
        if wrong < s.max_wrong_codes:
            return False
        await self._counters.flag(f"otp-blocked:{customer_id}", s.pause_seconds)
        return True

    async def is_blocked(self, customer_id: str) -> bool:
        """True while the customer may not start a money movement."""
        return await self._counters.flagged(f"otp-blocked:{customer_id}")

    async def may_send_code(self, customer_id: str) -> bool:
        """Count a code about to be sent; False when too many went out lately (the refused
        ask counts too, so hammering does not shorten the wait)."""
        s = self._settings
        sent = await self._counters.record(f"otp-sent:{customer_id}", s.code_window_seconds)
        return sent <= s.max_codes_per_window
