"""The money movement contract on the default database (SQLite)."""

from tests.sandbox.money_contract import MoneyContract


class TestMoneyOnSqlite(MoneyContract):
    pass
