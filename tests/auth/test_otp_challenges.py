"""Step-up codes: bound to the operation, limited in time and attempts, never kept in clear."""

from __future__ import annotations

import json
import logging
import re
import secrets

import pytest

from bot.auth import otp
from bot.auth.otp import OtpChallenge, OtpDeliveryError, OtpService, OtpVerdict, ResendLimit
from bot.config import PROJECT_ROOT, OtpSettings
from bot.dialogue.domain import load_domain
from bot.ports import Delivered, Notice, Notifier, Recipient
from bot.store.memory import DevOutbox

SETTINGS = OtpSettings(length=6, ttl_seconds=300, max_attempts=3, max_resends=2)
OPERATION = {
    "payee_id": "payee-alice",
    "amount": "50.00",
    "currency": "GBP",
    "source_account_id": "acc-4821",
}
DESCRIPTION = "send £50.00 to Alice Johnson"
T0 = 1_000.0
EMMA = Recipient("cust-001", "+447700900123", "emma@example.com")


@pytest.fixture
def outbox() -> DevOutbox:
    return DevOutbox()


DOMAIN = load_domain(PROJECT_ROOT / "bot" / "domain")


def make_service(key: bytes, notifier: Notifier, settings: OtpSettings = SETTINGS) -> OtpService:
    """An OtpService whose messages read as the real domain words them."""
    return OtpService(
        key=key, notifier=notifier, settings=settings, render=lambda k, v: DOMAIN.text(k, v)
    )


@pytest.fixture
def service(outbox: DevOutbox) -> OtpService:
    return make_service(secrets.token_bytes(32), outbox)


def sent_code(outbox: DevOutbox, customer_id: str = "cust-001") -> str:
    match = re.search(r"\b(\d{6})\b", outbox.recent(customer_id)[0].text)
    assert match, "no code in the message"
    return match.group(1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def issue(service: OtpService) -> OtpChallenge:
    return (await service.issue(EMMA, OPERATION, DESCRIPTION, T0)).challenge


async def test_right_code_verifies_once(service: OtpService, outbox: DevOutbox) -> None:
    challenge = await issue(service)
    verdict, after = service.verify(challenge, sent_code(outbox), OPERATION, T0 + 10)
    assert verdict is OtpVerdict.OK
    replay, _ = service.verify(after, sent_code(outbox), OPERATION, T0 + 11)
    assert replay is OtpVerdict.EXPIRED


async def test_code_typed_with_spaces_is_accepted(service: OtpService, outbox: DevOutbox) -> None:
    challenge = await issue(service)
    code = sent_code(outbox)
    verdict, _ = service.verify(challenge, f" {code[:3]} {code[3:]} ", OPERATION, T0 + 1)
    assert verdict is OtpVerdict.OK


async def test_wrong_codes_count_then_lock(service: OtpService, outbox: DevOutbox) -> None:
    challenge = await issue(service)
    code = sent_code(outbox)
    assert service.attempts_left(challenge) == 3
    verdict, challenge = service.verify(challenge, other_code(code), OPERATION, T0 + 1)
    assert (verdict, service.attempts_left(challenge)) == (OtpVerdict.WRONG, 2)
    verdict, challenge = service.verify(challenge, "not a code", OPERATION, T0 + 2)
    assert (verdict, service.attempts_left(challenge)) == (OtpVerdict.WRONG, 1)
    verdict, challenge = service.verify(challenge, "", OPERATION, T0 + 3)
    assert (verdict, service.attempts_left(challenge)) == (OtpVerdict.LOCKED, 0)
    verdict, _ = service.verify(challenge, code, OPERATION, T0 + 4)
    assert verdict is OtpVerdict.LOCKED


async def test_expired_code_never_verifies(service: OtpService, outbox: DevOutbox) -> None:
    challenge = await issue(service)
    code = sent_code(outbox)
    verdict, after = service.verify(challenge, code, OPERATION, T0 + SETTINGS.ttl_seconds)
    assert verdict is OtpVerdict.EXPIRED
    assert after == challenge
    verdict, _ = service.verify(challenge, code, OPERATION, T0 + SETTINGS.ttl_seconds - 1)
    assert verdict is OtpVerdict.OK


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "500.00"},
        {"payee_id": "payee-bob"},
        {"currency": "EUR"},
        {"source_account_id": "acc-9999"},
        {"extra": "x"},
    ],
)
async def test_operation_mismatch(service: OtpService, outbox: DevOutbox, change: dict) -> None:
    challenge = await issue(service)
    verdict, after = service.verify(challenge, sent_code(outbox), {**OPERATION, **change}, T0 + 1)
    assert verdict is OtpVerdict.MISMATCH
    assert service.attempts_left(after) == 3


async def test_operation_key_order_does_not_matter(service: OtpService, outbox: DevOutbox) -> None:
    challenge = await issue(service)
    reordered = dict(reversed(list(OPERATION.items())))
    verdict, _ = service.verify(challenge, sent_code(outbox), reordered, T0 + 1)
    assert verdict is OtpVerdict.OK


async def test_resend_invalidates_old_code_and_keeps_attempts(
    service: OtpService, outbox: DevOutbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = iter([111111, 222222])
    monkeypatch.setattr(otp.secrets, "randbelow", lambda _: next(codes))
    challenge = await issue(service)
    _, challenge = service.verify(challenge, "999999", OPERATION, T0 + 1)
    resent, _ = await service.resend(challenge, EMMA, OPERATION, DESCRIPTION, T0 + 200)
    assert sent_code(outbox) == "222222"
    assert (resent.attempts, resent.resends) == (1, 1)
    assert resent.id != challenge.id
    assert resent.expires_at == T0 + 200 + SETTINGS.ttl_seconds
    verdict, resent = service.verify(resent, "111111", OPERATION, T0 + 201)
    assert verdict is OtpVerdict.WRONG
    verdict, _ = service.verify(resent, "222222", OPERATION, T0 + 400)
    assert verdict is OtpVerdict.OK


async def test_resend_limit(service: OtpService) -> None:
    challenge = await issue(service)
    for _ in range(SETTINGS.max_resends):
        challenge, _ = await service.resend(challenge, EMMA, OPERATION, DESCRIPTION, T0)
    with pytest.raises(ResendLimit):
        await service.resend(challenge, EMMA, OPERATION, DESCRIPTION, T0)


async def test_no_resend_for_locked_challenge(service: OtpService, outbox: DevOutbox) -> None:
    challenge = await issue(service)
    for _ in range(SETTINGS.max_attempts):
        _, challenge = service.verify(challenge, "x", OPERATION, T0 + 1)
    with pytest.raises(ResendLimit):
        await service.resend(challenge, EMMA, OPERATION, DESCRIPTION, T0)
    assert len(outbox.recent("cust-001")) == 1


async def test_code_never_in_challenge(service: OtpService, outbox: DevOutbox) -> None:
    challenge = await issue(service)
    code = sent_code(outbox)
    stored = json.dumps(challenge.to_dict())
    for text in (stored, repr(challenge), str(challenge)):
        assert code not in text
    assert "code" not in challenge.to_dict()


async def test_challenge_survives_storage_round_trip(
    service: OtpService, outbox: DevOutbox
) -> None:
    challenge = await issue(service)
    _, challenge = service.verify(challenge, "000", OPERATION, T0 + 1)
    restored = OtpChallenge.from_dict(json.loads(json.dumps(challenge.to_dict())))
    assert restored == challenge
    verdict, _ = service.verify(restored, sent_code(outbox), OPERATION, T0 + 2)
    assert verdict is OtpVerdict.OK


async def test_code_from_another_key_or_challenge_fails(outbox: DevOutbox) -> None:
    first = make_service(secrets.token_bytes(32), outbox)
    second = make_service(secrets.token_bytes(32), outbox)
    challenge = await issue(first)
    verdict, _ = second.verify(challenge, sent_code(outbox), OPERATION, T0 + 1)
    assert verdict is OtpVerdict.MISMATCH


async def test_message_goes_to_outbox_with_description(
    service: OtpService, outbox: DevOutbox
) -> None:
    issued = await service.issue(EMMA, OPERATION, DESCRIPTION, T0)
    assert issued.delivered == Delivered("outbox", "+447700900123")
    [entry] = outbox.recent("cust-001")
    assert entry.to == "+447700900123"
    assert DESCRIPTION in entry.text
    assert "never share" in entry.text.lower()
    assert "5 minutes" in entry.text
    assert outbox.recent("cust-002") == []


async def test_leading_zeros_kept(
    service: OtpService, outbox: DevOutbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(otp.secrets, "randbelow", lambda _: 42)
    challenge = await issue(service)
    assert "000042" in outbox.recent("cust-001")[0].text
    verdict, challenge = service.verify(challenge, "42", OPERATION, T0 + 1)
    assert verdict is OtpVerdict.WRONG
    verdict, _ = service.verify(challenge, "000042", OPERATION, T0 + 2)
    assert verdict is OtpVerdict.OK


async def test_codes_are_random_and_full_length(service: OtpService, outbox: DevOutbox) -> None:
    codes = set()
    for _ in range(30):
        await issue(service)
        codes.add(sent_code(outbox))
    assert len(codes) > 25


class FailingNotifier:
    async def send(self, recipient: Recipient, notice: Notice) -> Delivered:
        raise ConnectionError(f"SMS gateway down while sending {notice.text!r}")


async def test_delivery_failure_does_not_leak_code(caplog: pytest.LogCaptureFixture) -> None:
    service = make_service(secrets.token_bytes(32), FailingNotifier())
    with caplog.at_level(logging.DEBUG), pytest.raises(OtpDeliveryError) as caught:
        await issue(service)
    assert not re.search(r"\d{6}", str(caught.value))
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert not re.search(r"\d{6}", caplog.text)


async def test_no_log_line_carries_the_code(
    service: OtpService, outbox: DevOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        challenge = await issue(service)
        service.verify(challenge, sent_code(outbox), OPERATION, T0 + 1)
    assert sent_code(outbox) not in caplog.text


@pytest.mark.parametrize(
    "operation", [{}, {"amount": 50}, {"payee_id": None}], ids=["empty", "int", "none"]
)
async def test_bad_operation_refused(service: OtpService, outbox: DevOutbox, operation) -> None:
    with pytest.raises(ValueError):
        await service.issue(EMMA, operation, DESCRIPTION, T0)
    assert outbox.recent("cust-001") == []


@pytest.mark.parametrize(("customer_id", "description"), [("", DESCRIPTION), ("cust-001", "  ")])
async def test_missing_fields_refused(
    service: OtpService, customer_id: str, description: str
) -> None:
    with pytest.raises(ValueError):
        await service.issue(Recipient(customer_id, "+44"), OPERATION, description, T0)


async def test_a_customer_the_notifier_cannot_reach_gets_no_challenge(
    service: OtpService, outbox: DevOutbox
) -> None:
    with pytest.raises(OtpDeliveryError):
        await service.issue(Recipient("cust-001"), OPERATION, DESCRIPTION, T0)
    assert outbox.recent("cust-001") == []


class Keeping:
    """A notifier that keeps the notice it was given."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []

    async def send(self, recipient: Recipient, notice: Notice) -> Delivered:
        self.notices.append(notice)
        return Delivered("email", recipient.email)


async def test_the_email_forms_say_what_the_code_approves_with_html_escaped() -> None:
    kept = Keeping()
    service = make_service(secrets.token_bytes(32), kept)
    issued = await service.issue(EMMA, OPERATION, "send £5.00 to Smith & <Sons>", T0)
    assert issued.delivered == Delivered("email", "emma@example.com")
    [notice] = kept.notices
    code = re.search(r"\b(\d{6})\b", notice.text).group(1)
    assert "send £5.00 to Smith & <Sons>" in notice.text
    assert notice.subject == "Your Teller security code" and code not in notice.subject
    assert "send £5.00 to Smith &amp; &lt;Sons&gt;" in notice.html
    assert f"<strong>{code}</strong>" in notice.html and "<Sons>" not in notice.html


def test_weak_key_or_length_refused(outbox: DevOutbox) -> None:
    with pytest.raises(ValueError):
        make_service(b"short", outbox)
    with pytest.raises(ValueError):
        make_service(secrets.token_bytes(32), outbox, OtpSettings(length=2))
