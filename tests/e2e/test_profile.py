"""Profile changes through REST: the bank's record changes only after the right code, the
code goes to the contact the bank held before, and a notice of the change goes there too.

Teller runs with the production config against real servers this module starts: a
Twilio-shaped SMS provider and an SMTP server (aiosmtpd, STARTTLS). Its sandbox bank is this
module's own, so the contact details changed here are no other test's. Emma (cust-001) made
no choice of channel, so her codes go by SMS; James (cust-002) chose email.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of
from tests.support.fake_notifiers import (
    FakeMailServer,
    FakeSmsProvider,
    code_in,
    mail_server,
    sms_provider,
)
from tests.support.mongo import mongo_server
from tests.support.process import ROOT, ServerProcess, start_sandbox_process, start_teller

EMMA, JAMES = "cust-001", "cust-002"
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

    def customer(self, http: httpx.Client, customer_id: str) -> Customer:
        now = int(time.time())
        claims = {"sub": customer_id, "aud": "teller", "iss": ISSUER, "iat": now, "exp": now + 600}
        return Customer(http, customer_id, jwt.encode(claims, self.signing_key, algorithm="RS256"))


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    tmp = tmp_path_factory.mktemp("profile")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    api_key = secrets.token_urlsafe(24)
    with (
        sms_provider() as sms,
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
                    "MONGODB_DB": f"teller_profile_{secrets.token_hex(4)}",
                    "REDIS_URL": "redis://127.0.0.1:6379/0",
                    "REDIS_PREFIX": f"test:profile:{secrets.token_hex(4)}:",
                    "BANK_API_URL": bank.base_url,
                    "BANK_API_KEY": api_key,
                    "TELLER_JWT_PUBLIC_KEY": public_pem.decode(),
                    "TELLER_JWT_ISSUER": ISSUER,
                    "TELLER_JWT_SECRET": "",
                    "TELLER_OTP_KEY": secrets.token_urlsafe(32),
                    "TELLER_OTP_NOTIFIERS": "sms,email",
                    **sms.env(),
                    **mail.env(),
                },
                tmp / "teller.log",
            )
            try:
                yield Production(teller, bank.base_url, api_key, key, sms, mail)
            finally:
                teller.stop()
        finally:
            bank.stop()


@pytest.fixture(autouse=True)
def fakes_reset(production: Production) -> None:
    production.sms.reset()
    production.mail.reset()


@pytest.fixture
def http(production: Production) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=production.teller.base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def bank(production: Production) -> Iterator[BankClient]:
    async with BankClient(production.bank_url, production.bank_api_key) as client:
        yield client


def confirm(customer: Customer, reply: dict) -> dict:
    assert reply["state"]["awaiting"] is None or "confirm" in str(reply["state"]["awaiting"])
    return customer.press(reply, "yes")


async def test_a_new_mobile_number_needs_the_code_sent_to_the_old_one(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    emma = production.customer(http, EMMA)
    reply = emma.say("I've got a new mobile number")
    assert reply["state"]["flow"] == "edit_personal_details", text_of(reply)
    assert reply["state"]["awaiting"] == "new_detail", text_of(reply)
    reply = emma.say("it's 07911 123456")
    assert "07911 123456" in text_of(reply) and "ending 0101" in text_of(reply), text_of(reply)
    reply = emma.press(reply, "yes")
    assert reply["state"]["awaiting"] == "otp", text_of(reply)
    [sms] = production.sms.wait_for(EMMA_PHONE)  # the number the bank held
    assert not production.sms.sent_to("+447911123456")
    code = code_in(sms["Body"])
    wrong = "000000" if code != "000000" else "111111"
    reply = emma.say(wrong)
    assert "isn't right" in text_of(reply) or "not right" in text_of(reply), text_of(reply)
    assert (await bank.get_customer(EMMA)).phone == EMMA_PHONE  # nothing changed on a wrong code
    reply = emma.say(code)
    said = text_of(reply)
    assert "Done: your mobile number is now 07911 123456" in said, said
    assert (await bank.get_customer(EMMA)).phone == "+447911123456"
    notices = production.sms.wait_for(EMMA_PHONE, count=2)
    notice = [m for m in notices if m["Body"] != sms["Body"]]
    assert notice and "mobile number on your account was changed" in notice[0]["Body"]
    assert "If this wasn't you" in notice[0]["Body"]
    assert not production.sms.sent_to("+447911123456"), "the notice goes to the old number"
    assert "ending 0101" in said

    # From now on codes go to the new number; putting the old one back needs one from it.
    production.sms.reset()
    reply = emma.say(f"change my mobile number to {EMMA_PHONE}")
    reply = emma.press(reply, "yes")
    [sms] = production.sms.wait_for("+447911123456")
    reply = emma.say(code_in(sms["Body"]))
    assert (await bank.get_customer(EMMA)).phone == EMMA_PHONE, text_of(reply)


async def test_a_new_email_is_approved_at_the_old_email_which_hears_of_the_change(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    james = production.customer(http, JAMES)
    before = await bank.get_customer(JAMES)
    assert before.contact_preference == "email"
    reply = james.say("please change my email to james.new@gmail.com")
    assert reply["state"]["flow"] == "edit_personal_details", text_of(reply)
    assert "james.new@gmail.com" in text_of(reply), text_of(reply)
    reply = james.press(reply, "yes")
    assert reply["state"]["awaiting"] == "otp", text_of(reply)
    [mail] = production.mail.wait_for(before.email)
    assert not production.mail.sent_to("james.new@gmail.com")
    code = code_in(mail.part("text/plain"))
    reply = james.say(code)
    assert "Done: your email address is now james.new@gmail.com" in text_of(reply), text_of(reply)
    assert (await bank.get_customer(JAMES)).email == "james.new@gmail.com"
    mails = production.mail.sent_to(before.email)
    notice = [m for m in mails if m is not mail] or production.mail.wait_for(before.email)[1:]
    assert notice, "a notice went to the old email"
    assert "was changed" in notice[0].message["Subject"]
    assert "If this wasn't you" in notice[0].part("text/plain")
    assert not production.mail.sent_to("james.new@gmail.com")


async def test_bad_emails_and_numbers_and_the_same_value_change_nothing(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    emma = production.customer(http, EMMA)
    before = await bank.get_customer(EMMA)
    reply = emma.say("change my email address")
    assert reply["state"]["awaiting"] == "new_detail", text_of(reply)
    for bad in ("emma@@example", "emma.clarke@gmail", "not an email"):
        reply = emma.say(bad)
        assert "isn't an email address I can use" in text_of(reply), text_of(reply)
        assert reply["state"]["awaiting"] == "new_detail"
    reply = emma.say(before.email.upper())
    assert "already the email address we hold" in text_of(reply), text_of(reply)
    emma.say("cancel")

    reply = emma.say("update my phone number")
    for bad in ("12345", "07911 12345"):
        reply = emma.say(bad)
        assert "isn't a phone number I recognise" in text_of(reply), text_of(reply)
    reply = emma.say("0161 496 0000")
    assert "looks like a landline" in text_of(reply), text_of(reply)
    reply = emma.say("07700 900101")
    assert "already the mobile number we hold" in text_of(reply), text_of(reply)
    emma.say("cancel")

    reply = emma.say("I've moved house")
    reply = emma.say("22 Station Road, Bristol")
    assert "couldn't find a UK postcode" in text_of(reply), text_of(reply)
    reply = emma.say("Bristol BS1 4DJ")
    assert "street and the town" in text_of(reply), text_of(reply)
    emma.say("cancel")
    assert await bank.get_customer(EMMA) == before
    assert not production.sms.messages and not production.mail.mail, "no code was sent"


async def test_a_new_address_after_the_code_is_where_the_bank_posts(
    production: Production, http: httpx.Client, bank: BankClient
) -> None:
    emma = production.customer(http, EMMA)
    old = await bank.postal_address(EMMA)
    reply = emma.say("change my address to 22 station road, bristol bs14dj")
    said = text_of(reply)
    assert "22 Station Road, Bristol BS1 4DJ" in said and "14 E••• G•••" in said, said
    reply = emma.press(reply, "yes")
    [sms] = production.sms.wait_for(EMMA_PHONE)
    assert (await bank.postal_address(EMMA)) == old
    reply = emma.say(code_in(sms["Body"]))
    assert "Done: your postal address is now 22 Station Road, Bristol BS1 4DJ" in text_of(reply)
    new = await bank.postal_address(EMMA)
    assert new is not None and new.post_code == "BS1 4DJ" and new.town == "Bristol"
    notice = production.sms.wait_for(EMMA_PHONE, count=2)[-1]
    assert "postal address on your account was changed" in notice["Body"]


async def test_the_bank_refuses_what_teller_would_not_send(bank: BankClient) -> None:
    """The bank checks on its own: a client that skipped the checks changes nothing."""
    from bot.bank import BankRejected, PostalAddress

    before = await bank.get_customer(JAMES)
    with pytest.raises(BankRejected) as refused:
        await bank.change_contact(JAMES, field="phone", value="07911", idempotency_key="p1")
    assert refused.value.code == "invalid_phone"
    with pytest.raises(BankRejected) as refused:
        await bank.change_contact(JAMES, field="email", value="x@y", idempotency_key="p2")
    assert refused.value.code == "invalid_email"
    with pytest.raises(BankRejected) as refused:
        await bank.change_contact(JAMES, field="email", value=before.email, idempotency_key="p3")
    assert refused.value.code == "contact_unchanged"
    address = PostalAddress(("1 High St",), "Leeds", "LS99 ZZZ", "GB")
    with pytest.raises(BankRejected) as refused:
        await bank.change_postal_address(JAMES, address, "p4")
    assert refused.value.code == "invalid_postcode"
    assert await bank.get_customer(JAMES) == before
