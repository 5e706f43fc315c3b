"""End-to-end load through the REST channel with every turn stored.

Starts SecantusDB (or uses $MONGODB_URI), the sandbox bank and one Teller server as
separate processes on loopback, then runs N concurrent senders, each holding its own
conversations as a signed-in customer, and prints turns/s and latency percentiles.

    .venv/bin/python bench/load.py --senders 16 --turns 4000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.stack import running_stack

# Conversations a customer might have. "banking": balance, history and transfer turns
# call the bank; "chat": greetings, help and FAQ-like turns touch only Teller and its store.
SCRIPTS = {
    "banking": (
        "hi there",
        "what's my balance?",
        "show me my last 3 transactions",
        "send 10 pounds to Bob Martin",
        "cancel that",
        "thanks, bye",
    ),
    "chat": (
        "hi there",
        "what can you do?",
        "tell me a joke",
        "ok thanks",
        "bye",
    ),
}


async def sender(
    client: httpx.AsyncClient,
    token: str,
    script: tuple[str, ...],
    turns: int,
    latencies: list[float],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    conversation_id = None
    for i in range(turns):
        text = script[i % len(script)]
        if i % len(script) == 0:
            conversation_id = None
        body = {"text": text, "conversation_id": conversation_id}
        started = time.perf_counter()
        reply = await client.post("/api/v1/chat/message", json=body, headers=headers)
        latencies.append(time.perf_counter() - started)
        reply.raise_for_status()
        conversation_id = reply.json()["conversation_id"]


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def run(base_url: str, script: tuple[str, ...], senders: int, turns: int) -> None:
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        customers = ("cust-001", "cust-002", "cust-003")
        tokens = [
            (await client.post("/dev/token", json={"customer_id": c})).json()["token"]
            for c in customers
        ]
        warm: list[float] = []
        await asyncio.gather(
            *(sender(client, tokens[i % 3], script, 12, warm) for i in range(senders))
        )
        latencies: list[float] = []
        per_sender = max(1, turns // senders)
        started = time.perf_counter()
        await asyncio.gather(
            *(sender(client, tokens[i % 3], script, per_sender, latencies) for i in range(senders))
        )
        elapsed = time.perf_counter() - started
    latencies.sort()
    print(f"senders            {senders}")
    print(f"turns              {len(latencies)}")
    print(f"turns/s            {len(latencies) / elapsed:.0f}")
    print(f"latency p50 ms     {percentile(latencies, 0.50) * 1000:.1f}")
    print(f"latency p95 ms     {percentile(latencies, 0.95) * 1000:.1f}")
    print(f"latency p99 ms     {percentile(latencies, 0.99) * 1000:.1f}")
    print(f"latency mean ms    {statistics.fmean(latencies) * 1000:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--turns", type=int, default=4000)
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="banking")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        print(f"script             {args.script}")
        asyncio.run(run(stack.teller.base_url, SCRIPTS[args.script], args.senders, args.turns))


if __name__ == "__main__":
    main()
