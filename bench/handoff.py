"""Latency from a customer's message to the agent's screen, across two workers.

Starts SecantusDB (or uses $MONGODB_URI), the sandbox bank and two Teller workers sharing
MongoDB and Redis. A customer on worker A asks for a person; an agent signed in on worker B
claims the conversation with the console socket open; then the customer sends N messages
through REST on A, one at a time, and each is timed from just before the POST until the
agent's socket on B delivers it (turn, store, Redis pub/sub, socket).

    .venv/bin/python bench/handoff.py --messages 200
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.process import ROOT, start_teller
from tests.support.stack import running_stack

PASSWORD = secrets.token_urlsafe(16)


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def measure(base_a: str, base_b: str, env: dict[str, str], messages: int) -> list[float]:
    subprocess.run(
        [sys.executable, "-m", "bot", "agents", "add", "bench", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    with (
        httpx.Client(base_url=base_a, timeout=30) as customer,
        httpx.Client(base_url=base_b, timeout=30) as agent,
    ):
        token = customer.post("/dev/token", json={"customer_id": "cust-001"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        first = customer.post(
            "/api/v1/chat/message", json={"text": "I want to talk to a person"}, headers=headers
        ).json()
        cid = first["conversation_id"]
        signed_in = agent.post("/agent/api/session", json={"name": "bench", "password": PASSWORD})
        agent.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]  # as the page sends it
        cookie = {"Cookie": f"teller_agent={agent.cookies['teller_agent']}"}
        ws_url = base_b.replace("http", "ws") + "/agent/ws"
        with connect(ws_url, additional_headers=cookie) as socket:
            socket.recv(timeout=10)  # ready
            agent.post(f"/agent/api/conversations/{cid}/claim").raise_for_status()
            latencies = []
            for n in range(messages + 10):  # the first 10 warm up
                text = f"message {n}"
                started = time.perf_counter()
                customer.post(
                    "/api/v1/chat/message",
                    json={"text": text, "conversation_id": cid},
                    headers=headers,
                ).raise_for_status()
                while True:
                    frame = json.loads(socket.recv(timeout=10))
                    events = frame.get("events", [])
                    if frame.get("conversation_id") == cid and any(
                        e["data"].get("text") == text for e in events
                    ):
                        break
                if n >= 10:
                    latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("TELLER_AGENT_SECRET", secrets.token_urlsafe(32))
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        env = {k: v for k, v in stack.teller.env.items() if k != "PORT"}
        second = start_teller(env, Path(tmp) / "teller-b.log")
        try:
            latencies = sorted(
                measure(stack.teller.base_url, second.base_url, stack.teller.env, args.messages)
            )
        finally:
            second.stop()
    ms = [v * 1000 for v in latencies]
    print(
        f"customer message (REST, worker A) -> agent screen (WebSocket, worker B), "
        f"{len(ms)} messages: p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
        f"max {ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
