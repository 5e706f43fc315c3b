from __future__ import annotations

import pytest

from bot.nlu.payload import parse_payload


def test_intent_only_payload() -> None:
    parse = parse_payload("/affirm")
    assert parse is not None
    assert (parse.intent.name, parse.intent.confidence) == ("affirm", 1.0)
    assert parse.entities == ()
    assert parse.ranking == (parse.intent,)


def test_payload_with_entities() -> None:
    parse = parse_payload('/inform{"payee": "Alice Johnson", "amount": "50.00"}')
    assert parse is not None
    assert parse.intent.name == "inform"
    assert {e.entity: e.value for e in parse.entities} == {
        "payee": "Alice Johnson",
        "amount": "50.00",
    }
    assert parse.to_dict()["entities"][0] == {
        "entity": "payee",
        "value": "Alice Johnson",
        "text": "Alice Johnson",
    }


@pytest.mark.parametrize(
    "payload",
    [
        "affirm",
        "/",
        "/ affirm",
        "/affirm{",
        '/inform{"payee": }',
        "/inform[1, 2]",
        '/inform["payee"]',
        '/inform{"": "x"}',
        "/inform{'payee': 'Alice'}",
        "hello /affirm",
        "",
    ],
)
def test_invalid_payloads_are_not_parsed(payload: str) -> None:
    assert parse_payload(payload) is None
