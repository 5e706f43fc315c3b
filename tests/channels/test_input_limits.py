"""Webhook bodies are bounded (issue 10, finding 8): a huge unsigned delivery is refused 413
before it is read whole, while a large signed one (up to the webhook limit) is taken."""

from __future__ import annotations

import json

import pytest

from tests.channels.conftest import WhatsAppUser, sign
from tests.support.raw_http import raw_request
from tests.support.stack import Stack

WEBHOOK_LIMIT = 3 * 1024 * 1024


@pytest.mark.parametrize("path", ["/webhooks/whatsapp", "/webhooks/telegram"])
def test_a_huge_unsigned_delivery_is_413_before_it_is_read(stack: Stack, path: str) -> None:
    """Issue 10, finding 8: the webhooks read the whole body before the signature check."""
    answer = raw_request(
        stack.teller.port,
        path,
        {"Content-Type": "application/json", "Content-Length": str(1024**3)},
    )
    assert answer.status == 413
    assert json.loads(answer.body)["error"]["code"] == "body_too_large"


@pytest.mark.parametrize("path", ["/webhooks/whatsapp", "/webhooks/telegram"])
def test_a_chunked_unsigned_delivery_is_413_once_past_the_limit(stack: Stack, path: str) -> None:
    pieces = [b" " * 65536] * (WEBHOOK_LIMIT // 65536) + [b" "]
    answer = raw_request(
        stack.teller.port, path, {"Content-Type": "application/json"}, pieces, chunked=True
    )
    assert answer.status == 413


def test_a_signed_delivery_larger_than_an_api_body_is_taken(whatsapp: WhatsAppUser) -> None:
    """Deliveries come in batches: the webhooks' limit is their own, above the API's."""
    body = whatsapp.delivery({"type": "text", "text": {"body": "hello"}})
    body["padding"] = "x" * 200_000
    raw = json.dumps(body).encode()
    whatsapp.mark()
    response = whatsapp.http.post(
        "/webhooks/whatsapp",
        content=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)},
    )
    assert response.status_code == 200
    whatsapp.expect("Teller")
