"""Account linking: a web customer's one-time code ties a WhatsApp/Telegram chat to them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from pymongo.database import Database

from actions.bank_client import BankClient
from tests.channels.conftest import TelegramUser, WhatsAppUser, latest_otp, link_code
from tests.support.stack import Stack


async def current_balance(stack: Stack, customer_id: str) -> Decimal:
    async with BankClient(stack.bank_url, stack.bank_api_key) as bank:
        accounts = {a.id: a for a in await bank.list_accounts(customer_id)}
        balances = await bank.get_balances(customer_id)
    return next(b.amount for b in balances if accounts[b.account_id].kind == "current")


def test_link_codes_need_a_signed_in_customer(http: httpx.Client) -> None:
    assert http.post("/api/v1/link-codes").status_code == 401
    bad = http.post("/api/v1/link-codes", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "invalid_token"


def test_link_code_is_short_expiring_and_stored_only_hashed(
    http: httpx.Client, db: Database[dict[str, Any]]
) -> None:
    token = http.post("/dev/token", json={"customer_id": "cust-002"}).json()["token"]
    response = http.post("/api/v1/link-codes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    issued = response.json()
    assert len(issued["code"].replace("-", "")) >= 8 and not issued["code"].isdigit()
    assert 0 < issued["expires_in"] <= 900
    stored = list(db["link_codes"].find({"customer_id": "cust-002"}))
    assert len(stored) == 1
    assert issued["code"] not in str(stored)
    # A new code replaces the customer's previous one.
    http.post("/api/v1/link-codes", headers={"Authorization": f"Bearer {token}"})
    current = list(db["link_codes"].find({"customer_id": "cust-002"}))
    assert len(current) == 1 and current[0]["_id"] != stored[0]["_id"]
    audit = list(
        db["link_events"].find({"type": "link_code_issued", "data.customer_id": "cust-002"})
    )
    assert len(audit) >= 2 and issued["code"] not in str(audit)


async def test_link_on_whatsapp_then_balance_is_the_sandbox_figure(
    whatsapp: WhatsAppUser, http: httpx.Client, stack: Stack, db: Database[dict[str, Any]]
) -> None:
    whatsapp.say("what's my balance?")
    whatsapp.expect("sign in")  # anonymous until linked

    code = link_code(http, "cust-001")
    whatsapp.say(f"link {code}")
    whatsapp.expect("now linked")
    link = db["channel_links"].find_one({"channel": "whatsapp", "channel_user_id": whatsapp.phone})
    assert link is not None and link["customer_id"] == "cust-001"
    audit = db["link_events"].find_one(
        {"type": "account_linked", "data.channel_user_id": whatsapp.phone}
    )
    assert audit["data"] == {
        "channel": "whatsapp",
        "channel_user_id": whatsapp.phone,
        "customer_id": "cust-001",
        "via": "link_code",
    }
    assert code not in str(list(db["events"].find({}, {"data.text": True})))

    whatsapp.say("what's my balance?")
    balance = await current_balance(stack, "cust-001")
    whatsapp.expect(f"£{balance:,.2f}")

    # The linked customer's conversation is a new one, owned by them.
    conversation_id = db["channel_conversations"].find_one(
        {"_id": f"whatsapp:{whatsapp.phone}:cust-001"}
    )["conversation_id"]
    owner = db["conversations"].find_one({"_id": conversation_id})
    assert owner["customer_id"] == "cust-001"
    assert owner["channel"] == "whatsapp" and owner["channel_user_id"] == whatsapp.phone


def test_a_code_works_once(whatsapp: WhatsAppUser, http: httpx.Client, platforms: Any) -> None:
    code = link_code(http, "cust-003")
    whatsapp.say(f"link {code}")
    whatsapp.expect("now linked")
    other = WhatsAppUser(http, platforms)
    other.say(f"link {code}")
    other.expect("didn't work")


def test_wrong_codes_block_linking_from_that_chat(
    whatsapp: WhatsAppUser, http: httpx.Client, db: Database[dict[str, Any]]
) -> None:
    code = link_code(http, "cust-002")
    wrong = "23456789" if code.replace("-", "") != "23456789" else "98765432"
    for _ in range(5):
        whatsapp.say(f"link {wrong}")
        whatsapp.expect("didn't work")
    whatsapp.say(f"link {code}")  # even the right code, now
    whatsapp.expect("too many wrong codes")
    assert db["channel_links"].find_one({"channel_user_id": whatsapp.phone}) is None
    reasons = [
        e["data"]["reason"]
        for e in db["link_events"].find(
            {"type": "link_refused", "data.channel_user_id": whatsapp.phone}
        )
    ]
    assert reasons == ["wrong_code"] * 5 + ["blocked"]


async def test_unlink_makes_the_chat_anonymous_again(
    telegram: TelegramUser, http: httpx.Client, stack: Stack, db: Database[dict[str, Any]]
) -> None:
    telegram.say("unlink")
    telegram.expect("isn't linked")
    telegram.say(f"link {link_code(http, 'cust-002')}")
    telegram.expect("now linked")
    telegram.say("show my balance")
    balance = await current_balance(stack, "cust-002")
    telegram.expect(f"£{balance:,.2f}")

    telegram.say("unlink")
    telegram.expect("no longer linked")
    assert db["channel_links"].find_one({"channel_user_id": str(telegram.chat_id)}) is None
    assert (
        db["link_events"].find_one(
            {"type": "account_unlinked", "data.channel_user_id": str(telegram.chat_id)}
        )["data"]["customer_id"]
        == "cust-002"
    )
    telegram.say("show my balance")
    replies = telegram.expect("sign in")
    assert f"£{balance:,.2f}" not in " ".join(telegram.text_of(r.body) for r in replies)


def test_moving_money_from_whatsapp_still_needs_the_one_time_code(
    whatsapp: WhatsAppUser, http: httpx.Client, db: Database[dict[str, Any]]
) -> None:
    whatsapp.say(f"link {link_code(http, 'cust-001')}")
    whatsapp.expect("now linked")
    whatsapp.say("send £5 to Alice")
    confirm = whatsapp.expect("just to confirm")[-1]
    assert confirm.body["type"] == "interactive"
    assert confirm.body["interactive"]["type"] == "button"
    buttons = confirm.body["interactive"]["action"]["buttons"]
    yes = next(b["reply"] for b in buttons if b["reply"]["title"].lower().startswith("yes"))

    whatsapp.press(yes["id"], yes["title"])  # an interactive button_reply
    whatsapp.expect("code")
    code = latest_otp(http, "cust-001")
    whatsapp.say(code)
    whatsapp.expect("sent")
    assert code not in str(list(db["events"].find({}, {"data.text": True})))


def test_list_reply_answers_a_question(whatsapp: WhatsAppUser, http: httpx.Client) -> None:
    """A row picked from a list comes back as `list_reply`; its id is the button payload."""
    whatsapp.say(f"link {link_code(http, 'cust-001')}")
    whatsapp.expect("now linked")
    whatsapp.say("send £5 to Zebedee")
    whatsapp.expect("couldn't find")
    whatsapp.press('/inform{"payee": "Bob Martin"}', "Bob Martin", kind="list_reply")
    whatsapp.expect("Bob Martin")
