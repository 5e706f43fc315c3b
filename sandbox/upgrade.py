"""Bring an older bank's schema up to date on start: `create_all` adds new tables, not columns.

Columns added to tables that existed in the first release are nullable, so `ALTER TABLE ... ADD
COLUMN` works the same on SQLite and PostgreSQL and older rows read as NULL.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from sandbox.db import metadata

ADDED_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("contact_preference",),
    "payees": ("reference", "deleted_at"),
    "payments": ("creditor_scheme",),
}


def add_missing_columns(conn: Connection) -> list[str]:
    """Add each column of ADDED_COLUMNS an older bank lacks; returns those added."""
    inspector = inspect(conn)
    added = []
    for table_name, names in ADDED_COLUMNS.items():
        present = {column["name"] for column in inspector.get_columns(table_name)}
        for name in names:
            if name in present:
                continue
            column = metadata.tables[table_name].c[name]
            column_type = column.type.compile(conn.dialect)
            conn.execute(text(f"ALTER TABLE {table_name} ADD COLUMN {name} {column_type}"))
            added.append(f"{table_name}.{name}")
    return added
