"""The transfer contract on the default database (SQLite)."""

from tests.sandbox.transfer_contract import TransferContract


class TestTransfersOnSqlite(TransferContract):
    pass
