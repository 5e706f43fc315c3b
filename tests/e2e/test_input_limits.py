"""Input limits (issue 10, finding 8): every request body, the chat request's fields and the
widget's frames are bounded by config, and what is over a limit is refused unread."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import load_settings
from compose import create_app
from tests.e2e.conftest import Customer
from tests.support.raw_http import raw_request
from tests.support.stack import Stack

DEFAULT_BODY_LIMIT = 65_536


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def chat_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    operation = openapi["paths"]["/api/v1/chat/message"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_the_chat_request_limits_are_in_openapi(http: httpx.Client) -> None:
    """Issue 10, finding 8: the text limit was a check in code only, invisible to clients."""
    fields = chat_schema(http.get("/openapi.json").json())["properties"]
    assert fields["text"]["maxLength"] == 2000
    assert max(s.get("maxLength", 0) for s in fields["payload"]["anyOf"]) == 1000


def test_the_chat_request_limits_come_from_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "dev_mode: true\n"
        "server: {max_message_chars: 300, max_payload_chars: 40}\n"
        "stores: {mongodb_uri: 'mongodb://nowhere'}\n"
    )
    fields = chat_schema(create_app(load_settings(config)).openapi())["properties"]
    assert fields["text"]["maxLength"] == 300
    assert max(s.get("maxLength", 0) for s in fields["payload"]["anyOf"]) == 40


def test_a_payload_over_its_limit_is_400_payload_too_long(visitor: Customer) -> None:
    response = visitor.http.post(
        "/api/v1/chat/message", json={"text": "", "payload": "/affirm" + " " * 1000}
    )
    assert response.status_code == 400 and error_code(response) == "payload_too_long"
    assert "1000" in response.json()["error"]["message"]


def test_a_text_that_is_not_unicode_is_400(http: httpx.Client, events: Any) -> None:
    """A lone surrogate (valid JSON, not Unicode) reached the sentence encoder: 500."""
    before = events.count_documents({})
    response = http.post(
        "/api/v1/chat/message",
        content=b'{"text": "hello \\ud800 there"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert error_code(response) == "bad_request"
    assert events.count_documents({}) == before


@pytest.mark.parametrize("path", ["/api/v1/chat/message", "/api/v1/link-codes", "/dev/token"])
def test_a_body_announced_over_the_limit_is_413_before_it_is_sent(stack: Stack, path: str) -> None:
    """Issue 10, finding 8: no route had a body limit. The body is never sent, so the
    answer can only come from the announced length."""
    answer = raw_request(
        stack.teller.port,
        path,
        {"Content-Type": "application/json", "Content-Length": str(100 * 1024 * 1024)},
    )
    assert answer.status == 413
    assert json.loads(answer.body)["error"]["code"] == "body_too_large"


def test_a_chunked_body_over_the_limit_is_413_before_it_ends(stack: Stack) -> None:
    """Chunked, the length is known only as it arrives: refused once the limit is passed,
    while the body has not ended."""
    pieces = [b"x" * 8192] * (DEFAULT_BODY_LIMIT // 8192) + [b"x"]
    answer = raw_request(
        stack.teller.port,
        "/api/v1/chat/message",
        {"Content-Type": "application/json"},
        pieces,
        chunked=True,
    )
    assert answer.status == 413
    assert json.loads(answer.body)["error"]["code"] == "body_too_large"


def test_a_chunked_body_under_the_limit_is_served(http: httpx.Client) -> None:
    response = http.post(
        "/api/v1/chat/message",
        content=iter([b'{"text": ', b'"hello"}']),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["nlu"]["intent"]["name"] == "greet"
