"""The fallback notifier: the customer's choice first, one retry of a transient failure with
the same message, then the next channel; nothing it logs carries the code."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.notify.email import EmailChannel, EmailSettings
from bot.notify.fallback import FallbackNotifier
from bot.notify.push import PushChannel, PushSettings
from bot.notify.sms import SmsChannel, SmsSettings
from bot.ports import Delivered, DeliveryFailed, NotDelivered, Notice, Recipient
from tests.notify.conftest import CODE, EMMA, NOTICE
from tests.support.fake_notifiers import FakePushService, FakeSmsProvider, mail_server


@dataclass
class Scripted:
    """A channel that answers from a script: None delivers, an exception is raised,
    "hang" never answers."""

    name: str
    script: list[object] = field(default_factory=list)
    has_address: bool = True
    sent: list[tuple[str, Notice]] = field(default_factory=list)

    def address(self, recipient: Recipient) -> str | None:
        return f"{self.name}:{recipient.customer_id}" if self.has_address else None

    async def deliver(self, address: str, recipient: Recipient, notice: Notice) -> None:
        self.sent.append((address, notice))
        outcome = self.script.pop(0) if self.script else None
        if outcome == "hang":
            await asyncio.sleep(60)
        if isinstance(outcome, BaseException):
            raise outcome


def transient() -> DeliveryFailed:
    return DeliveryFailed("x: provider answered 503", transient=True)


def permanent() -> DeliveryFailed:
    return DeliveryFailed("x: provider answered 400", transient=False)


class Pauses:
    def __init__(self) -> None:
        self.taken: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


def fallback(
    *channels: Scripted, pauses: Pauses | None = None, **limits: float
) -> FallbackNotifier:
    return FallbackNotifier(
        channels,
        attempt_seconds=limits.get("attempt", 1.0),
        backoff_seconds=0.25,
        budget_seconds=limits.get("budget", 10.0),
        sleep=pauses or Pauses(),
    )


async def test_the_configured_order_when_the_customer_chose_nothing() -> None:
    sms, email = Scripted("sms"), Scripted("email")
    assert await fallback(sms, email).send(EMMA, NOTICE) == Delivered("sms", "sms:cust-001")
    assert len(sms.sent) == 1 and email.sent == []


@pytest.mark.parametrize(
    ("prefers", "first"), [("email", "email"), ("push", "push"), ("fax", "sms")]
)
async def test_the_customers_own_choice_goes_first(prefers: str, first: str) -> None:
    channels = [Scripted("sms"), Scripted("email"), Scripted("push")]
    notifier = fallback(*channels)
    recipient = Recipient("cust-002", "+447700900102", "j@example.com", prefers)
    assert next(c.name for c in notifier.order(recipient)) == first
    assert (await notifier.send(recipient, NOTICE)).channel == first


async def test_a_transient_failure_is_retried_once_with_the_same_message() -> None:
    sms, pauses = Scripted("sms", [transient()]), Pauses()
    delivered = await fallback(sms, Scripted("email"), pauses=pauses).send(EMMA, NOTICE)
    assert delivered.channel == "sms"
    assert [notice for _, notice in sms.sent] == [NOTICE, NOTICE]  # the code is not regenerated
    assert pauses.taken == [0.25]


async def test_a_permanent_failure_moves_on_at_once() -> None:
    sms, email, pauses = Scripted("sms", [permanent()]), Scripted("email"), Pauses()
    delivered = await fallback(sms, email, pauses=pauses).send(EMMA, NOTICE)
    assert delivered == Delivered("email", "email:cust-001")
    assert (len(sms.sent), pauses.taken) == (1, [])


async def test_two_transient_failures_move_on() -> None:
    sms, email = Scripted("sms", [transient(), transient()]), Scripted("email")
    assert (await fallback(sms, email).send(EMMA, NOTICE)).channel == "email"
    assert len(sms.sent) == 2


async def test_a_hanging_channel_times_out_and_is_retried() -> None:
    sms = Scripted("sms", ["hang", None])
    assert (await fallback(sms, attempt=0.05).send(EMMA, NOTICE)).channel == "sms"
    assert len(sms.sent) == 2


async def test_the_budget_bounds_all_attempts_together() -> None:
    channels = [Scripted(name, ["hang", "hang"]) for name in ("sms", "email", "push")]
    started = asyncio.get_running_loop().time()
    with pytest.raises(NotDelivered):
        await fallback(*channels, attempt=0.2, budget=0.3).send(EMMA, NOTICE)
    assert asyncio.get_running_loop().time() - started < 1.0
    assert channels[2].sent == []  # no time was left for push


async def test_channels_without_an_address_are_skipped() -> None:
    sms, email = Scripted("sms", has_address=False), Scripted("email")
    assert (await fallback(sms, email).send(EMMA, NOTICE)).channel == "email"
    assert sms.sent == []
    with pytest.raises(NotDelivered, match="none usable"):
        await fallback(Scripted("sms", has_address=False)).send(EMMA, NOTICE)


async def test_an_adapter_bug_does_not_stop_the_next_channel(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = Scripted("sms", [KeyError(f"the message was {NOTICE.text}")])
    with caplog.at_level(logging.DEBUG):
        assert (await fallback(broken, Scripted("email")).send(EMMA, NOTICE)).channel == "email"
    assert "sms: KeyError" in caplog.text and CODE not in caplog.text


async def test_nothing_delivered_names_the_channels_tried_and_logs_no_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channels = [Scripted("sms", [transient(), transient()]), Scripted("email", [permanent()])]
    with caplog.at_level(logging.DEBUG), pytest.raises(NotDelivered) as failed:
        await fallback(*channels).send(EMMA, NOTICE)
    assert str(failed.value) == "no channel delivered (tried: sms, email)"
    assert len(caplog.records) == 3  # two sms attempts, one email
    assert CODE not in caplog.text and EMMA.phone not in caplog.text


async def test_real_channels_all_failing_log_nothing_of_the_code(
    sms: FakeSmsProvider,
    push: FakePushService,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SMS answers 503, the mail server is down, push answers 500: every attempt is logged,
    by channel and reason, and not one line quotes the code, the number or the address."""
    sms.go_down(503)
    push.go_down(500)
    with mail_server(tmp_path) as stopped:
        mail_env = stopped.env()
    async with httpx.AsyncClient(timeout=2.0) as http:
        notifier = FallbackNotifier(
            [
                SmsChannel(SmsSettings.from_env(sms.env()), http),
                EmailChannel(EmailSettings.from_env(mail_env)),
                PushChannel(PushSettings.from_env(push.env()), http),
            ],
            attempt_seconds=2.0,
            backoff_seconds=0.05,
            budget_seconds=10.0,
        )
        with caplog.at_level(logging.DEBUG), pytest.raises(NotDelivered) as failed:
            await notifier.send(EMMA, NOTICE)
    assert str(failed.value) == "no channel delivered (tried: sms, email, push)"
    assert len(sms.attempts_to("+447700900101")) == 2 and sms.sent_to("+447700900101") == []
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert len(ours) == 6, ours
    for needle in (CODE, EMMA.email, "7700900101", "7700 900101"):
        assert needle not in caplog.text
