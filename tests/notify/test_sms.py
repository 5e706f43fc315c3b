"""The SMS channel against a Twilio-shaped provider: the request, and every failure's class."""

from __future__ import annotations

import httpx
import pytest

from bot.config import ConfigError
from bot.notify.sms import SmsChannel, SmsSettings, e164
from bot.ports import DeliveryFailed, Recipient
from tests.notify.conftest import CODE, EMMA, NOTICE
from tests.support.fake_notifiers import FakeSmsProvider
from tests.support.sandbox import unused_port


def channel(sms: FakeSmsProvider, http: httpx.AsyncClient, **change: str) -> SmsChannel:
    return SmsChannel(SmsSettings.from_env({**sms.env(), **change}), http)


async def test_a_message_is_a_form_post_with_basic_auth(
    sms: FakeSmsProvider, http: httpx.AsyncClient
) -> None:
    sms_channel = channel(sms, http)
    address = sms_channel.address(EMMA)
    assert address == "+447700900101"
    await sms_channel.deliver(address, EMMA, NOTICE)
    [sent] = sms.sent_to("+447700900101")  # the fake checked auth, To, From and Body
    assert sent == {"To": "+447700900101", "From": sms.sender, "Body": NOTICE.text}


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+44 7700 900101", "+447700900101"),
        ("+1 (555) 010-9999", "+15550109999"),
        ("07700 900101", None),  # national form: the provider cannot route it
        ("", None),
    ],
)
def test_numbers_are_sent_in_e164_or_not_at_all(phone: str, expected: str | None) -> None:
    assert e164(phone) == expected


async def test_a_customer_without_a_usable_number_has_no_sms_address(
    sms: FakeSmsProvider, http: httpx.AsyncClient
) -> None:
    assert (
        channel(sms, http).address(Recipient("cust-009", "07700 900101", "x@example.com")) is None
    )


async def test_wrong_credentials_are_permanent_and_say_only_the_status(
    sms: FakeSmsProvider, http: httpx.AsyncClient
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await channel(sms, http, TELLER_SMS_AUTH_TOKEN="wrong").deliver(
            "+447700900101", EMMA, NOTICE
        )
    assert not failed.value.transient
    assert failed.value.reason == "sms: provider answered 401 (error 20003)"
    assert sms.sent_to("+447700900101") == []


@pytest.mark.parametrize(("status", "transient"), [(503, True), (500, True), (400, False)])
async def test_5xx_is_transient_and_4xx_permanent(
    sms: FakeSmsProvider, http: httpx.AsyncClient, status: int, transient: bool
) -> None:
    sms.fail_next(status)
    with pytest.raises(DeliveryFailed) as failed:
        await channel(sms, http).deliver("+447700900101", EMMA, NOTICE)
    assert failed.value.transient is transient
    assert str(status) in failed.value.reason and CODE not in failed.value.reason
    assert failed.value.__cause__ is None


async def test_no_provider_listening_is_transient(http: httpx.AsyncClient) -> None:
    settings = SmsSettings(f"http://127.0.0.1:{unused_port()}", "AC1", "token", "+447700900999")
    with pytest.raises(DeliveryFailed) as failed:
        await SmsChannel(settings, http).deliver("+447700900101", EMMA, NOTICE)
    assert failed.value.transient and failed.value.reason == "sms: ConnectError"


async def test_a_provider_slower_than_the_timeout_is_transient(sms: FakeSmsProvider) -> None:
    sms.delay_seconds = 1.0
    async with httpx.AsyncClient(timeout=0.2) as impatient:
        with pytest.raises(DeliveryFailed) as failed:
            await channel(sms, impatient).deliver("+447700900101", EMMA, NOTICE)
    assert failed.value.transient and failed.value.reason == "sms: timed out"


def test_settings_come_from_the_environment_and_name_what_is_missing(
    sms: FakeSmsProvider,
) -> None:
    env = sms.env()
    for name in ("TELLER_SMS_ACCOUNT_SID", "TELLER_SMS_AUTH_TOKEN", "TELLER_SMS_FROM"):
        with pytest.raises(ConfigError, match=name):
            SmsSettings.from_env({k: v for k, v in env.items() if k != name})
    without_base = {k: v for k, v in env.items() if k != "TELLER_SMS_API_BASE"}
    settings = SmsSettings.from_env(without_base)
    assert settings.api_base == "https://api.twilio.com"
    assert sms.auth_token not in repr(settings)
