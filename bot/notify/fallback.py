"""The `Notifier` over real channels: the customer's own choice first, then the configured order.

A code send is safe to repeat, so a transient failure (a timeout, a 5xx, a dropped
connection) is tried once more after a short pause, with the same message: the code is not
regenerated. A permanent failure, or a second transient one, moves on to the next channel the
customer has an address for. All attempts together stay within a budget, because the
conversation's lock is held while they run. Log lines name the channel and the customer,
never the message or the address, since the message is the code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from bot.observe import metrics
from bot.ports import Delivered, DeliveryFailed, NotDelivered, Notice, NoticeChannel, Recipient

log = logging.getLogger(__name__)
ATTEMPTS = 2  # a first try and one retry


class FallbackNotifier:
    def __init__(
        self,
        channels: Sequence[NoticeChannel],
        *,
        attempt_seconds: float,
        backoff_seconds: float,
        budget_seconds: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not channels:
            raise ValueError("a notifier needs at least one channel")
        self._channels = tuple(channels)
        self._attempt_seconds = attempt_seconds
        self._backoff_seconds = backoff_seconds
        self._budget_seconds = budget_seconds
        self._sleep = sleep
        self._clock = clock

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(channel.name for channel in self._channels)

    def order(self, recipient: Recipient) -> list[NoticeChannel]:
        """The channel the customer chose with the bank first (when configured), then the rest."""
        chosen = [c for c in self._channels if c.name == recipient.prefers]
        return chosen + [c for c in self._channels if c.name != recipient.prefers]

    async def send(self, recipient: Recipient, notice: Notice) -> Delivered:
        deadline = self._clock() + self._budget_seconds
        tried = []
        for channel in self.order(recipient):
            address = channel.address(recipient)
            if address is None:
                continue  # the bank has no usable phone or email for this channel
            tried.append(channel.name)
            if await self._deliver(channel, address, recipient, notice, deadline):
                return Delivered(channel.name, address)
        raise NotDelivered(f"no channel delivered (tried: {', '.join(tried) or 'none usable'})")

    async def _deliver(
        self,
        channel: NoticeChannel,
        address: str,
        recipient: Recipient,
        notice: Notice,
        deadline: float,
    ) -> bool:
        for attempt in range(1, ATTEMPTS + 1):
            left = deadline - self._clock()
            if left <= 0:
                log.warning(
                    "code for %s: out of time before %s", recipient.customer_id, channel.name
                )
                return False
            try:
                async with asyncio.timeout(min(self._attempt_seconds, left)):
                    await channel.deliver(address, recipient, notice)
                metrics.NOTIFIER.labels(channel.name, "delivered").inc()
                return True
            except TimeoutError:
                failure = DeliveryFailed(f"{channel.name}: timed out", transient=True)
            except DeliveryFailed as exc:
                failure = exc
            except Exception as exc:  # an adapter bug must not stop the other channels
                failure = DeliveryFailed(f"{channel.name}: {type(exc).__name__}", transient=False)
            again = failure.transient and attempt < ATTEMPTS
            metrics.NOTIFIER.labels(channel.name, "retried" if again else "failed").inc()
            log.warning(
                "code for %s not delivered (attempt %d, %s): %s",
                recipient.customer_id,
                attempt,
                "retrying" if again else "giving up on this channel",
                failure.reason,
            )
            if not again:
                return False
            await self._sleep(self._backoff_seconds)
        return False
