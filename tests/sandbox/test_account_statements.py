"""Account statements on SQLite (the contract is in statement_contract.py)."""

from __future__ import annotations

from tests.sandbox.statement_contract import StatementContract


class TestStatementsOnSqlite(StatementContract):
    pass
