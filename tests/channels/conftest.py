"""A Teller stack with WhatsApp and Telegram on, talking to a local fake of both platforms.

`WhatsAppUser` and `TelegramUser` play the platforms' side of the webhooks: they post
deliveries in the documented shapes (signed or with the secret token) and read what
Teller sent back from the fake Graph API / Bot API.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from pymongo.database import Database

from tests.support.fake_platforms import FakePlatforms, Recorded, fake_platforms
from tests.support.stack import Stack, running_stack

PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
APP_SECRET = secrets.token_hex(16)
VERIFY_TOKEN = secrets.token_urlsafe(16)
WHATSAPP_TOKEN = "EAAG" + secrets.token_urlsafe(24)
BOT_ID = f"7{secrets.randbelow(10**9):09d}"
TELEGRAM_TOKEN = f"{BOT_ID}:{secrets.token_urlsafe(26)}"
TELEGRAM_SECRET = secrets.token_urlsafe(24)
_numbers = itertools.count(1)


def channel_env(platforms: FakePlatforms) -> dict[str, str]:
    return {
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_ACCESS_TOKEN": WHATSAPP_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_API_BASE": platforms.base_url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE": platforms.base_url,
    }


@pytest.fixture(scope="session")
def platforms() -> Iterator[FakePlatforms]:
    with fake_platforms(WHATSAPP_TOKEN, TELEGRAM_TOKEN) as running:
        yield running


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, platforms: FakePlatforms) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("channels")
    with running_stack(tmp, extra_env=channel_env(platforms)) as running:
        yield running


@pytest.fixture(scope="session")
def db(stack: Stack) -> Iterator[Database[dict[str, Any]]]:
    """Teller's database, as an auditor would query it."""
    with MongoClient(stack.mongo_uri) as client:
        yield client[stack.mongo_db]


@pytest.fixture(scope="session")
def http(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.teller.base_url, timeout=10) as client:
        yield client


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def quiet(platforms: FakePlatforms, predicate: Any, seconds: float = 1.0) -> list[Recorded]:
    """What matched after waiting `seconds`: for asserting that nothing was sent."""
    time.sleep(seconds)
    return platforms.sent(predicate)


@dataclass
class ChatUser:
    """Shared by both channels: what Teller sent this user since the last `mark()`."""

    http: httpx.Client
    platforms: FakePlatforms
    seen: int = 0

    def _mine(self, recorded: Recorded) -> bool:
        raise NotImplementedError

    def outgoing(self) -> list[Recorded]:
        return self.platforms.sent(self._mine)

    def mark(self) -> None:
        self.seen = len(self.outgoing())

    def texts(self, since: int | None = None) -> list[str]:
        return [
            self.text_of(r.body) for r in self.outgoing()[self.seen if since is None else since :]
        ]

    @staticmethod
    def text_of(body: dict[str, Any]) -> str:
        raise NotImplementedError

    def expect(self, part: str, timeout: float = 15.0) -> list[Recorded]:
        """Wait until a message containing `part` (case-insensitive) arrives; return all new."""
        start = self.seen
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self.outgoing()[start:]
            if any(part.lower() in self.text_of(r.body).lower() for r in new):
                time.sleep(0.2)  # the rest of the turn's replies
                new = self.outgoing()[start:]
                self.seen = start + len(new)
                return new
            time.sleep(0.05)
        raise AssertionError(f"no reply containing {part!r}; got {self.texts(start)}")


@dataclass
class WhatsAppUser(ChatUser):
    # Random per run: Redis (dedup, link-failure counters) outlives a test session.
    phone: str = field(default_factory=lambda: f"4477{secrets.randbelow(10**8):08d}")

    def _mine(self, recorded: Recorded) -> bool:
        return recorded.path.endswith("/messages") and recorded.body.get("to") == self.phone

    @staticmethod
    def text_of(body: dict[str, Any]) -> str:
        if body["type"] == "text":
            return body["text"]["body"]
        if body["type"] in ("image", "document"):  # by link, its caption the text
            return body[body["type"]].get("caption", "")
        return body["interactive"]["body"]["text"]

    def delivery(self, message: dict[str, Any]) -> dict[str, Any]:
        """A webhook body carrying one message from this user, as the Cloud API sends it."""
        return envelope(
            {
                "contacts": [{"profile": {"name": "Test Customer"}, "wa_id": self.phone}],
                "messages": [
                    {
                        "from": self.phone,
                        "id": "wamid." + secrets.token_hex(12).upper(),
                        "timestamp": str(int(time.time())),
                        **message,
                    }
                ],
            }
        )

    def post(self, body: dict[str, Any], signature: str | None = "good") -> httpx.Response:
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "good":
            headers["X-Hub-Signature-256"] = sign(raw)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return self.http.post("/webhooks/whatsapp", content=raw, headers=headers)

    def say(self, text: str) -> dict[str, Any]:
        body = self.delivery({"type": "text", "text": {"body": text}})
        self.mark()
        assert self.post(body).status_code == 200
        return body

    def press(self, reply_id: str, title: str, kind: str = "button_reply") -> dict[str, Any]:
        body = self.delivery(
            {
                "type": "interactive",
                "interactive": {"type": kind, kind: {"id": reply_id, "title": title}},
            }
        )
        self.mark()
        assert self.post(body).status_code == 200
        return body


def envelope(value: dict[str, Any], phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


_update_ids = itertools.count(secrets.randbelow(10**9))


@dataclass
class TelegramUser(ChatUser):
    chat_id: int = field(default_factory=lambda: 5_000_000_000 + secrets.randbelow(10**9))

    def _mine(self, recorded: Recorded) -> bool:
        return recorded.path.endswith("/sendMessage") and recorded.body.get("chat_id") in (
            self.chat_id,
            str(self.chat_id),
        )

    @staticmethod
    def text_of(body: dict[str, Any]) -> str:
        return body["text"]

    def _sender(self) -> dict[str, Any]:
        return {"id": self.chat_id, "is_bot": False, "first_name": "Test", "language_code": "en"}

    def message(self, **content: Any) -> dict[str, Any]:
        """An update carrying a message from this user, as the Bot API sends it."""
        return {
            "update_id": next(_update_ids),
            "message": {
                "message_id": next(_numbers),
                "from": self._sender(),
                "chat": {"id": self.chat_id, "first_name": "Test", "type": "private"},
                "date": int(time.time()),
                **content,
            },
        }

    def callback(self, pressed: Recorded, title: str) -> dict[str, Any]:
        """An update for pressing the button titled `title` on a message we were sent."""
        keyboard = pressed.body["reply_markup"]["inline_keyboard"]
        data = next(b["callback_data"] for row in keyboard for b in row if b["text"] == title)
        return {
            "update_id": next(_update_ids),
            "callback_query": {
                "id": str(secrets.randbelow(10**18)),
                "from": self._sender(),
                "message": {
                    "message_id": next(_numbers),
                    "from": {"id": 7000000001, "is_bot": True, "first_name": "Teller"},
                    "chat": {"id": self.chat_id, "first_name": "Test", "type": "private"},
                    "date": int(time.time()),
                    "text": pressed.body["text"],
                    "reply_markup": {"inline_keyboard": keyboard},
                },
                "chat_instance": "-1234567890",
                "data": data,
            },
        }

    def post(self, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return self.http.post("/webhooks/telegram", json=update, headers=headers)

    def say(self, text: str) -> dict[str, Any]:
        update = self.message(text=text)
        self.mark()
        assert self.post(update).status_code == 200
        return update


@pytest.fixture
def whatsapp(http: httpx.Client, platforms: FakePlatforms) -> WhatsAppUser:
    return WhatsAppUser(http, platforms)


@pytest.fixture
def telegram(http: httpx.Client, platforms: FakePlatforms) -> TelegramUser:
    return TelegramUser(http, platforms)


def link_code(http: httpx.Client, customer_id: str) -> str:
    """What the signed-in customer gets from the web app's "Link a chat app"."""
    token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    response = http.post("/api/v1/link-codes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response.json()["code"]


def latest_otp(http: httpx.Client, customer_id: str) -> str:
    outbox = http.get("/dev/outbox", params={"customer_id": customer_id}).json()
    found = re.search(r"\b(\d{6})\b", outbox[0]["text"])
    assert found, outbox
    return found.group(1)


# -- a second stack with short limits and lifetimes (tests/channels/config.yml) -----------

STRICT_CONFIG = Path(__file__).with_name("config.yml")


@pytest.fixture(scope="session")
def strict_stack(
    tmp_path_factory: pytest.TempPathFactory, platforms: FakePlatforms
) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("channels-strict")
    with running_stack(tmp, STRICT_CONFIG, extra_env=channel_env(platforms)) as running:
        yield running


@pytest.fixture(scope="session")
def strict_http(strict_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=strict_stack.teller.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def strict_db(strict_stack: Stack) -> Iterator[Database[dict[str, Any]]]:
    with MongoClient(strict_stack.mongo_uri) as client:
        yield client[strict_stack.mongo_db]
