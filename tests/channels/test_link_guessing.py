"""Issue 10, finding 4 (guessing): link codes could be guessed untargeted.

A guess need not hit one customer's code: any customer's outstanding code links the
guessing chat to that customer. With six digits and failures counted per chat only, an
attacker with many WhatsApp numbers or Telegram accounts has a million codes to try and
as many attempts as chats. Codes are now 8 characters from an alphabet without look-alikes
(0/O, 1/I/L), and wrong codes from all chats together pause linking everywhere for a
while (a sliding window in Redis), on top of the per-chat pause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from pymongo.database import Database

from tests.channels.conftest import WhatsAppUser, link_code
from tests.support.fake_platforms import FakePlatforms
from tests.support.stack import Stack

UNAMBIGUOUS = set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
GLOBAL_MAX_FAILURES = 6  # tests/channels/config.yml


def test_codes_are_eight_characters_without_look_alikes(http: httpx.Client) -> None:
    codes = [link_code(http, f"cust-00{n % 3 + 1}") for n in range(30)]
    for code in codes:
        plain = re.sub(r"[\s-]", "", code)
        assert len(plain) >= 8, code
        assert set(plain) <= UNAMBIGUOUS, code
    assert len(set(codes)) == len(codes)


def test_a_code_is_accepted_however_it_is_typed(whatsapp: WhatsAppUser, http: httpx.Client) -> None:
    code = link_code(http, "cust-002")
    plain = re.sub(r"[\s-]", "", code)
    whatsapp.say(f"link {plain[:4].lower()} {plain[4:].lower()}")
    whatsapp.expect("now linked")


@pytest.fixture
def global_counter(strict_stack: Stack) -> Iterator[None]:
    """The strict stack's failure window is emptied afterwards, so linking works there
    for the tests that follow."""
    yield
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test:{strict_stack.mongo_db}:"
    client.delete(*client.keys(prefix + "link-failures*") or [prefix + "none"])
    client.close()


def test_guesses_from_many_chats_pause_linking_everywhere(
    strict_http: httpx.Client,
    strict_db: Database[dict[str, Any]],
    platforms: FakePlatforms,
    global_counter: None,
) -> None:
    # Two wrong guesses from each of three chats: no chat reaches its own limit of five.
    for _ in range(3):
        attacker = WhatsAppUser(strict_http, platforms)
        for guess in ("ABCD2345", "WXYZ6789"):
            attacker.say(f"link {guess}")
            attacker.expect("didn't work")
    # Linking is paused for everyone now, even with a right code, from a fresh chat.
    customer = WhatsAppUser(strict_http, platforms)
    customer.say(f"link {link_code(strict_http, 'cust-001')}")
    customer.expect("paused")
    assert strict_db["channel_links"].find_one({"channel_user_id": customer.phone}) is None
    refused = strict_db["link_events"].find_one(
        {"type": "link_refused", "data.channel_user_id": customer.phone}
    )
    assert refused is not None and refused["data"]["reason"] == "paused"
    wrong = strict_db["link_events"].count_documents(
        {"type": "link_refused", "data.reason": "wrong_code"}
    )
    assert wrong == GLOBAL_MAX_FAILURES
