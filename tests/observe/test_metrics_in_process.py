"""The figures the unit of work and the bank port report, read from this process's registry.

The conversation writes go through the real `Conversations` over the in-process adapters
(the ones a dev worker runs); an agent's claim is a write like any other, so the time a
conversation waited is measured from its queued event to the claim.
"""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from bot import events as ev
from bot.bank import BankRejected, BankUnavailable
from bot.conversations import Conversations, Opening
from bot.dialogue.state import Draft
from bot.observe.bank import MeteredBank
from bot.observe.metrics import Children
from bot.ports import LockTimeout
from bot.store import memory


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_queued_claimed_and_the_time_to_claim() -> None:
    clock = Clock()
    conversations = Conversations(
        store=memory.MemoryEventStore(),
        lock=memory.MemoryTurnLock(1.0),
        bus=memory.MemoryBus(),
        space="metrics-test",
        clock=clock,
    )
    queued = sample("teller_handoffs_total", event="queued")
    claimed = sample("teller_handoffs_total", event="claimed")
    waits = sample("teller_handoff_time_to_claim_seconds_count")
    under_two_minutes = sample("teller_handoff_time_to_claim_seconds_bucket", le="120.0")
    under_a_minute = sample("teller_handoff_time_to_claim_seconds_bucket", le="60.0")
    locks = sample("teller_lock_wait_seconds_count")

    async def queue(draft: Draft) -> None:
        draft.add(ev.HANDOFF, status="queued", reason="asked_for_person")

    async def claim(draft: Draft) -> None:
        draft.add(ev.HANDOFF, status="agent", agent_id="ana", reason="claimed")

    async def say_nothing(draft: Draft) -> None:
        return None

    await conversations.write("c1", queue, opening=Opening("cust-001", "rest"))
    clock.now += 90
    await conversations.write("c1", say_nothing)  # no status change: nothing counted
    await conversations.write("c1", claim)

    assert sample("teller_handoffs_total", event="queued") - queued == 1
    assert sample("teller_handoffs_total", event="claimed") - claimed == 1
    assert sample("teller_handoff_time_to_claim_seconds_count") - waits == 1
    bucket = "teller_handoff_time_to_claim_seconds_bucket"
    assert sample(bucket, le="120.0") - under_two_minutes == 1  # waited 90 s ...
    assert sample(bucket, le="60.0") - under_a_minute == 0  # ... not under a minute
    assert sample("teller_lock_wait_seconds_count") - locks == 3


async def test_a_lock_timeout_is_counted() -> None:
    lock = memory.MemoryTurnLock(0.05)
    before = sample("teller_lock_timeouts_total")
    async with lock.hold("busy"):
        with pytest.raises(LockTimeout):
            async with lock.hold("busy"):
                pass
    assert sample("teller_lock_timeouts_total") - before == 1


class _Bank:
    async def get_balances(self, customer_id: str) -> list[str]:
        return ["£10"]

    async def list_payees(self, customer_id: str) -> list[str]:
        raise BankUnavailable("down")

    async def create_domestic_payment(self, customer_id: str) -> None:
        raise BankRejected(422, "insufficient_funds", "no")


async def test_bank_calls_are_timed_and_failures_counted_by_operation() -> None:
    bank = MeteredBank(_Bank())  # type: ignore[arg-type]
    calls = sample("teller_bank_request_seconds_count", operation="get_balances")
    down = sample("teller_bank_errors_total", operation="list_payees", kind="unavailable")
    refused = sample(
        "teller_bank_errors_total", operation="create_domestic_payment", kind="rejected"
    )
    assert await bank.get_balances("cust-001") == ["£10"]
    with pytest.raises(BankUnavailable):
        await bank.list_payees("cust-001")
    with pytest.raises(BankRejected):
        await bank.create_domestic_payment("cust-001")
    assert sample("teller_bank_request_seconds_count", operation="get_balances") - calls == 1
    assert (
        sample("teller_bank_errors_total", operation="list_payees", kind="unavailable") - down == 1
    )
    assert (
        sample("teller_bank_errors_total", operation="create_domestic_payment", kind="rejected")
        - refused
        == 1
    )
    assert sample("teller_bank_request_seconds_count", operation="list_payees") >= 1


def test_labels_from_outside_are_capped() -> None:
    made: list[str] = []
    children = Children(lambda key: made.append(key) or key, other="other", limit=3)
    for name in ("a", "b", "c", "d", "e", "a"):
        children.get(name)
    assert made == ["a", "b", "c", "other"]
    assert children.get("zzz") == "other"
