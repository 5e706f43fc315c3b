"""Push through the bank's own notification service: a JSON POST it can prove came from us.

The body is `{"customer_id", "kind": "one_time_code", "title", "body"}`; the service knows
the customer's devices. Each request is signed with HMAC-SHA256 over the timestamp, a dot
and the raw body (`X-Teller-Timestamp`, `X-Teller-Signature: sha256=<hex>`), so the
service can refuse forgeries and, by the timestamp, replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from bot.config import ConfigError
from bot.notify.http import post
from bot.ports import Notice, Recipient

URL = "TELLER_PUSH_URL"
SECRET = "TELLER_PUSH_SECRET"
TIMESTAMP_HEADER = "X-Teller-Timestamp"
SIGNATURE_HEADER = "X-Teller-Signature"
MIN_SECRET_CHARS = 32
KIND = "one_time_code"


@dataclass(frozen=True, slots=True)
class PushSettings:
    url: str
    secret: bytes = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PushSettings:
        """Raises ConfigError naming the variable missing or too short."""
        for name in (URL, SECRET):
            if not env.get(name):
                raise ConfigError(f"otp.notifiers lists push, so {name} must be set")
        if len(env[SECRET]) < MIN_SECRET_CHARS:
            raise ConfigError(f"{SECRET} must be at least {MIN_SECRET_CHARS} characters")
        return cls(url=env[URL], secret=env[SECRET].encode())


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The `X-Teller-Signature` value for `body` sent at `timestamp`."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class PushChannel:
    name = "push"

    def __init__(
        self,
        settings: PushSettings,
        http: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock

    def address(self, recipient: Recipient) -> str | None:
        return recipient.customer_id or None  # the service finds the customer's devices

    async def deliver(self, address: str, recipient: Recipient, notice: Notice) -> None:
        message = {
            "customer_id": address,
            "kind": KIND,
            "title": notice.subject,
            "body": notice.text,
        }
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._settings.secret, timestamp, body),
        }
        await post(self._http, self.name, self._settings.url, content=body, headers=headers)
