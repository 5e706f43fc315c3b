"""Budget alerts told after a turn (bot/dialogue/alerts.py): once, the highest mark of a
month, not asked again too soon, and a bank that cannot be asked never fails the turn."""

from __future__ import annotations

from decimal import Decimal

from bot.bank import BankUnavailable, BudgetAlert
from bot.dialogue.alerts import BudgetAlerts


def alert(alert_id: str, threshold: int, spent: str = "170.00") -> BudgetAlert:
    return BudgetAlert(
        alert_id,
        "bud-1",
        "groceries",
        "2026-12",
        threshold,
        Decimal(spent),
        Decimal("200.00"),
        "GBP",
    )


class Bank:
    def __init__(self, alerts: list[BudgetAlert], down: bool = False) -> None:
        self.alerts = alerts
        self.acknowledged: set[str] = set()
        self.reads = 0
        self.down = down

    async def new_budget_alerts(self, customer_id: str) -> list[BudgetAlert]:
        self.reads += 1
        if self.down:
            raise BankUnavailable("down")
        return [a for a in self.alerts if a.id not in self.acknowledged]

    async def acknowledge_budget_alert(self, customer_id: str, alert_id: str, key: str) -> bool:
        if alert_id in self.acknowledged:
            return False
        self.acknowledged.add(alert_id)
        return True


async def test_an_alert_is_said_once_with_its_figures() -> None:
    bank = Bank([alert("a1", 80)])
    alerts = BudgetAlerts(bank, every_seconds=0)  # type: ignore[arg-type]
    said = await alerts.due("cust-001", "conv-1", now=100.0)
    assert said == [
        (
            "utter_budget_alert_80",
            {"spent": "£170.00", "amount": "£200.00", "category": "groceries", "percent": 85},
        )
    ]
    assert await alerts.due("cust-001", "conv-1", now=101.0) == []


async def test_both_marks_crossed_at_once_say_only_100_and_acknowledge_both() -> None:
    bank = Bank([alert("a2", 100, "230.00"), alert("a1", 80, "230.00")])
    said = await BudgetAlerts(bank, every_seconds=0).due("cust-001", "c", now=1.0)  # type: ignore[arg-type]
    assert [key for key, _ in said] == ["utter_budget_alert_100"]
    assert bank.acknowledged == {"a1", "a2"}


async def test_an_alert_another_worker_acknowledged_first_is_not_said_again() -> None:
    bank = Bank([alert("a1", 80)])

    async def too_late(customer_id: str, alert_id: str, key: str) -> bool:
        return False  # the bank's 409: another worker's acknowledgement won

    bank.acknowledge_budget_alert = too_late  # type: ignore[method-assign]
    assert await BudgetAlerts(bank, every_seconds=0).due("cust-001", "c", now=1.0) == []  # type: ignore[arg-type]


async def test_asked_at_most_every_few_seconds_unless_the_turn_acted() -> None:
    bank = Bank([])
    alerts = BudgetAlerts(bank, every_seconds=10)  # type: ignore[arg-type]
    await alerts.due("cust-001", "c", now=0.0)
    await alerts.due("cust-001", "c", now=5.0)
    assert bank.reads == 1
    await alerts.due("cust-001", "c", now=6.0, acted=True)
    assert bank.reads == 2
    await alerts.due("cust-002", "d", now=6.5)
    await alerts.due("cust-001", "c", now=16.5)
    assert bank.reads == 4


async def test_a_bank_that_cannot_be_asked_says_nothing() -> None:
    alerts = BudgetAlerts(Bank([alert("a1", 80)], down=True), every_seconds=0)  # type: ignore[arg-type]
    assert await alerts.due("cust-001", "c", now=0.0) == []
