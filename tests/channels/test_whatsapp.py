"""WhatsApp Cloud API webhook: handshake, signatures, message types, retries, statuses."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from pymongo.database import Database

from tests.channels.conftest import VERIFY_TOKEN, WhatsAppUser, envelope, quiet, sign
from tests.support.fake_platforms import FakePlatforms


def test_verification_handshake_echoes_the_challenge(http: httpx.Client) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = http.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"


def test_verification_with_a_wrong_token_or_mode_is_refused(http: httpx.Client) -> None:
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN + "x", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ):
        response = http.get("/webhooks/whatsapp", params=params)
        assert response.status_code == 403
        assert response.text != "1"


def test_unsigned_or_badly_signed_deliveries_are_refused_and_not_processed(
    whatsapp: WhatsAppUser, platforms: FakePlatforms, db: Database[dict[str, Any]]
) -> None:
    body = whatsapp.delivery({"type": "text", "text": {"body": "hello"}})
    raw = json.dumps(body).encode()
    message_id = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]

    assert whatsapp.post(body, signature=None).status_code == 401
    assert whatsapp.post(body, signature="sha256=" + "0" * 64).status_code == 403
    assert whatsapp.post(body, signature=sign(raw, "not-the-app-secret")).status_code == 403
    assert whatsapp.post(body, signature=sign(raw)[7:]).status_code == 403  # no "sha256=" prefix
    # Signed, but over a different body: the signature covers the exact raw bytes.
    tampered = json.dumps(body, indent=1).encode()
    response = whatsapp.http.post(
        "/webhooks/whatsapp", content=tampered, headers={"X-Hub-Signature-256": sign(raw)}
    )
    assert response.status_code == 403

    assert quiet(platforms, whatsapp._mine) == []
    assert db["events"].count_documents({"data.channel_message_id": message_id}) == 0
    # None of the refused deliveries was remembered: the genuine one is still processed.
    whatsapp.mark()
    assert whatsapp.post(body).status_code == 200
    whatsapp.expect("")


def test_signed_body_that_is_not_json_is_a_bad_request(whatsapp: WhatsAppUser) -> None:
    raw = b"{not json"
    response = whatsapp.http.post(
        "/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": sign(raw)}
    )
    assert response.status_code == 400


def test_text_message_is_answered_through_the_graph_api(
    whatsapp: WhatsAppUser, platforms: FakePlatforms
) -> None:
    whatsapp.say("hello")
    sent = whatsapp.expect("link this chat")  # an anonymous sender is told about linking
    first = sent[0]
    assert first.path.endswith("/106540352242922/messages")
    assert first.path.startswith("/v")  # {base}/{version}/{phone-number-id}/messages
    assert first.headers["authorization"] == f"Bearer {platforms.whatsapp_token}"
    assert first.body["messaging_product"] == "whatsapp"
    assert first.body["type"] == "text"


def test_repeated_delivery_is_processed_once(
    whatsapp: WhatsAppUser, platforms: FakePlatforms, db: Database[dict[str, Any]]
) -> None:
    body = whatsapp.say("what are your opening hours?")
    replies = whatsapp.expect("")
    for _ in range(3):  # the platform retries, e.g. after a slow acknowledgement
        assert whatsapp.post(body).status_code == 200
    assert len(quiet(platforms, whatsapp._mine)) == len(replies)
    message_id = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert db["events"].count_documents({"data.channel_message_id": message_id}) == 1


def test_images_and_voice_notes_get_a_polite_reply(whatsapp: WhatsAppUser) -> None:
    media = {
        "image": {"caption": "my card", "mime_type": "image/jpeg", "sha256": "x", "id": "1"},
        "audio": {"mime_type": "audio/ogg; codecs=opus", "sha256": "y", "id": "2", "voice": True},
        "sticker": {"mime_type": "image/webp", "sha256": "z", "id": "3", "animated": False},
    }
    for kind, content in media.items():
        whatsapp.mark()
        assert whatsapp.post(whatsapp.delivery({"type": kind, kind: content})).status_code == 200
        replies = whatsapp.expect("only read text")
        assert len(replies) == 1


def test_reactions_and_other_numbers_messages_are_ignored(
    whatsapp: WhatsAppUser, platforms: FakePlatforms
) -> None:
    reaction = whatsapp.delivery(
        {"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "\U0001f44d"}}
    )
    assert whatsapp.post(reaction).status_code == 200
    other = whatsapp.delivery({"type": "text", "text": {"body": "hello"}})
    other["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert whatsapp.post(other).status_code == 200
    assert quiet(platforms, whatsapp._mine) == []


def test_delivery_statuses_are_recorded_against_the_sent_message(
    whatsapp: WhatsAppUser, db: Database[dict[str, Any]]
) -> None:
    whatsapp.say("hi")
    sent = whatsapp.expect("")
    conversation = db["channel_conversations"].find_one({"_id": f"whatsapp:{whatsapp.phone}:-"})
    assert conversation is not None
    message_id = db["deliveries"].find_one({"recipient": whatsapp.phone})["_id"]
    assert message_id.startswith("wamid.FAKE")
    assert sent
    for status in ("sent", "delivered", "read", "read"):  # the last one a platform retry
        value = {
            "statuses": [
                {
                    "id": message_id,
                    "status": status,
                    "timestamp": "1750263773",
                    "recipient_id": whatsapp.phone,
                    "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
                    "pricing": {"billable": False, "pricing_model": "PMP", "category": "service"},
                }
            ]
        }
        assert whatsapp.post(envelope(value)).status_code == 200
    failed = {
        "statuses": [
            {
                "id": "wamid.UNKNOWN",
                "status": "failed",
                "timestamp": "1750263774",
                "recipient_id": whatsapp.phone,
                "errors": [{"code": 131047, "title": "Re-engagement message"}],
            }
        ]
    }
    assert whatsapp.post(envelope(failed)).status_code == 200

    def recorded(wamid: str, count: int) -> dict[str, Any]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            doc = db["deliveries"].find_one({"_id": wamid})
            if doc and len(doc.get("statuses", [])) >= count:
                return doc
            time.sleep(0.05)
        raise AssertionError(db["deliveries"].find_one({"_id": wamid}))

    doc = recorded(message_id, 3)
    time.sleep(0.3)  # a duplicate "read" would show up by now
    doc = recorded(message_id, 3)
    # Callbacks may be handled in any order; each status is kept once.
    assert sorted(s["status"] for s in doc["statuses"]) == ["delivered", "read", "sent"]
    assert doc["conversation_id"] == conversation["conversation_id"]
    assert doc["channel"] == "whatsapp"
    failure = recorded("wamid.UNKNOWN", 1)
    assert failure["statuses"][0]["status"] == "failed"
    assert failure["statuses"][0]["errors"][0]["code"] == 131047
