from __future__ import annotations

import pytest

from bot.nlu.payload import PayloadError, parse_payload


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
        "/inform{'payee': 'Alice'}",
        "hello /affirm",
        "",
    ],
)
def test_invalid_payloads_are_not_parsed(payload: str) -> None:
    assert parse_payload(payload) is None


@pytest.mark.parametrize(
    "payload",
    [
        '/inform{"payee": {"a\\u0000b": 1}}',
        '/inform{"payee": ["Alice"]}',
        '/inform{"payee": {"name": "Alice"}}',
        '/inform{"number": 5}',
        '/inform{"flag": true}',
        '/inform{"payee": null}',
        '/inform{"payee": "' + "A" * 101 + '"}',
        '/inform{"": "x"}',
        '/inform{"pay ee": "x"}',
        '/inform{"' + "e" * 33 + '": "x"}',
        "/inform{" + ", ".join(f'"e{i}": "x"' for i in range(11)) + "}",
        "/inform" + '{"a": ' * 5000 + '"x"' + "}" * 5000,  # RecursionError in json.loads
        '/inform{"number": ' + "1" * 5000 + "}",  # ValueError: too many digits for an int
    ],
    ids=[
        "nul-key",
        "list",
        "object",
        "number",
        "bool",
        "null",
        "long-value",
        "empty-name",
        "bad-name",
        "long-name",
        "too-many",
        "deep",
        "huge-int",
    ],
)
def test_entities_that_are_not_a_few_short_strings_are_refused(payload: str) -> None:
    """Issue 10, finding 1: payload entity values reached the event store as any JSON
    (objects with NUL keys, which BSON refuses); they are short strings or the payload is
    refused."""
    with pytest.raises(PayloadError):
        parse_payload(payload)


def test_entities_at_the_limits_are_taken() -> None:
    names = [f"e{i}" for i in range(10)]
    parse = parse_payload("/inform{" + ", ".join(f'"{n}": "{"x" * 100}"' for n in names) + "}")
    assert parse is not None and [e.entity for e in parse.entities] == names
