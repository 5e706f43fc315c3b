"""The budgets contract on SQLite (the module's bank from conftest.py)."""

from __future__ import annotations

from tests.sandbox.budget_contract import BudgetContract


class TestBudgetsOnSqlite(BudgetContract):
    pass
