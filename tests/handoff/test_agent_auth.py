"""Agent sign-in and what a session allows: every failure path refuses and changes nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.conftest import Customer
from tests.handoff.conftest import AGENT_SECRET, AgentConsole, Workers, add_agent


def test_a_wrong_password_or_unknown_name_is_refused_alike(
    ana: AgentConsole, workers: Workers
) -> None:
    stranger = AgentConsole(workers.a, "ana")
    refused = stranger.sign_in("wrong password!")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "bad_credentials"
    assert stranger.token is None
    nobody = AgentConsole(workers.a, "mallory")
    assert nobody.sign_in().json() == refused.json()
    assert nobody.sign_in("x" * 300).status_code == 400  # over the field limit


def test_the_session_cookie_is_httponly_strict_and_expires(
    workers: Workers, agent_names: Any
) -> None:
    response = httpx.post(
        workers.a.base_url + "/agent/api/session",
        json={"name": "ana", "password": "correct horse battery"},
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=3600" in cookie
    assert "path=/agent" in cookie


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-token",
        jwt.encode({"sub": "ana", "aud": "teller-agent", "exp": time.time() + 60}, "f" * 40),
        jwt.encode({"sub": "ana", "aud": "teller-agent", "exp": time.time() - 1}, AGENT_SECRET),
        jwt.encode({"sub": "ana", "aud": "teller", "exp": time.time() + 60}, AGENT_SECRET),
    ],
    ids=["none", "garbage", "forged", "expired", "customer-audience"],
)
def test_without_a_valid_session_nothing_is_answered(
    workers: Workers, customer: Customer, token: str | None
) -> None:
    customer.say("can I speak to a real person please")
    cookies = {"teller_agent": token} if token else {}
    with httpx.Client(base_url=workers.b.base_url, cookies=cookies) as http:
        for method, path in [
            ("GET", "/agent/api/queue"),
            ("GET", f"/agent/api/conversations/{customer.conversation_id}"),
            ("POST", f"/agent/api/conversations/{customer.conversation_id}/claim"),
        ]:
            response = http.request(method, path)
            assert response.status_code == 401, (path, response.text)
            assert response.json()["error"]["code"] == "not_signed_in"
    url = workers.b.base_url.replace("http", "ws") + "/agent/ws"
    headers = {"Cookie": f"teller_agent={token}"} if token else {}
    with connect(url, additional_headers=headers) as socket:
        assert json.loads(socket.recv(timeout=10))["error"]["code"] == "not_signed_in"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd.code == 4401
    assert customer.say("still there?")["state"]["status"] == "queued"


def test_an_agent_cannot_act_on_a_conversation_another_agent_holds(
    customer: Customer, ana: AgentConsole, ben: AgentConsole
) -> None:
    customer.say("can I speak to a real person please")
    assert ana.post(customer.conversation_id, "claim").status_code == 200
    for what, text in [("reply", "I'm Ben"), ("handback", None), ("close", None)]:
        response = ben.post(customer.conversation_id, what, text)
        assert response.status_code == 403, what
        assert response.json()["error"]["code"] == "not_your_conversation"
    assert ben.post(customer.conversation_id, "claim").status_code == 409
    transcript = ben.conversation(customer.conversation_id)["transcript"]
    assert all(e["data"].get("agent_id") != "ben" for e in transcript)
    assert ben.conversation(customer.conversation_id)["status"] == "agent"


def test_replies_must_have_text_within_limits(customer: Customer, ana: AgentConsole) -> None:
    customer.say("can I speak to a real person please")
    ana.post(customer.conversation_id, "claim")
    assert (
        ana.post(customer.conversation_id, "reply", "   ").json()["error"]["code"]
        == "empty_message"
    )
    assert ana.post(customer.conversation_id, "reply", "x" * 2001).status_code == 400
    assert ana.post(customer.conversation_id, "reply", "x" * 5000).status_code == 400


def test_signing_out_clears_the_session(ana: AgentConsole) -> None:
    assert ana.http.get("/agent/api/me").json()["agent"] == {"id": "ana", "name": "Ana"}
    assert ana.sign_out().status_code == 200
    assert ana.http.get("/agent/api/me").status_code == 401


def test_agents_add_refuses_bad_names_short_passwords_and_duplicates(
    workers: Workers, agent_names: Any
) -> None:
    for name, password, why in [
        ("Bad Name", "long enough password", "names are"),
        ("carol", "short", "at least 10"),
        ("ana", "another long password", "already exists"),
    ]:
        done = add_agent(workers, name, password)
        assert done.returncode == 2 and why in done.stderr, done.stderr


def test_agents_cannot_read_or_annotate_chats_the_bot_handled_alone(
    customer: Customer, ana: AgentConsole
) -> None:
    customer.say("what's my balance?")
    response = ana.http.get(f"/agent/api/conversations/{customer.conversation_id}")
    assert response.status_code == 404
    assert ana.post(customer.conversation_id, "note", "peek").status_code == 409
