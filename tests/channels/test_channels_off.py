"""A channel whose secrets are unset is off (404); one half configured refuses to start."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import ConfigError
from connectors.telegram import TelegramSettings
from connectors.whatsapp import WhatsAppSettings
from tests.channels.conftest import channel_env
from tests.support.fake_platforms import FakePlatforms
from tests.support.process import ServerProcess, start_teller
from tests.support.stack import Stack

NO_CHANNELS = {name: "" for name in channel_env(FakePlatforms("", "", ""))}


def teller_env(stack: Stack, **overrides: str) -> dict[str, str]:
    return {
        "MONGODB_URI": stack.mongo_uri,
        "MONGODB_DB": stack.mongo_db,
        "BANK_API_URL": stack.bank_url,
        "BANK_API_KEY": stack.bank_api_key,
        "TELLER_JWT_SECRET": stack.jwt_secret,
        "TELLER_OTP_KEY": secrets.token_urlsafe(32),
        **NO_CHANNELS,
        **overrides,
    }


@pytest.fixture(scope="module")
def teller_without_channels(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    server = start_teller(teller_env(stack), tmp_path_factory.mktemp("off") / "teller.log")
    yield server
    server.stop()


def test_webhooks_and_link_codes_answer_404_when_no_channel_is_configured(
    teller_without_channels: ServerProcess, stack: Stack
) -> None:
    with httpx.Client(base_url=teller_without_channels.base_url) as http:
        assert (
            http.post(
                "/webhooks/whatsapp", json={"object": "whatsapp_business_account"}
            ).status_code
            == 404
        )
        assert http.get("/webhooks/whatsapp", params={"hub.mode": "subscribe"}).status_code == 404
        assert http.post("/webhooks/telegram", json={"update_id": 1}).status_code == 404
        token = http.post("/dev/token", json={"customer_id": "cust-001"}).json()["token"]
        codes = http.post("/api/v1/link-codes", headers={"Authorization": f"Bearer {token}"})
        assert codes.status_code == 404
        # The rest of Teller works as usual.
        assert http.post("/api/v1/chat/message", json={"text": "hello"}).status_code == 200


def load_channel_settings(env: dict[str, str]) -> tuple[object, object]:
    return WhatsAppSettings.from_env(env), TelegramSettings.from_env(env)


def test_half_configured_channels_are_refused() -> None:
    assert load_channel_settings({}) == (None, None)
    with pytest.raises(ConfigError, match="WHATSAPP_ACCESS_TOKEN"):
        load_channel_settings(
            {
                "WHATSAPP_APP_SECRET": "s",
                "WHATSAPP_VERIFY_TOKEN": "v",
                "WHATSAPP_PHONE_NUMBER_ID": "1",
            }
        )
    with pytest.raises(ConfigError, match="TELEGRAM_SECRET_TOKEN"):
        load_channel_settings({"TELEGRAM_BOT_TOKEN": "1:abc"})
    with pytest.raises(ConfigError, match="TELEGRAM_SECRET_TOKEN must be"):
        load_channel_settings({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_SECRET_TOKEN": "has space"})


def test_a_half_configured_server_does_not_start(stack: Stack, tmp_path: Path) -> None:
    env = teller_env(stack, TELEGRAM_BOT_TOKEN="1:abc")
    with pytest.raises(RuntimeError, match="exited at start-up"):
        start_teller(env, tmp_path / "teller.log")
    assert "TELEGRAM_SECRET_TOKEN" in (tmp_path / "teller.log").read_text()
