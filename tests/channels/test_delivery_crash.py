"""Issue 10, finding 7: messaging deliveries could be lost.

A WhatsApp or Telegram delivery was marked seen (the OnceGuard) and acknowledged at once,
then processed in a fire-and-forget task: a worker that died mid-turn lost the message,
and the platform, told 200, had no reason to deliver it again; a retry it sent anyway was
dropped as a repeat. Now a delivery is claimed for a short lease while its turn runs, done
only once the turn is stored, and the webhook is answered only then: a worker killed
mid-turn leaves the platform without an answer, its retry (to a restarted worker) is
processed, a retry while the first is still running is told to come back later (503), and
a retry of a finished one is dropped. The message is answered once and stored once.

The worker is a real Teller process, killed with SIGKILL while the bank (stopped with
SIGSTOP) holds its turn in flight.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from pymongo.database import Database

from tests.channels.conftest import WhatsAppUser, link_code, quiet
from tests.support.fake_platforms import FakePlatforms
from tests.support.stack import Stack


@contextmanager
def bank_stalled(stack: Stack) -> Iterator[None]:
    """The bank accepts connections and never answers (SIGSTOP) until the block ends."""
    assert stack.bank.process is not None
    os.kill(stack.bank.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(stack.bank.process.pid, signal.SIGCONT)


def post_in_background(user: WhatsAppUser, body: dict[str, Any]) -> dict[str, Any]:
    """Deliver `body` the way the platform does, without waiting for the answer."""
    outcome: dict[str, Any] = {}

    def deliver() -> None:
        try:
            outcome["status"] = user.post(body).status_code
        except httpx.HTTPError as exc:  # the worker died mid-request
            outcome["error"] = type(exc).__name__

    thread = threading.Thread(target=deliver, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def deliver_until_taken(user: WhatsAppUser, body: dict[str, Any], seconds: float) -> list[int]:
    """The platform's retries: the same delivery again, with a pause, until a 200."""
    statuses: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            statuses.append(user.post(body).status_code)
        except httpx.HTTPError:
            statuses.append(0)
        if statuses[-1] == 200:
            return statuses
        time.sleep(1.0)
    raise AssertionError(f"the delivery was never taken: {statuses}")


def message_id(body: dict[str, Any]) -> str:
    return body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]


def linked_user(http: httpx.Client, platforms: FakePlatforms) -> WhatsAppUser:
    user = WhatsAppUser(http, platforms)
    user.say(f"link {link_code(http, 'cust-001')}")
    user.expect("now linked")
    return user


def test_a_retry_while_the_first_delivery_runs_is_told_to_come_back(
    strict_stack: Stack,
    strict_http: httpx.Client,
    strict_db: Database[dict[str, Any]],
    platforms: FakePlatforms,
) -> None:
    user = linked_user(strict_http, platforms)
    body = user.delivery({"type": "text", "text": {"body": "what's my balance?"}})
    user.mark()
    with bank_stalled(strict_stack):
        first = post_in_background(user, body)
        time.sleep(1.0)  # its turn now waits on the bank
        retry = user.post(body)
        assert retry.status_code == 503  # not taken: the platform delivers it again later
    first["thread"].join(20)
    assert first.get("status") == 200
    user.expect("£")
    assert user.post(body).status_code == 200  # a retry of a finished delivery: dropped
    replies = quiet(platforms, user._mine)[user.seen :]
    assert replies == []
    assert strict_db["events"].count_documents({"data.channel_message_id": message_id(body)}) == 1


def test_a_delivery_whose_worker_dies_mid_turn_is_answered_once_after_the_retry(
    strict_stack: Stack,
    strict_http: httpx.Client,
    strict_db: Database[dict[str, Any]],
    platforms: FakePlatforms,
) -> None:
    user = linked_user(strict_http, platforms)
    body = user.delivery({"type": "text", "text": {"body": "what's my balance?"}})
    user.mark()
    teller = strict_stack.teller
    with bank_stalled(strict_stack):
        first = post_in_background(user, body)
        time.sleep(1.5)  # the turn is in flight, waiting on the bank
        assert teller.process is not None
        teller.process.send_signal(signal.SIGKILL)
        teller.process.wait(10)
    first["thread"].join(10)
    assert user.texts() == []  # nothing was answered before the crash
    teller.process = None
    teller.start()  # a new worker on the same port, MongoDB and Redis

    # The platform retries until it is told 200. The dead worker's leases (its claim on
    # the delivery, its locks) run out first, then the turn runs again from the start.
    deliver_until_taken(user, body, seconds=120)
    sent = user.expect("£")
    balances = [r for r in sent if "£" in user.text_of(r.body)]
    assert len(balances) == 1
    assert user.post(body).status_code == 200  # and a later retry is dropped
    assert quiet(platforms, user._mine)[user.seen :] == []
    assert strict_db["events"].count_documents({"data.channel_message_id": message_id(body)}) == 1
