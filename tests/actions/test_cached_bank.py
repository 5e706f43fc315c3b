"""The per-customer cache of reference data in front of the real sandbox bank."""

from __future__ import annotations

import inspect
from collections import Counter
from typing import Any

import pytest

from actions.bank_client import BankClient
from actions.cached_bank import CACHED, FORGETS, PASSED, CachedBank
from bot.bank import Bank, BankRejected


class Counted:
    """The real client, counting the calls that reach it."""

    def __init__(self, bank: BankClient) -> None:
        self.bank = bank
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.bank, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await method(*args, **kwargs)

        return call


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_every_method_of_the_bank_port_has_a_rule() -> None:
    port = {n for n, _ in inspect.getmembers(Bank, inspect.isfunction) if not n.startswith("_")}
    ruled = set(CACHED) | set(FORGETS) | PASSED
    assert port - ruled == set(), "decide: cached, forgets or passed through"
    assert ruled - port == set()


async def test_reference_reads_reach_the_bank_once_per_ttl(bank: BankClient) -> None:
    counted, clock = Counted(bank), Clock()
    cached = CachedBank(counted, ttl_seconds=30, clock=clock)
    first = await cached.list_accounts("cust-001")
    first.clear()  # what a caller does to its copy is its own
    assert [a.id for a in await cached.list_accounts("cust-001")] == [
        "acc-001-current",
        "acc-001-savings",
        "acc-001-card",
    ]
    await cached.list_accounts("cust-002")  # another customer is another entry
    assert counted.calls["list_accounts"] == 2
    clock.now = 31
    await cached.list_accounts("cust-001")
    assert counted.calls["list_accounts"] == 3
    for _ in range(3):  # balances change turn to turn: never kept
        await cached.get_balances("cust-001")
    assert counted.calls["get_balances"] == 3


async def test_a_card_change_forgets_that_customers_cards_at_once(bank: BankClient) -> None:
    counted = Counted(bank)
    cached = CachedBank(counted, ttl_seconds=300)
    before = {c.id: c.status for c in await cached.list_cards("cust-003")}
    await cached.list_cards("cust-001")
    assert before["card-003-debit"] == "active"
    await cached.freeze_card("cust-003", "card-003-debit", "lost", "cache-test-freeze-1")
    after = {c.id: c.status for c in await cached.list_cards("cust-003")}
    assert after["card-003-debit"] == "frozen"
    await cached.list_cards("cust-001")  # someone else's cards were left alone
    assert counted.calls["list_cards"] == 3


async def test_a_refusal_is_not_kept(bank: BankClient) -> None:
    counted = Counted(bank)
    cached = CachedBank(counted)
    for _ in range(2):
        with pytest.raises(BankRejected):
            await cached.get_customer("cust-404")
    assert counted.calls["get_customer"] == 2


def test_a_method_without_a_rule_is_refused(bank: BankClient) -> None:
    with pytest.raises(AttributeError, match="no rule for 'aclose'"):
        CachedBank(bank).aclose  # noqa: B018


async def test_payees_by_kind_are_kept_apart(bank: BankClient) -> None:
    """`kind` is the port's own keyword (UK payees or payees abroad), not the cache's."""
    counted = Counted(bank)
    cached = CachedBank(counted, ttl_seconds=30, clock=Clock())
    abroad = await cached.list_payees("cust-001", kind="international")
    uk = await cached.list_payees("cust-001")
    assert [p.name for p in abroad] == ["Lukas Becker"]
    assert "Lukas Becker" not in [p.name for p in uk]
    await cached.list_payees("cust-001", kind="international")
    assert counted.calls["list_payees"] == 2
