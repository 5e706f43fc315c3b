"""The push channel against the bank's notification service: a signed JSON POST."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest

from bot.config import ConfigError
from bot.notify.push import PushChannel, PushSettings, signature
from bot.ports import DeliveryFailed
from tests.notify.conftest import CODE, EMMA, NOTICE
from tests.support.fake_notifiers import FakePushService


def channel(push: FakePushService, http: httpx.AsyncClient, **change: str) -> PushChannel:
    return PushChannel(PushSettings.from_env({**push.env(), **change}), http)


async def test_a_notification_is_signed_json_the_service_verifies(
    push: FakePushService, http: httpx.AsyncClient
) -> None:
    push_channel = channel(push, http)
    assert push_channel.address(EMMA) == "cust-001"  # the service knows the devices
    await push_channel.deliver("cust-001", EMMA, NOTICE)
    assert push.sent_to("cust-001") == [
        {
            "customer_id": "cust-001",
            "kind": "one_time_code",
            "title": NOTICE.subject,
            "body": NOTICE.text,
        }
    ]
    assert push.forged == 0


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = json.dumps({"customer_id": "cust-001"}).encode()
    expected = hmac.new(b"k" * 32, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature(b"k" * 32, "1700000000", body) == f"sha256={expected}"


async def test_another_secret_is_refused_as_forged_and_permanent(
    push: FakePushService, http: httpx.AsyncClient
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await channel(push, http, TELLER_PUSH_SECRET="x" * 40).deliver("cust-001", EMMA, NOTICE)
    assert not failed.value.transient and failed.value.reason == "push: provider answered 401"
    assert (push.forged, push.sent_to("cust-001")) == (1, [])


async def test_a_stale_timestamp_is_refused(push: FakePushService, http: httpx.AsyncClient) -> None:
    settings = PushSettings.from_env(push.env())
    an_hour_ago = PushChannel(settings, http, clock=lambda: time.time() - 3600)
    with pytest.raises(DeliveryFailed):
        await an_hour_ago.deliver("cust-001", EMMA, NOTICE)
    assert push.forged == 1


@pytest.mark.parametrize(("status", "transient"), [(503, True), (502, True), (404, False)])
async def test_5xx_is_transient_and_4xx_permanent(
    push: FakePushService, http: httpx.AsyncClient, status: int, transient: bool
) -> None:
    push.fail_next(status)
    with pytest.raises(DeliveryFailed) as failed:
        await channel(push, http).deliver("cust-001", EMMA, NOTICE)
    assert failed.value.transient is transient and CODE not in failed.value.reason


def test_settings_need_a_url_and_a_long_secret(push: FakePushService) -> None:
    for name in ("TELLER_PUSH_URL", "TELLER_PUSH_SECRET"):
        with pytest.raises(ConfigError, match=name):
            PushSettings.from_env({k: v for k, v in push.env().items() if k != name})
    with pytest.raises(ConfigError, match="TELLER_PUSH_SECRET must be at least 32"):
        PushSettings.from_env({**push.env(), "TELLER_PUSH_SECRET": "short"})
    assert push.secret not in repr(PushSettings.from_env(push.env()))
