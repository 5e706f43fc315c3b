"""The loans contract on SQLite (the module's bank from conftest.py)."""

from __future__ import annotations

from tests.sandbox.loans_contract import LoansContract
from tests.sandbox.loans_contract import test_the_lending_rule as test_the_lending_rule


class TestLoansOnSqlite(LoansContract):
    pass
