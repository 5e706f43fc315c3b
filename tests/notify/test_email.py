"""The email channel against a real SMTP server: STARTTLS, AUTH, two parts, and every failure."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.notify.email import EmailChannel, EmailSettings
from bot.ports import DeliveryFailed, Notice, Recipient
from tests.notify.conftest import CODE, EMMA, NOTICE
from tests.support.fake_notifiers import FakeMailServer, mail_server


def channel(mail: FakeMailServer, **change: str) -> EmailChannel:
    return EmailChannel(EmailSettings.from_env({**mail.env(), **change}))


async def test_a_code_goes_over_starttls_with_a_text_and_an_html_part(
    mail: FakeMailServer,
) -> None:
    email_channel = channel(mail)
    address = email_channel.address(EMMA)
    assert address == "emma.clarke@example.com"
    await email_channel.deliver(address, EMMA, NOTICE)
    [sent] = mail.sent_to("emma.clarke@example.com")
    assert mail.logins == ["teller"]  # the server takes AUTH only after STARTTLS
    assert sent.sender == "codes@bank.example"
    message = sent.message
    assert (message["From"], message["To"]) == (mail.sender, "emma.clarke@example.com")
    assert message["Subject"] == "Your Teller security code"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert sent.part("text/plain").strip() == NOTICE.text
    assert sent.part("text/html").strip() == NOTICE.html


async def test_without_html_the_message_is_plain_text(mail: FakeMailServer) -> None:
    await channel(mail).deliver(EMMA.email, EMMA, Notice(text=NOTICE.text, subject="Code"))
    [sent] = mail.sent_to(EMMA.email)
    assert sent.message.get_content_type() == "text/plain"


def test_addresses_that_could_inject_headers_are_not_used(mail: FakeMailServer) -> None:
    email_channel = channel(mail)
    for bad in ("", "not-an-address", "a@b.example\r\nBcc: x@evil.example", "a@b, c@d"):
        assert email_channel.address(Recipient("c", email=bad)) is None


async def test_a_certificate_not_trusted_is_permanent(mail: FakeMailServer) -> None:
    env = {k: v for k, v in mail.env().items() if k != "TELLER_SMTP_CA_FILE"}
    with pytest.raises(DeliveryFailed) as failed:
        await EmailChannel(EmailSettings.from_env(env)).deliver(EMMA.email, EMMA, NOTICE)
    assert not failed.value.transient, failed.value.reason
    assert mail.sent_to(EMMA.email) == [] and mail.logins == []


async def test_a_wrong_password_is_permanent(mail: FakeMailServer) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await channel(mail, TELLER_SMTP_PASSWORD="wrong").deliver(EMMA.email, EMMA, NOTICE)
    assert not failed.value.transient
    assert failed.value.reason == "email: server answered 535 (SMTPAuthenticationError)"


@pytest.mark.parametrize(("code", "transient"), [(451, True), (421, True), (554, False)])
async def test_smtp_4yz_is_transient_and_5yz_permanent(
    mail: FakeMailServer, code: int, transient: bool
) -> None:
    mail.fail_next(code)
    with pytest.raises(DeliveryFailed) as failed:
        await channel(mail).deliver(EMMA.email, EMMA, NOTICE)
    assert failed.value.transient is transient
    assert str(code) in failed.value.reason and CODE not in failed.value.reason


async def test_a_server_that_is_down_is_transient(tmp_path: Path) -> None:
    with mail_server(tmp_path) as down:
        env = down.env()
    with pytest.raises(DeliveryFailed) as failed:
        await EmailChannel(EmailSettings.from_env(env)).deliver(EMMA.email, EMMA, NOTICE)
    assert failed.value.transient, failed.value.reason


def test_settings_come_from_the_environment_and_name_what_is_wrong(
    mail: FakeMailServer, tmp_path: Path
) -> None:
    env = mail.env()
    for name in ("TELLER_SMTP_HOST", "TELLER_SMTP_FROM"):
        with pytest.raises(ConfigError, match=name):
            EmailSettings.from_env({k: v for k, v in env.items() if k != name})
    with pytest.raises(ConfigError, match="TELLER_SMTP_USERNAME and TELLER_SMTP_PASSWORD"):
        EmailSettings.from_env({k: v for k, v in env.items() if k != "TELLER_SMTP_PASSWORD"})
    with pytest.raises(ConfigError, match="TELLER_SMTP_PORT"):
        EmailSettings.from_env({**env, "TELLER_SMTP_PORT": "smtp"})
    with pytest.raises(ConfigError, match="TELLER_SMTP_CA_FILE"):
        EmailSettings.from_env({**env, "TELLER_SMTP_CA_FILE": str(tmp_path / "none.pem")})
    settings = EmailSettings.from_env({k: v for k, v in env.items() if k != "TELLER_SMTP_PORT"})
    assert settings.port == 587 and mail.password not in repr(settings)
    assert dataclasses.replace(settings, username=None, password=None).username is None
