"""Fuzzing the parsers that read what a client or a platform sends (issue 10): the widget's
frame reader, message fields and hello, the WhatsApp and Telegram webhook parsers and the
button payload parser. Each returns what it documents or raises only its documented error,
whatever it is given."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date
from typing import Any

import bson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.auth.secrets import Secrets
from bot.auth.tokens import TokenVerifier
from bot.config import AuthSettings, Settings
from bot.events import CONVERSATION_STARTED, Event
from bot.nlu.entities.extractor import EntityExtractor, Lexicon
from bot.nlu.payload import MAX_ENTITY_CHARS, PayloadError, parse_payload
from bot.nlu.types import Parse
from bot.store.memory import MemoryEventStore
from connectors.chat import is_unicode
from connectors.errors import SAYS as ERROR_SAYS
from connectors.messaging import ChatMessage
from connectors.telegram import parse_update
from connectors.websocket import CLIENT_ID, MAX_SEQ, Hello, Socket, _hello, _message_fields
from connectors.websocket import _read_frame as read_frame
from connectors.whatsapp import Status, parse_delivery
from tests.fuzz.strategies import FUZZ, JSON, fields_like, like

PHONE_NUMBER_ID = "106540352242922"
BOT_ID = "7000000001"
FRAME_LIMIT = Settings().server.max_frame_bytes
# The webhook parsers read deep into their bodies: more examples, still a second or two.
FUZZ_DEEP = settings(FUZZ, max_examples=1000)
EXTRACTOR = EntityExtractor(Lexicon({}, {}, {}, [], []))


class FakeSocket:
    """What `_read_frame` and `_hello` use of a WebSocket: one text frame to receive."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.sent: list[dict[str, Any]] = []
        self.closed: int | None = None

    async def receive_text(self) -> str:
        return self.raw

    async def send_json(self, frame: dict[str, Any]) -> None:
        json.dumps(frame)  # what the socket would have to send must be JSON
        self.sent.append(frame)

    async def close(self, code: int = 1000) -> None:
        self.closed = code


# -- the widget's socket ----------------------------------------------------------------

FRAMES = st.one_of(
    st.text(max_size=200),
    JSON.map(json.dumps),
    st.integers(1, 9000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 3000).map(lambda n: '{"a": ' * n + "1" + "}" * n),
    st.integers(4000, 6000).map(lambda n: '{"type": "ping", "n": ' + "1" * n + "}"),
    st.integers(FRAME_LIMIT - 10, FRAME_LIMIT + 10).map(lambda n: '"' + "x" * (n - 2) + '"'),
)


@FUZZ
@given(raw=FRAMES)
def test_the_frame_reader_returns_an_object_or_none(raw: str) -> None:
    frame = asyncio.run(read_frame(FakeSocket(raw), FRAME_LIMIT))  # type: ignore[arg-type]
    assert frame is None or isinstance(frame, dict)


MESSAGE_FRAMES = st.dictionaries(
    st.sampled_from(["type", "text", "payload", "client_id"]) | st.text(max_size=5),
    JSON | st.text(alphabet="abcdefgh0123-_", min_size=6, max_size=70),
    max_size=5,
)


@FUZZ
@given(frame=MESSAGE_FRAMES)
@example(frame={"text": ["hi"]})
@example(frame={"text": "hi", "client_id": "a" * 65})
def test_message_fields_are_strings_or_the_error_to_send(frame: dict[str, Any]) -> None:
    fields = _message_fields(frame)
    if isinstance(fields, str):
        assert fields in ERROR_SAYS
        return
    text, payload, client_id = fields
    assert isinstance(text, str)
    assert payload is None or isinstance(payload, str)
    assert client_id is None or CLIENT_ID.fullmatch(client_id)


@pytest.fixture(scope="module")
def wired() -> tuple[TokenVerifier, MemoryEventStore, str, str]:
    """A verifier, a store holding one conversation of cust-001, its id and a valid token."""
    verifier = TokenVerifier(AuthSettings(), Secrets("k" * 32, None, b"otp", "bank"))
    store = MemoryEventStore()
    conversation = "c" * 32
    started = Event(CONVERSATION_STARTED, {"customer_id": "cust-001", "channel": "web"}, seq=1)
    document = {"customer_id": "cust-001", "channel": "web", "created_at": time.time()}
    asyncio.run(store.append(conversation, [started], document))
    return verifier, store, conversation, verifier.issue("cust-001")


HELLO_FIELDS = {
    "type": st.just("hello"),
    "token": st.sampled_from(["VALID", "", "   ", "Bearer x", "junk"]) | st.text(max_size=30),
    "conversation_id": st.sampled_from(["KNOWN", "\ud800", "x" * 65]) | st.text(max_size=70),
    "last_seq": st.integers(min_value=-5, max_value=2**70),
}


@FUZZ
@given(frame=like(HELLO_FIELDS))
@example(frame={"type": "hello", "token": "   "})
@example(frame={"type": "hello", "token": ["x"]})
@example(frame={"type": "hello", "conversation_id": "KNOWN", "last_seq": 2**63})
@example(frame={"type": "hello", "conversation_id": "\ud800"})
def test_a_hello_is_taken_or_refused_with_a_close_code(
    wired: tuple[TokenVerifier, MemoryEventStore, str, str], frame: Any
) -> None:
    verifier, store, conversation, token = wired
    if isinstance(frame, dict):
        if frame.get("token") == "VALID":
            frame["token"] = token
        if frame.get("conversation_id") == "KNOWN":
            frame["conversation_id"] = conversation
    socket = FakeSocket(json.dumps(frame))
    settings = Settings()
    connection = Socket(socket, None, verifier, settings, store, None, None)  # type: ignore[arg-type]
    hello = asyncio.run(_hello(connection))
    if hello is None:
        assert socket.closed in (4400, 4401) and socket.sent[-1]["type"] == "error"
        return
    assert isinstance(hello, Hello) and socket.closed is None
    assert 0 <= hello.last_seq <= MAX_SEQ
    assert hello.conversation_id in (None, conversation)
    if hello.conversation_id is not None:
        assert hello.identity.customer_id == "cust-001"
    assert hello.conversation_id is None or is_unicode(hello.conversation_id)


# -- the webhooks ---------------------------------------------------------------------

WHATSAPP_MESSAGE = {
    "from": st.sampled_from(["447700900123", ""]) | st.text(max_size=5),
    "id": st.text(max_size=12),
    "timestamp": "1700000000",
    "type": st.sampled_from(["text", "interactive", "button", "reaction", "image", "unknown"]),
    "text": {"body": st.text(max_size=20)},
    "interactive": {
        "type": st.sampled_from(["button_reply", "list_reply", "nfm_reply"]),
        "button_reply": {"id": st.text(max_size=10), "title": st.text(max_size=10)},
        "list_reply": {"id": st.text(max_size=10), "title": st.text(max_size=10)},
    },
    "button": {"payload": st.text(max_size=10), "text": st.text(max_size=10)},
}
WHATSAPP_DELIVERY = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "102290129340398",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "metadata": {"phone_number_id": PHONE_NUMBER_ID},
                        "messages": [WHATSAPP_MESSAGE],
                        "statuses": [
                            {
                                "id": st.text(max_size=10),
                                "status": st.sampled_from(["sent", "delivered", "read"]),
                                "timestamp": st.text(max_size=10),
                                "recipient_id": st.text(max_size=10),
                                "errors": [{"code": st.integers()}],
                            }
                        ],
                    },
                }
            ],
        }
    ],
}


def _delivery(message: dict[str, Any]) -> dict[str, Any]:
    value = {"metadata": {"phone_number_id": PHONE_NUMBER_ID}, "messages": [message]}
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"changes": [change]}]}


# A message from a real sender, of a real type, whose type's own fields may be anything.
KINDS_OF_MESSAGE = st.fixed_dictionaries(
    {"from": st.just("447700900123"), "id": st.just("wamid.1"), "type": WHATSAPP_MESSAGE["type"]},
    optional={
        key: like(WHATSAPP_MESSAGE[key], shaped=1) for key in ("text", "interactive", "button")
    },
)


@FUZZ_DEEP
@given(body=like(WHATSAPP_DELIVERY) | KINDS_OF_MESSAGE.map(_delivery))
@example(body=_delivery({"from": "44", "id": "m1", "type": "text", "text": "hi"}))
@example(body=_delivery({"from": "44", "id": "m1", "type": "text", "text": ["hi"]}))
@example(
    body=_delivery({"from": "44", "id": "m1", "type": "interactive", "interactive": {"type": []}})
)
@example(body=_delivery({"from": "44", "id": "m1", "type": "interactive", "interactive": "x"}))
@example(body=_delivery({"from": "44", "id": "m1", "type": "button", "button": "x"}))
def test_a_whatsapp_delivery_parses_to_messages_and_statuses(body: Any) -> None:
    messages, statuses = parse_delivery(body, PHONE_NUMBER_ID)
    for message in messages:
        assert isinstance(message, ChatMessage) and message.channel == "whatsapp"
        assert isinstance(message.user_id, str) and message.user_id
        assert isinstance(message.message_id, str) and isinstance(message.text, str)
        assert message.payload is None or isinstance(message.payload, str)
    assert all(isinstance(s, Status) and isinstance(s.message_id, str) for s in statuses)


_CHAT = {"id": st.integers(-(2**40), 2**40), "type": st.sampled_from(["private", "group"])}
_KEYBOARD = {
    "inline_keyboard": [[{"text": st.text(max_size=10), "callback_data": st.text(max_size=10)}]]
}
TELEGRAM_UPDATE = {
    "update_id": st.integers(0, 2**40),
    "message": {"message_id": 1, "chat": _CHAT, "text": st.text(max_size=20)},
    "callback_query": {
        "id": st.text(max_size=10),
        "data": st.text(max_size=10),
        "message": {"chat": _CHAT, "text": st.text(max_size=10), "reply_markup": _KEYBOARD},
    },
}


def _said(message: Any) -> dict[str, Any]:
    return {"update_id": 1, "message": message}


def _press(message: Any) -> dict[str, Any]:
    return {"update_id": 1, "callback_query": {"id": "q", "data": "/affirm", "message": message}}


_PRIVATE = {"id": 5, "type": "private"}


@FUZZ_DEEP
@given(
    update=like(TELEGRAM_UPDATE)
    | fields_like(TELEGRAM_UPDATE["message"], shaped=1).map(_said)
    | fields_like(TELEGRAM_UPDATE["callback_query"]["message"], shaped=1).map(_press)
)
@example(update={"update_id": 1, "message": {"chat": _PRIVATE, "text": "  "}})
@example(update=_press({"chat": _PRIVATE, "reply_markup": "x"}))
@example(update=_press({"chat": _PRIVATE, "reply_markup": {"inline_keyboard": "x"}}))
@example(update=_press({"chat": _PRIVATE, "reply_markup": {"inline_keyboard": [["x"]]}}))
def test_a_telegram_update_parses_to_a_message_or_none(update: Any) -> None:
    message = parse_update(update, BOT_ID)
    if message is not None:
        assert isinstance(message, ChatMessage) and message.channel == "telegram"
        assert message.message_id.startswith(f"{BOT_ID}:")
        assert isinstance(message.text, str)
        assert message.payload is None or isinstance(message.payload, str)


# -- button payloads --------------------------------------------------------------------

PAYLOADS = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda intent, entities: f"/{intent}{json.dumps(entities)}",
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,12}", fullmatch=True),
        st.dictionaries(st.text(max_size=40), JSON, max_size=12),
    ),
    st.integers(1, 5000).map(lambda n: "/inform" + '{"a": ' * n + '"x"' + "}" * n),
)


@FUZZ
@given(payload=PAYLOADS)
def test_a_payload_parses_to_short_string_entities_or_is_refused(payload: str) -> None:
    try:
        parse = parse_payload(payload)
    except PayloadError:
        return
    assert parse is None or isinstance(parse, Parse)
    for entity in parse.entities if parse else ():
        assert isinstance(entity.value, str) and len(entity.value) <= MAX_ENTITY_CHARS


# -- entities in what the customer writes ------------------------------------------------

_WORDS = [
    "hundred", "thousand", "million", "and", "a", "nine", "ninety", "twelve", "ten", "9999",
    "0000", "last", "past", "days", "weeks", "months", "years", "ago", "in", "october",
    "between", "to", "since", "the", "1st", "31st", "of", "march", "£", "pounds", "k", "quid",
    "transactions", "4111", "1111", "-", "/", "2026-02-30", "31/02", "on",
]  # fmt: skip
CUSTOMER_TEXT = st.lists(st.sampled_from(_WORDS), max_size=30).map(" ".join)


@FUZZ
@given(text=CUSTOMER_TEXT)
@example(text="show my last " + "hundred " * 12 + "transactions")
@example(text="last nine thousand years")
@example(text="in october 0000")
def test_entities_are_found_without_error_and_fit_the_event_store(text: str) -> None:
    """Counts and spans beyond what anyone means ("hundred" twelve times, "the last nine
    thousand years") are not entities: they overflowed a date or the store's integers."""
    for entity in EXTRACTOR.extract(text, date(2026, 11, 18)):
        bson.encode({"value": entity.value})
