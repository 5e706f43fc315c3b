"""Issue 14: SIGTERM while customers are chatting loses nothing that was answered.

Teller runs as its own process; eight customers send banking turns (each calls the bank)
as fast as they are answered; Teller is sent SIGTERM mid-stream. It must stop taking
connections, finish the turns in flight, write every queued event, and exit within its
grace period: every turn a customer got an answer to is in the event log, with its answer.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from pymongo import MongoClient

from tests.e2e.conftest import CONFIG
from tests.support.stack import running_stack

SENDERS = 8
CUSTOMERS = ("cust-001", "cust-002", "cust-003")
SAID = ("what's my balance?", "show me my last 3 transactions", "who are my payees?")


def test_sigterm_under_load_stores_every_answered_turn(tmp_path: Path) -> None:
    with running_stack(tmp_path, CONFIG) as stack:
        base = stack.teller.base_url
        with httpx.Client(base_url=base, timeout=30) as http:
            tokens = [
                http.post("/dev/token", json={"customer_id": c}).json()["token"] for c in CUSTOMERS
            ]
        answered: Counter[str] = Counter()
        guard = threading.Lock()
        stop = threading.Event()

        def send(n: int) -> None:
            conversation = None
            headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            turn = 0
            while not stop.is_set():
                try:
                    with httpx.Client(base_url=base, timeout=30) as http:
                        while not stop.is_set():
                            body = {"text": SAID[turn % len(SAID)], "conversation_id": conversation}
                            response = http.post("/api/v1/chat/message", json=body, headers=headers)
                            if response.status_code != 200:
                                continue
                            conversation = response.json()["conversation_id"]
                            with guard:
                                answered[conversation] += 1
                            turn += 1
                except httpx.HTTPError:
                    time.sleep(0.05)  # the server is going away: no answer, nothing counted

        threads = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 120  # a busy machine answers slowly
            before_term = 0
            while before_term < 2 * SENDERS and time.monotonic() < deadline:
                time.sleep(0.2)
                with guard:
                    before_term = sum(answered.values())
            time.sleep(0.3)  # every sender is mid-turn now
            process = stack.teller.process
            assert process is not None
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            code = process.wait(timeout=30)
            took = time.monotonic() - started
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=35)
        assert before_term >= 2 * SENDERS, "the senders barely got going"
        log = stack.teller.log_path.read_text()
        # uvicorn, having shut down cleanly, exits by the signal it caught (as a shell expects)
        assert code in (0, -signal.SIGTERM), log[-3000:]
        assert "shut down: the event store is flushed and closed" in log, log[-3000:]
        assert took < 25  # within server.shutdown_grace_seconds (20) and a margin

        with MongoClient(stack.mongo_uri) as client:
            events = client[stack.mongo_db]["events"]
            for conversation, turns in answered.items():
                stored = Counter(
                    e["type"] for e in events.find({"conversation_id": conversation}, {"type": 1})
                )
                assert stored["user_message"] >= turns, (conversation, turns, stored)
                assert stored["bot_message"] >= turns, (conversation, turns, stored)
        assert "Traceback" not in log, log[-3000:]
