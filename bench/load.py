"""End-to-end load through the REST channel with every turn stored.

Starts SecantusDB (or uses $MONGODB_URI), the sandbox bank and one Teller server as
separate processes on loopback, then runs N concurrent senders, each holding its own
conversations as a signed-in customer, and prints turns/s and latency percentiles.

    .venv/bin/python bench/load.py --senders 16 --turns 4000 [--script chat]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.stack import running_stack

# Conversations a customer might have. "banking": every turn but the first and last calls
# the bank (balances, history, payees, standing orders, what is coming up, spending, a
# transfer to a payee and one between their own accounts, each confirmed then cancelled so
# the books stay as seeded); "chat": greetings, help and FAQ-like turns touch only Teller
# and its store.
SCRIPTS = {
    "banking": (
        "hi there",
        "what's my balance?",
        "show me my last 3 transactions",
        "who are my payees?",
        "send 10 pounds to Bob Martin",
        "cancel that",
        "what standing orders do I have?",
        "what's coming up this month?",
        "move £20 to my savings",
        "cancel that",
        "how much did I spend on groceries last month?",
        "pay Alice Johnson £20 every week from the 1st of next month",
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


class Connection:
    """One keep-alive HTTP/1.1 connection: a load generator far lighter than a full client,
    so the two cores measure Teller rather than the tool measuring it."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        payload = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        self._writer.write(head.encode() + payload)
        status = int((await self._reader.readline()).split()[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        reply = json.loads(await self._reader.readexactly(length))
        if status != 200:
            raise RuntimeError(f"{status}: {reply}")
        return reply

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


async def sender(
    base_url: str,
    token: str,
    script: tuple[str, ...],
    turns: int,
    latencies: list[float],
) -> None:
    url = httpx.URL(base_url)
    connection = Connection(url.host, url.port or 80)
    conversation_id = None
    try:
        for i in range(turns):
            if i % len(script) == 0:
                conversation_id = None
            body = {"text": script[i % len(script)], "conversation_id": conversation_id}
            started = time.perf_counter()
            reply = await connection.post_json("/api/v1/chat/message", body, token)
            latencies.append(time.perf_counter() - started)
            conversation_id = reply["conversation_id"]
    finally:
        connection.close()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(process_cpu_seconds(int(child)) for child in children)


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def run(
    base_url: str, teller_pid: int, script: tuple[str, ...], senders: int, turns: int
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        tokens = [
            (await client.post("/dev/token", json={"customer_id": c})).json()["token"]
            for c in ("cust-001", "cust-002", "cust-003")
        ]
    warm: list[float] = []
    await asyncio.gather(
        *(sender(base_url, tokens[i % 3], script, 12, warm) for i in range(senders))
    )
    latencies: list[float] = []
    per_sender = max(1, turns // senders)
    teller_cpu, (busy, total), own_cpu = (
        process_cpu_seconds(teller_pid),
        machine_busy_seconds(),
        time.process_time(),
    )
    started = time.perf_counter()
    await asyncio.gather(
        *(sender(base_url, tokens[i % 3], script, per_sender, latencies) for i in range(senders))
    )
    elapsed = time.perf_counter() - started
    teller_cpu = process_cpu_seconds(teller_pid) - teller_cpu
    own_cpu = time.process_time() - own_cpu
    busy_after, total_after = machine_busy_seconds()
    busy_share = (busy_after - busy) / (total_after - total)
    latencies.sort()
    print(f"senders            {senders}")
    print(f"turns              {len(latencies)}")
    print(f"turns/s            {len(latencies) / elapsed:.0f}")
    print(f"latency p50 ms     {percentile(latencies, 0.50) * 1000:.1f}")
    print(f"latency p95 ms     {percentile(latencies, 0.95) * 1000:.1f}")
    print(f"latency p99 ms     {percentile(latencies, 0.99) * 1000:.1f}")
    print(f"latency mean ms    {statistics.fmean(latencies) * 1000:.1f}")
    n = len(latencies)
    teller_ms, own_ms = teller_cpu / n * 1000, own_cpu / n * 1000
    print(f"CPU ms per turn    Teller {teller_ms:.2f}, load generator {own_ms:.2f}")
    print(f"machine CPU busy   {busy_share:.0%} of {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--turns", type=int, default=4000)
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="banking")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        print(f"script             {args.script}")
        assert stack.teller.process is not None
        asyncio.run(
            run(
                stack.teller.base_url,
                stack.teller.process.pid,
                SCRIPTS[args.script],
                args.senders,
                args.turns,
            )
        )


if __name__ == "__main__":
    main()
