"""Which notifiers Teller builds: the dev outbox only in dev mode, never none, and each real
channel's settings from the environment, refusing to start when one is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

import compose
from bot.config import PROJECT_ROOT, ConfigError, OtpSettings, load_settings, notifier_names
from bot.notify.email import EmailSettings
from bot.notify.push import PushSettings
from bot.notify.sms import SmsSettings

PRODUCTION = PROJECT_ROOT / "config.production.yml"
PRODUCTION_ENV = {
    "MONGODB_URI": "mongodb://127.0.0.1:1",
    "REDIS_URL": "redis://127.0.0.1:1",
    "BANK_API_URL": "http://127.0.0.1:1",
    "TELLER_JWT_ISSUER": "https://login.bank.example",
}
SMS_ENV = {
    "TELLER_SMS_ACCOUNT_SID": "AC123",
    "TELLER_SMS_AUTH_TOKEN": "token",
    "TELLER_SMS_FROM": "+447700900999",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_dev_mode_defaults_to_the_outbox() -> None:
    assert notifier_names(OtpSettings(), dev_mode=True) == ("outbox",)
    assert load_settings(PROJECT_ROOT / "config.yml").otp.notifiers == ("outbox",)


@pytest.mark.parametrize(
    ("notifiers", "dev_mode", "message"),
    [
        ((), False, "otp.notifiers is empty"),
        (("outbox",), False, "otp.notifiers: outbox .* only works in dev mode"),
        (("sms", "fax"), False, r"otp.notifiers: unknown \['fax'\]"),
        (("sms", "sms"), False, "otp.notifiers lists a notifier twice"),
        (("outbox", "sms"), True, "otp.notifiers: outbox stands alone"),
    ],
)
def test_refusals_name_the_setting(
    notifiers: tuple[str, ...], dev_mode: bool, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        notifier_names(OtpSettings(notifiers=notifiers), dev_mode)


def test_the_production_example_tries_sms_email_push_and_the_environment_narrows_it(
    production: pytest.MonkeyPatch,
) -> None:
    assert load_settings(PRODUCTION).otp.notifiers == ("sms", "email", "push")
    production.setenv("TELLER_OTP_NOTIFIERS", " email , sms ")
    assert load_settings(PRODUCTION).otp.notifiers == ("email", "sms")


@pytest.mark.parametrize(("value", "message"), [("", "is empty"), ("outbox", "dev mode")])
def test_the_production_example_refuses_the_outbox_or_nothing(
    production: pytest.MonkeyPatch, value: str, message: str
) -> None:
    production.setenv("TELLER_OTP_NOTIFIERS", value)
    settings = load_settings(PRODUCTION)  # reading it is fine (`python -m bot train` does) ...
    with pytest.raises(ConfigError, match=f"otp.notifiers.*{message}"):
        notifier_names(settings.otp, settings.dev_mode)  # ... serving with it is not


def test_each_listed_channel_is_set_up_from_the_environment(
    production: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    production.setenv("TELLER_OTP_NOTIFIERS", "sms,email,push")
    settings = load_settings(PRODUCTION)
    env = {
        **SMS_ENV,
        "TELLER_SMTP_HOST": "smtp.bank.example",
        "TELLER_SMTP_FROM": "codes@bank.example",
        "TELLER_PUSH_URL": "https://notify.bank.example/v1/notifications",
        "TELLER_PUSH_SECRET": "s" * 32,
    }
    channels = compose._channel_settings(settings, env)
    assert [type(c) for c in channels] == [SmsSettings, EmailSettings, PushSettings]
    with pytest.raises(ConfigError, match=r"otp\.notifiers lists email, so TELLER_SMTP_HOST"):
        compose._channel_settings(settings, {**env, "TELLER_SMTP_HOST": ""})


def test_the_shell_and_conversation_tests_keep_the_outbox(production: pytest.MonkeyPatch) -> None:
    production.setenv("TELLER_OTP_NOTIFIERS", "sms")
    offline = compose.offline_settings(load_settings(PRODUCTION))
    assert compose._channel_settings(offline, {}) == []  # the dev outbox
