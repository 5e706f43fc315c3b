"""The card management contract on the default database (SQLite)."""

from tests.sandbox.cards_manage_contract import CardsManageContract


class TestCardsManageOnSqlite(CardsManageContract):
    pass
