"""Attacks on the REST channel from the security review (issue 10), replayed on a real Teller:
each is refused with a 4xx in the API's error shape and stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Customer


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


@pytest.mark.parametrize(
    "payload",
    [
        '/inform{"payee": {"a\\u0000b": 1}}',  # BSON refuses the key: the turn answered 500
        '/inform{"payee": ["Alice Johnson"]}',
        '/inform{"amount": 50}',
        '/inform{"payee": null}',
        '/inform{"payee": "' + "A" * 101 + '"}',
        '/inform{"pay ee": "Alice"}',
        '/inform{"": "Alice"}',
        "/inform" + '{"a": ' * 100 + '"x"' + "}" * 100,
    ],
    ids=["nul-key", "list", "number", "null", "long", "bad-name", "empty-name", "nested"],
)
def test_a_payload_entity_that_is_not_a_short_string_is_400_and_stores_nothing(
    visitor: Customer, events: Any, payload: str
) -> None:
    """Issue 10, finding 1: an anonymous button payload with an object for an entity value
    reached BSON encoding in the shared group-commit batch and the turn answered 500."""
    before = events.count_documents({})
    response = visitor.http.post("/api/v1/chat/message", json={"text": "", "payload": payload})
    assert response.status_code == 400, response.text
    assert error_code(response) == "bad_payload"
    assert response.json()["error"]["message"]
    assert events.count_documents({}) == before


def test_a_payload_of_short_strings_still_runs_its_turn(customer: Customer) -> None:
    reply = customer.say("Alice Johnson", '/inform{"payee": "Alice Johnson"}')
    assert reply["nlu"]["entities"][0]["value"] == "Alice Johnson"


def test_a_number_too_big_to_store_is_no_entity_and_the_turns_run(
    visitor: Customer, events: Any
) -> None:
    """Issue 10, finding 1: "hundred" twelve times read as the number 10**24, which BSON
    cannot hold; it failed the group-commit batch (500 for every turn in it). Now no count
    that big is read at all: the message is answered and stored, and so is the next."""
    before = events.count_documents({})
    text = "show my last " + "hundred " * 12 + "transactions"
    reply = visitor.say(text)
    assert reply["nlu"]["intent"]["name"] == "transaction_history"
    assert "sign in" in reply["messages"][0]["text"]
    assert visitor.say("hello")["nlu"]["intent"]["name"] == "greet"
    assert events.count_documents({}) > before


@pytest.mark.parametrize(
    "authorization",
    ["Basic x", "Basic dXNlcjpwYXNz", "Bearer", "Bearer\tabc", "Token abc", "bearer"],
)
def test_an_authorization_that_is_not_a_bearer_token_is_401(
    http: httpx.Client, authorization: str
) -> None:
    """Issue 10, finding 9: `Authorization: Basic x` on the chat endpoint answered 500 (the
    refusal was built with the wrong arguments)."""
    response = http.post(
        "/api/v1/chat/message", json={"text": "hi"}, headers={"Authorization": authorization}
    )
    assert response.status_code == 401, response.text
    assert error_code(response) in {"invalid_token", "missing_token"}
    assert response.json()["error"]["message"]
