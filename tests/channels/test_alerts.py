"""Alerts that reach the customer, end to end: the sandbox bank books a payment (or raises
an event), signs it and posts it to Teller's /webhooks/bank; Teller tells it on the
customer's linked WhatsApp and Telegram chats, which the fake Graph API and Bot API
servers receive. Forged, stale and replayed events are refused with nothing stored.

A stack of its own (Teller, sandbox bank, database), so no other test's linked chats
hear these alerts; quiet hours are off in it (`TELLER_ALERTS_QUIET_*` equal), and a second
stack has them on now.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pymongo import MongoClient
from pymongo.database import Database

from bot.bank_events import sign
from tests.channels.conftest import (
    TelegramUser,
    WhatsAppUser,
    channel_env,
    link_code,
    quiet,
)
from tests.support.fake_platforms import FakePlatforms
from tests.support.stack import Stack, running_stack

SECRET = secrets.token_urlsafe(32)


def _stack_env(platforms: FakePlatforms, start: str = "00:00", end: str = "00:00") -> dict:
    return {
        **channel_env(platforms),
        "TELLER_BANK_EVENTS_SECRET": SECRET,
        "TELLER_ALERTS_QUIET_START": start,
        "TELLER_ALERTS_QUIET_END": end,
        "TELLER_ALERTS_RELEASE_SECONDS": "1",
    }


def _point_bank_at(stack: Stack) -> None:
    """The sandbox bank sends its events to this Teller, signed with the shared secret."""
    response = httpx.put(
        f"{stack.bank_url}/sandbox/event-webhook",
        json={"Url": f"{stack.teller.base_url}/webhooks/bank", "Secret": SECRET},
        headers={"Authorization": f"Bearer {stack.bank_api_key}"},
    )
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def alert_stack(
    tmp_path_factory: pytest.TempPathFactory, platforms: FakePlatforms
) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("alerts")
    with running_stack(tmp, extra_env=_stack_env(platforms)) as running:
        _point_bank_at(running)
        yield running


@pytest.fixture(scope="module")
def ahttp(alert_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=alert_stack.teller.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def adb(alert_stack: Stack) -> Iterator[Database[dict[str, Any]]]:
    with MongoClient(alert_stack.mongo_uri) as client:
        yield client[alert_stack.mongo_db]


def bank(stack: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.bank_url,
        headers={"Authorization": f"Bearer {stack.bank_api_key}"},
        timeout=10,
    )


def rest_turn(http: httpx.Client, customer_id: str, text: str, conversation: str | None = None):
    token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    body: dict[str, Any] = {"text": text}
    if conversation:
        body["conversation_id"] = conversation
    response = http.post(
        "/api/v1/chat/message", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def subscribe(stack: Stack, customer_id: str, kind: str, amount: str | None = None) -> None:
    body: dict[str, Any] = {}
    if amount:
        body["Amount"] = {"Amount": amount, "Currency": "GBP"}
    with bank(stack) as client:
        response = client.put(
            f"/customers/{customer_id}/alert-subscriptions/{kind}",
            json={"Data": {"AlertSubscription": body}},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    assert response.status_code == 200, response.text


def raise_event(stack: Stack, customer_id: str, kind: str, data: dict[str, str]) -> dict:
    with bank(stack) as client:
        response = client.post(
            f"/sandbox/customers/{customer_id}/alert-events", json={"Kind": kind, "Data": data}
        )
    assert response.status_code == 200, response.text
    return response.json()["Data"]


def card_payment(stack: Stack, customer_id: str, card_id: str, amount: str, **extra: str) -> None:
    with bank(stack) as client:
        response = client.post(
            f"/sandbox/customers/{customer_id}/card-payments",
            json={
                "Data": {
                    "CardPayment": {
                        "CardId": card_id,
                        "InstructedAmount": {"Amount": amount, "Currency": "GBP"},
                        "MerchantName": extra.pop("merchant", "Cafe de Flore"),
                        "MerchantCategoryCode": "5812",
                        **extra,
                    }
                }
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    assert response.status_code == 201, response.text


def event_doc(db: Database[dict[str, Any]], customer_id: str, kind: str, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = db["bank_events"].find_one(
            {"customer_id": customer_id, "kind": kind, "status": "finished"},
            sort=[("received_at", -1)],
        )
        if doc is not None:
            return doc
        time.sleep(0.1)
    raise AssertionError(f"no finished {kind} event for {customer_id}")


def signed(body: dict[str, Any], stamp: int | None = None, secret: str = SECRET):
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()) if stamp is None else stamp)
    return raw, {
        "Content-Type": "application/json",
        "X-Bank-Timestamp": timestamp,
        "X-Bank-Signature": sign(secret, timestamp, raw),
    }


def an_event(customer_id: str, kind: str = "salary", **data: Any) -> dict[str, Any]:
    return {
        "EventId": f"evt-{uuid.uuid4().hex}",
        "CustomerId": customer_id,
        "Kind": kind,
        "CreationDateTime": datetime.now().isoformat(timespec="seconds"),
        "Data": data
        or {
            "AccountName": "Current account",
            "AccountEnding": "4821",
            "Amount": {"Amount": "2150.00", "Currency": "GBP"},
            "Balance": {"Amount": "3020.55", "Currency": "GBP"},
        },
    }


def wa(http: httpx.Client, platforms: FakePlatforms) -> WhatsAppUser:
    return WhatsAppUser(http, platforms)


def linked(user: WhatsAppUser | TelegramUser, http: httpx.Client, customer_id: str) -> None:
    user.say(f"link {link_code(http, customer_id)}")
    user.expect("now linked")


# -- the happy paths ------------------------------------------------------------------------


def test_card_abroad_alert_reaches_both_chats_and_that_wasnt_me_starts_the_fraud_flow(
    ahttp: httpx.Client,
    alert_stack: Stack,
    adb: Database[dict[str, Any]],
    platforms: FakePlatforms,
) -> None:
    whatsapp, telegram = WhatsAppUser(ahttp, platforms), TelegramUser(ahttp, platforms)
    linked(whatsapp, ahttp, "cust-001")
    linked(telegram, ahttp, "cust-001")
    whatsapp.say("alert me when my card is used abroad")
    whatsapp.expect("when your card is used abroad")
    telegram.mark()

    card_payment(alert_stack, "cust-001", "card-001-debit", "45.60", MerchantCountry="FR")

    sent = whatsapp.expect("used abroad")
    alert = next(r for r in sent if "used abroad" in whatsapp.text_of(r.body))
    # The customer wrote within 24 hours: free text, with its two reply buttons.
    assert alert.body["type"] == "interactive"
    text = whatsapp.text_of(alert.body)
    assert "£45.60" in text and "Cafe de Flore" in text and "France" in text and "4417" in text
    telegram.expect("used abroad")
    doc = event_doc(adb, "cust-001", "card_abroad")
    channels = {d["channel"]: d for d in doc["deliveries"]}
    assert channels["whatsapp"]["sent_as"] == "text" and "telegram" in channels
    # Stored in each chat's conversation, as an alert the log can explain.
    stored = adb["events"].find_one(
        {"conversation_id": channels["whatsapp"]["conversation_id"], "data.from": "alert"}
    )
    assert stored is not None and stored["data"]["alert"]["event_id"] == doc["event_id"]

    whatsapp.say("that wasn't me")
    replies = whatsapp.expect("4417")
    said = " ".join(whatsapp.text_of(r.body) for r in replies).lower()
    assert "freeze" in said
    fraud = adb["events"].find_one(
        {
            "conversation_id": channels["whatsapp"]["conversation_id"],
            "type": "flow_started",
            "data.flow": "compromised_card",
        }
    )
    assert fraud is not None
    card_slot = adb["events"].find_one(
        {
            "conversation_id": channels["whatsapp"]["conversation_id"],
            "type": "slot_set",
            "data.name": "card",
            "data.value": "card-001-debit",
        }
    )
    assert card_slot is not None  # the card the alert was about, not a question which


def test_outside_the_24_hour_window_whatsapp_gets_the_template(
    ahttp: httpx.Client,
    alert_stack: Stack,
    adb: Database[dict[str, Any]],
    platforms: FakePlatforms,
) -> None:
    whatsapp = WhatsAppUser(ahttp, platforms)
    linked(whatsapp, ahttp, "cust-002")  # linking is no conversation: no window is open
    subscribe(alert_stack, "cust-002", "salary")
    whatsapp.mark()

    raised = raise_event(
        alert_stack,
        "cust-002",
        "salary",
        {"AccountName": "Current account", "AccountEnding": "5532", "Amount.Amount": "1.00"},
    )
    assert raised["Subscribed"] is True
    deadline = time.monotonic() + 15
    while not (sent := whatsapp.outgoing()[whatsapp.seen :]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(sent) == 1, sent
    body = sent[0].body
    assert body["type"] == "template"
    assert body["template"]["name"] == "account_alert"
    assert body["template"]["language"]["code"] == "en_GB"
    (parameter,) = body["template"]["components"][0]["parameters"]
    assert "salary" in parameter["text"] and "\n" not in parameter["text"]
    doc = event_doc(adb, "cust-002", "salary")
    assert doc["deliveries"][0]["sent_as"] == "template"


def test_a_reply_asks_why_and_the_customer_lists_and_turns_off_alerts(
    ahttp: httpx.Client,
    alert_stack: Stack,
    platforms: FakePlatforms,
) -> None:
    telegram = TelegramUser(ahttp, platforms)
    linked(telegram, ahttp, "cust-003")
    telegram.say("tell me when my balance drops below £5000")
    telegram.expect("below £5,000.00")
    subscribe(alert_stack, "cust-003", "low_balance", "1000000.00")  # changes the amount
    raise_event(
        alert_stack,
        "cust-003",
        "low_balance",
        {
            "AccountName": "Current account",
            "AccountEnding": "7001",
            "Balance.Amount": "80.00",
            "Threshold.Amount": "100.00",
        },
    )
    telegram.expect("below the £100.00")
    telegram.say("why did you message me")
    telegram.expect("because you asked me to message you when your balance is low")

    telegram.say("what alerts do I have")
    telegram.expect("when your balance drops below £1,000,000.00")
    telegram.say("turn off my low balance alert")
    telegram.expect("won't message you when your balance is low")
    with bank(alert_stack) as client:
        left = client.get("/customers/cust-003/alert-subscriptions").json()
    assert left["Data"]["AlertSubscription"] == []


def test_an_event_for_a_customer_who_did_not_subscribe_is_not_raised(
    alert_stack: Stack, adb: Database[dict[str, Any]]
) -> None:
    raised = raise_event(alert_stack, "cust-002", "card_abroad", {"Country": "ES"})
    assert raised == {"EventId": None, "Subscribed": False}
    time.sleep(1)
    assert (
        adb["bank_events"].count_documents({"customer_id": "cust-002", "kind": "card_abroad"}) == 0
    )


# -- refused events -------------------------------------------------------------------------


def test_forged_stale_and_replayed_events_are_refused_and_store_nothing(
    ahttp: httpx.Client, adb: Database[dict[str, Any]], platforms: FakePlatforms
) -> None:
    event = an_event("cust-003")
    raw, headers = signed(event, secret=secrets.token_urlsafe(32))  # another secret: forged
    assert ahttp.post("/webhooks/bank", content=raw, headers=headers).status_code == 401
    raw, headers = signed(event)
    headers["X-Bank-Signature"] = headers["X-Bank-Signature"][:-2] + "00"
    assert ahttp.post("/webhooks/bank", content=raw, headers=headers).status_code == 401
    raw, _ = signed(event)
    assert ahttp.post("/webhooks/bank", content=raw).status_code == 401  # unsigned
    raw, headers = signed(event, stamp=int(time.time()) - 3600)  # captured an hour ago
    assert ahttp.post("/webhooks/bank", content=raw, headers=headers).status_code == 401
    raw, headers = signed(event, stamp=int(time.time()) + 3600)  # from the future
    assert ahttp.post("/webhooks/bank", content=raw, headers=headers).status_code == 401
    # The body changed after signing: the signature no longer fits it.
    raw, headers = signed(event)
    tampered = raw.replace(b"2150.00", b"9150.00")
    assert ahttp.post("/webhooks/bank", content=tampered, headers=headers).status_code == 401
    assert adb["bank_events"].count_documents({"event_id": event["EventId"]}) == 0

    raw, headers = signed(event)
    first = ahttp.post("/webhooks/bank", content=raw, headers=headers)
    assert first.status_code == 200 and first.json()["status"] == "delivered"
    time.sleep(1.1)  # a replay with a fresh, valid signature: the event id gives it away
    raw, headers = signed(event)
    again = ahttp.post("/webhooks/bank", content=raw, headers=headers)
    assert again.status_code == 409
    assert adb["bank_events"].count_documents({"event_id": event["EventId"]}) == 1
    alerts = adb["events"].count_documents({"data.alert.event_id": event["EventId"]})
    assert alerts <= 1  # told once at most (cust-003 may have no linked chat left)


def test_malformed_events_are_refused(ahttp: httpx.Client, adb: Database[dict[str, Any]]) -> None:
    for body in (
        {"EventId": "evt-x", "Kind": "salary"},  # no customer
        {**an_event("cust-001"), "Kind": "lottery_win"},
        {**an_event("cust-001"), "EventId": "x" * 500},
    ):
        raw, headers = signed(body)
        assert ahttp.post("/webhooks/bank", content=raw, headers=headers).status_code == 400
    raw = b"not json"
    stamp = str(int(time.time()))
    headers = {"X-Bank-Timestamp": stamp, "X-Bank-Signature": sign(SECRET, stamp, raw)}
    assert ahttp.post("/webhooks/bank", content=raw, headers=headers).status_code == 400
    assert adb["bank_events"].count_documents({"event_id": {"$in": ["evt-x", "x" * 500]}}) == 0


# -- quiet hours ----------------------------------------------------------------------------


def _quiet_now() -> tuple[str, str, datetime]:
    """Quiet hours from an hour ago to three hours ahead (London time)."""
    now = datetime.now(ZoneInfo("Europe/London")).replace(second=0, microsecond=0)
    start, end = now - timedelta(hours=1), now + timedelta(hours=3)
    return start.strftime("%H:%M"), end.strftime("%H:%M"), end


def test_in_quiet_hours_an_alert_is_held_then_told_when_they_end(
    tmp_path_factory: pytest.TempPathFactory, platforms: FakePlatforms
) -> None:
    start, end, ends_at = _quiet_now()
    tmp = tmp_path_factory.mktemp("alerts-quiet")
    with (
        running_stack(tmp, extra_env=_stack_env(platforms, start, end)) as stack,
        httpx.Client(base_url=stack.teller.base_url, timeout=30) as http,
        MongoClient(stack.mongo_uri) as client,
    ):
        db = client[stack.mongo_db]
        telegram = TelegramUser(http, platforms)
        linked(telegram, http, "cust-002")
        telegram.mark()
        event = an_event("cust-002")
        raw, headers = signed(event)
        answer = http.post("/webhooks/bank", content=raw, headers=headers)
        assert answer.status_code == 200 and answer.json()["status"] == "held"
        doc = db["bank_events"].find_one({"event_id": event["EventId"]})
        assert doc["status"] == "held"
        assert abs(doc["deliver_after"] - ends_at.timestamp()) < 1
        assert quiet(platforms, telegram._mine, 2.5)[telegram.seen :] == []  # released each 1 s
        assert db["events"].count_documents({"data.alert.event_id": event["EventId"]}) == 0
        # The quiet hours end (the clock is moved on for the held event): it is told.
        db["bank_events"].update_one(
            {"event_id": event["EventId"]}, {"$set": {"deliver_after": time.time()}}
        )
        telegram.expect("salary of £2,150.00")
        done = db["bank_events"].find_one({"event_id": event["EventId"]})
        assert done["status"] == "finished" and done["deliveries"][0]["channel"] == "telegram"


def test_without_the_secret_the_webhook_is_not_there(http: httpx.Client) -> None:
    """The shared channels stack has no TELLER_BANK_EVENTS_SECRET: the bank's alerts are off."""
    raw, headers = signed(an_event("cust-001"))
    assert http.post("/webhooks/bank", content=raw, headers=headers).status_code == 404
