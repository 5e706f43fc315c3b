"""One-time codes reach customers under config.production.yml, and money moves only with them.

Teller runs as its own process with the production config, speaking to real servers the
test starts: a Twilio-shaped SMS provider and the bank's push service (FastAPI on loopback)
and an SMTP server (aiosmtpd, STARTTLS on a self-signed certificate Teller is told to trust).
The customer reads the code from what the provider, the mail server or the push service
received, types it into the chat, and the bank's books say whether money moved.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of
from tests.support.fake_notifiers import (
    FakeMailServer,
    FakePushService,
    FakeSmsProvider,
    code_in,
    mail_server,
    push_service,
    sms_provider,
)
from tests.support.mongo import mongo_server
from tests.support.process import ROOT, ServerProcess, start_sandbox_process, start_teller

EMMA, JAMES, AISHA = "cust-001", "cust-002", "cust-003"  # no choice, email, push
EMMA_PHONE, EMMA_EMAIL = "+447700900101", "emma.clarke@example.com"

ISSUER = "https://login.bank.example"


@dataclass
class Production:
    teller: ServerProcess
    bank_url: str
    bank_api_key: str
    signing_key: rsa.RSAPrivateKey
    sms: FakeSmsProvider
    mail: FakeMailServer
    push: FakePushService

    def customer(self, http: httpx.Client, customer_id: str) -> Customer:
        now = int(time.time())
        claims = {"sub": customer_id, "aud": "teller", "iss": ISSUER, "iat": now, "exp": now + 600}
        return Customer(http, customer_id, jwt.encode(claims, self.signing_key, algorithm="RS256"))

    def log(self) -> str:
        return self.teller.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    tmp = tmp_path_factory.mktemp("codes")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    api_key = secrets.token_urlsafe(24)
    with (
        sms_provider() as sms,
        push_service() as push,
        mail_server(tmp / "smtp") as mail,
        mongo_server(tmp / "mongo") as (mongo_uri, _),
    ):
        bank = start_sandbox_process(
            f"sqlite+aiosqlite:///{tmp / 'bank.db'}", api_key, tmp / "bank.log"
        )
        try:
            teller = start_teller(
                {
                    "TELLER_CONFIG": str(ROOT / "config.production.yml"),
                    "MONGODB_URI": mongo_uri,
                    "MONGODB_DB": f"teller_codes_{secrets.token_hex(4)}",
                    "REDIS_URL": "redis://127.0.0.1:6379/0",
                    "REDIS_PREFIX": f"test:codes:{secrets.token_hex(4)}:",
                    "BANK_API_URL": bank.base_url,
                    "BANK_API_KEY": api_key,
                    "TELLER_JWT_PUBLIC_KEY": public_pem.decode(),
                    "TELLER_JWT_ISSUER": ISSUER,
                    "TELLER_JWT_SECRET": "",
                    "TELLER_OTP_KEY": secrets.token_urlsafe(32),
                    "TELLER_OTP_NOTIFIERS": "sms,email,push",
                    **sms.env(),
                    **mail.env(),
                    **push.env(),
                },
                tmp / "teller.log",
            )
            try:
                yield Production(teller, bank.base_url, api_key, key, sms, mail, push)
            finally:
                teller.stop()
        finally:
            bank.stop()


@pytest.fixture(autouse=True)
def fakes_answer_normally(production: Production) -> Iterator[None]:
    for fake in (production.sms, production.mail, production.push):
        fake.reset()
    yield
    production.mail.stop()
    production.mail.start()  # listening again, whatever the test did


@pytest.fixture
def http(production: Production) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=production.teller.base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def bank(production: Production) -> Iterator[BankClient]:
    async with BankClient(production.bank_url, production.bank_api_key) as client:
        yield client


async def current_balance(bank: BankClient, customer_id: str) -> Decimal:
    account = f"acc-{customer_id[-3:]}-current"
    [balance] = await bank.get_balances(customer_id, account)
    return balance.amount


def ask_to_pay(customer: Customer, text: str) -> dict:
    """Ask for a payment and confirm it: the reply that follows is about the code."""
    reply = customer.say(text)
    assert reply["state"]["flow"] == "transfer_money", text_of(reply)
    return customer.press(reply, "yes")


def pay_with(customer: Customer, code: str) -> dict:
    reply = customer.say(code)
    assert reply["state"]["flow"] is None, text_of(reply)
    assert text_of(reply).startswith("Done"), text_of(reply)
    return reply


async def test_a_code_by_sms_approves_exactly_what_it_says(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    emma = production.customer(http, EMMA)
    before = await current_balance(bank, EMMA)
    reply = ask_to_pay(emma, "I'd like to send £25 to Alice Johnson")
    assert reply["state"]["awaiting"] == "otp"
    assert "phone ending 0101" in text_of(reply)
    [sms] = production.sms.sent_to(EMMA_PHONE)
    assert sms["From"] == production.sms.sender
    assert "send £25.00 to Alice Johnson from your Current account ••4821" in sms["Body"]
    assert production.mail.sent_to(EMMA_EMAIL) == [] and production.push.sent_to(EMMA) == []
    assert await current_balance(bank, EMMA) == before, "nothing moves before the code"

    pay_with(emma, code_in(sms["Body"]))
    assert await current_balance(bank, EMMA) == before - Decimal("25.00")


async def test_a_customer_who_prefers_email_gets_the_code_by_email(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    james = production.customer(http, JAMES)
    before = await current_balance(bank, JAMES)
    reply = ask_to_pay(james, "send £25 to Margaret Wilson")
    assert "email j•••@example.com" in text_of(reply)
    [mail] = production.mail.sent_to("james.wilson@example.com")
    assert production.sms.sent_to("+447700900102") == []
    assert mail.message["Subject"] == "Your Teller security code"
    text, html = mail.part("text/plain"), mail.part("text/html")
    code = code_in(text)
    assert "send £25.00 to Margaret Wilson from your Current account ••3317" in text
    assert f"<strong>{code}</strong>" in html and "Margaret Wilson" in html
    assert code not in mail.message["Subject"]

    pay_with(james, code)
    assert await current_balance(bank, JAMES) == before - Decimal("25.00")


async def test_a_503_is_retried_once_with_the_same_code(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    production.sms.fail_next(503)
    emma = production.customer(http, EMMA)
    before = await current_balance(bank, EMMA)
    reply = ask_to_pay(emma, "send £10 to Bob Martin")
    assert "phone ending 0101" in text_of(reply)
    first, second = production.sms.attempts_to(EMMA_PHONE)
    assert first == second, "a retry repeats the message: the code is not regenerated"
    [delivered] = production.sms.sent_to(EMMA_PHONE)
    assert production.mail.sent_to(EMMA_EMAIL) == []

    pay_with(emma, code_in(delivered["Body"]))
    assert await current_balance(bank, EMMA) == before - Decimal("10.00")


async def test_sms_down_for_good_falls_back_to_email(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    production.sms.go_down(503)
    emma = production.customer(http, EMMA)
    before = await current_balance(bank, EMMA)
    reply = ask_to_pay(emma, "send £12 to Priya Patel")
    assert "email e•••@example.com" in text_of(reply)
    assert len(production.sms.attempts_to(EMMA_PHONE)) == 2  # tried, retried, moved on
    assert production.sms.sent_to(EMMA_PHONE) == []
    [mail] = production.mail.sent_to(EMMA_EMAIL)

    pay_with(emma, code_in(mail.part("text/plain")))
    assert await current_balance(bank, EMMA) == before - Decimal("12.00")


async def test_with_every_channel_down_the_customer_is_told_and_nothing_moves(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    production.sms.go_down(503)
    production.mail.stop()
    production.push.go_down(503)
    emma = production.customer(http, EMMA)
    before = await current_balance(bank, EMMA)
    reply = ask_to_pay(emma, "send £30 to Alice Johnson")
    said = text_of(reply)
    assert said.startswith("Sorry, I couldn't get a security code to you just now")
    assert "Nothing has been sent or changed" in said and "talk to a person" in said
    assert reply["state"] == {"flow": None, "awaiting": None, "status": "bot"}
    assert [b["title"] for m in reply["messages"] for b in m["buttons"]] == ["Talk to a person"]
    assert await current_balance(bank, EMMA) == before

    # The code Teller tried to send is in the provider's records, never in Teller's log.
    attempts = production.sms.attempts_to(EMMA_PHONE)
    assert len(attempts) == 2
    code = code_in(attempts[0]["Body"])
    log = production.log()
    assert "not delivered" in log and "sms: provider answered 503" in log
    assert "email: ConnectionRefusedError" in log or "email: SMTPConnectError" in log
    assert code not in log and EMMA_PHONE not in log and EMMA_EMAIL not in log
    emma.say(code)
    assert await current_balance(bank, EMMA) == before


async def test_push_is_signed_and_the_service_verifies_it(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    aisha = production.customer(http, AISHA)
    before = await current_balance(bank, AISHA)
    reply = ask_to_pay(aisha, "send £25 to Daniel Okafor")
    assert "your banking app" in text_of(reply)
    [note] = production.push.sent_to(AISHA)
    assert production.push.forged == 0, "every request carried a valid signature"
    assert note["kind"] == "one_time_code" and note["title"] == "Your Teller security code"
    assert "send £25.00 to Daniel Okafor from your Current account ••6604" in note["body"]
    assert production.sms.sent_to("+447700900103") == []

    pay_with(aisha, code_in(note["body"]))
    assert await current_balance(bank, AISHA) == before - Decimal("25.00")
