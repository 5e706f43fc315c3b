"""A balance confirmation letter and marketing preferences through REST against the sandbox:
the letter's PDF states the bank's balance for the account asked for, and the marketing
choices said in the chat are the bank's record."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import httpx
import pypdf
import pytest

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of


def attachment_of(reply: dict) -> dict:
    found = [m["attachment"] for m in reply["messages"] if m.get("attachment")]
    assert len(found) == 1, reply["messages"]
    return found[0]


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def fetch(http: httpx.Client, url: str) -> httpx.Response:
    return http.get(url)


def sign_in(http: httpx.Client, customer_id: str) -> Customer:
    token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    return Customer(http, customer_id, token)


def money(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


@pytest.mark.parametrize(
    ("text", "account_id", "label"),
    [
        ("I need a letter confirming my balance", "acc-001-current", "Current account"),
        ("balance confirmation letter for my savings account", "acc-001-savings", "Savings"),
    ],
)
async def test_a_balance_letter_states_the_banks_balance(
    customer: Customer, http: httpx.Client, bank: BankClient, text: str, account_id: str,
    label: str,
) -> None:  # fmt: skip
    reply = customer.say(text)
    assert reply["nlu"]["intent"]["name"] == "balance_letter", text_of(reply)
    [balance] = await bank.get_balances("cust-001", account_id)
    accounts = {a.id: a for a in await bank.list_accounts("cust-001")}
    account = accounts[account_id]
    said = text_of(reply)
    assert money(balance.amount) in said and account.last4 in said, said
    file = attachment_of(reply)
    assert file["media_type"] == "application/pdf" and file["name"].endswith(".pdf")
    response = fetch(http, file["url"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    content = pdf_text(response.content)
    assert "Balance confirmation" in content
    assert "Emma Clarke" in content
    assert re.search(rf"Balance\s+{re.escape(money(balance.amount))}", content), content
    assert f"ending {account.last4}" in content and label.split()[0] in content
    address = await bank.postal_address("cust-001")
    assert address is not None and address.post_code in content
    assert "4821" not in content.replace(account.last4, "") or account.last4 == "4821"


def test_no_letter_for_a_credit_card_or_an_account_the_customer_does_not_have(
    customer: Customer,
) -> None:
    reply = customer.say("I need a balance confirmation letter for my credit card")
    assert reply["nlu"]["intent"]["name"] == "balance_letter", text_of(reply)
    assert not any(m.get("attachment") for m in reply["messages"])
    assert "current or savings account" in text_of(reply), text_of(reply)
    reply = customer.say("balance letter for my account ending 9999")
    assert not any(m.get("attachment") for m in reply["messages"])
    assert "9999" in text_of(reply), text_of(reply)


def test_a_balance_letter_needs_a_signed_in_customer(visitor: Customer) -> None:
    reply = visitor.say("I need a letter confirming my balance")
    assert not any(m.get("attachment") for m in reply["messages"])
    assert "sign in" in text_of(reply).lower()


async def test_marketing_said_in_the_chat_is_the_banks_record(
    http: httpx.Client, bank: BankClient
) -> None:
    aisha = sign_in(http, "cust-003")
    reply = aisha.say("what marketing do you send me")
    assert reply["state"]["flow"] is None, text_of(reply)
    assert "by email off" in text_of(reply) and "by post off" in text_of(reply), text_of(reply)
    reply = aisha.press(reply, "Turn on by email")
    assert "marketing by email is now on" in text_of(reply), text_of(reply)
    prefs = await bank.marketing_preferences("cust-003")
    assert (prefs.email, prefs.sms, prefs.post) == (True, False, False)
    reply = aisha.say("I'm happy to receive offers by post")
    assert (await bank.marketing_preferences("cust-003")).post is True, text_of(reply)
    reply = aisha.say("stop sending me marketing emails")
    assert "by email is now off" in text_of(reply), text_of(reply)
    reply = aisha.say("unsubscribe me from all marketing")
    assert "now off" in text_of(reply), text_of(reply)
    prefs = await bank.marketing_preferences("cust-003")
    assert (prefs.email, prefs.sms, prefs.post) == (False, False, False)
    reply = aisha.say("stop sending me marketing texts")
    assert "already off" in text_of(reply), text_of(reply)
