"""Bad input gets a clear error and loses nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import jwt
import pytest

from tests.e2e.conftest import CONFIG, Customer, text_of
from tests.support.stack import Stack, running_stack


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def test_malformed_json_is_400(http: httpx.Client) -> None:
    response = http.post(
        "/api/v1/chat/message",
        content=b'{"text": "hi"',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [{"text": 42}, {"txt": "hello"}, {"text": "   "}, ["not", "an", "object"]],
    ids=["text-not-string", "unknown-field", "blank", "array"],
)
def test_malformed_bodies_are_400(http: httpx.Client, body: object) -> None:
    response = http.post("/api/v1/chat/message", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_an_oversized_message_is_refused_and_the_conversation_goes_on(customer: Customer) -> None:
    customer.say("hello")
    response = customer.http.post(
        "/api/v1/chat/message",
        json={"text": "x" * 2001, "conversation_id": customer.conversation_id},
        headers={"Authorization": f"Bearer {customer.token}"},
    )
    assert response.status_code == 400 and error_code(response) == "message_too_long"
    assert customer.say("what's my balance")["nlu"]["intent"]["name"] == "check_balance"


def test_unknown_and_foreign_conversations_look_the_same(
    http: httpx.Client, customer: Customer
) -> None:
    customer.say("hi")
    other = http.post("/dev/token", json={"customer_id": "cust-002"}).json()["token"]
    foreign = http.post(
        "/api/v1/chat/message",
        json={"text": "hi", "conversation_id": customer.conversation_id},
        headers={"Authorization": f"Bearer {other}"},
    )
    unknown = http.post(
        "/api/v1/chat/message",
        json={"text": "hi", "conversation_id": "does-not-exist"},
        headers={"Authorization": f"Bearer {other}"},
    )
    anonymous = http.post(
        "/api/v1/chat/message", json={"text": "hi", "conversation_id": customer.conversation_id}
    )
    assert foreign.status_code == unknown.status_code == anonymous.status_code == 404
    assert foreign.json() == unknown.json() == anonymous.json()


def test_bad_and_expired_tokens_are_401(http: httpx.Client, stack: Stack) -> None:
    issued = int(time.time()) - 700
    expired = jwt.encode(
        {"sub": "cust-001", "aud": "teller", "iat": issued, "exp": issued + 600},
        stack.jwt_secret,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": "cust-001", "aud": "teller", "iat": issued + 700, "exp": issued + 1300},
        "an-attacker-guess-that-is-long-enough-for-hs256",
        algorithm="HS256",
    )
    for token, code in (
        (expired, "expired_token"),
        (forged, "invalid_token"),
        ("junk", "invalid_token"),
    ):
        response = http.post(
            "/api/v1/chat/message",
            json={"text": "what's my balance"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401, token
        assert error_code(response) == code


def test_an_anonymous_visitor_is_asked_to_sign_in_before_money(visitor: Customer) -> None:
    reply = visitor.say("what's my balance?")
    assert "sign in" in text_of(reply).lower()
    assert reply["state"]["flow"] is None


@contextmanager
def own_stack(tmp_path: Path, killable_mongo: bool = False) -> Iterator[tuple[Stack, httpx.Client]]:
    """A private stack for tests that break one of its servers on purpose."""
    with (
        running_stack(tmp_path, CONFIG, killable_mongo=killable_mongo) as own,
        httpx.Client(base_url=own.teller.base_url, timeout=30) as http,
    ):
        yield own, http


def signed_in(http: httpx.Client) -> dict[str, str]:
    token = http.post("/dev/token", json={"customer_id": "cust-001"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_store_down_is_503_so_the_client_knows_to_resend(tmp_path: Path) -> None:
    with own_stack(tmp_path, killable_mongo=True) as (own, http):
        headers = signed_in(http)
        first = http.post("/api/v1/chat/message", json={"text": "hi"}, headers=headers)
        assert first.status_code == 200
        own.stop_mongo()
        response = http.post(
            "/api/v1/chat/message",
            json={"text": "hello again", "conversation_id": first.json()["conversation_id"]},
            headers=headers,
        )
        assert response.status_code == 503
        assert error_code(response) == "store_unavailable"


def test_bank_down_is_told_plainly(tmp_path: Path) -> None:
    with own_stack(tmp_path) as (own, http):
        headers = signed_in(http)
        own.bank.stop()
        response = http.post(
            "/api/v1/chat/message", json={"text": "what's my balance?"}, headers=headers
        )
        assert response.status_code == 200
        text = text_of(response.json()).lower()
        assert "bank" in text and ("try again" in text or "later" in text)
