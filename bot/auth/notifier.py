"""Where one-time codes are delivered: SMS/email/push in production, a dev outbox locally."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol


class Notifier(Protocol):
    async def send(self, customer_id: str, to: str, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    customer_id: str
    to: str
    text: str
    sent_at: float


class DevOutbox:
    """Keeps what would have been sent, newest first, for the demo page and tests."""

    def __init__(self, capacity: int = 500) -> None:
        self._entries: deque[OutboxEntry] = deque(maxlen=capacity)

    async def send(self, customer_id: str, to: str, text: str) -> None:
        self._entries.appendleft(OutboxEntry(customer_id, to, text, time.time()))

    def recent(self, customer_id: str) -> list[OutboxEntry]:
        return [e for e in self._entries if e.customer_id == customer_id]
