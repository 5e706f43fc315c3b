"""Tables for managing a card: its controls, replacements and the customer's postal address.

Defined on the bank's one `metadata`, so `create_all` makes them on an older bank too; this
module is imported by the card-management routes, which the app always includes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    String,
    Table,
    UniqueConstraint,
)

from sandbox.db import metadata

# Where the bank posts cards. One address per customer (the sandbox has no history of moves).
postal_addresses = Table(
    "postal_addresses",
    metadata,
    Column("customer_id", String(32), ForeignKey("customers.id"), primary_key=True),
    Column("address_line", String(140), nullable=False),  # "12 Elm Road"
    Column("town", String(60), nullable=False),
    Column("post_code", String(10), nullable=False),
    Column("country", String(2), nullable=False),
)

# What a card may do: three daily limits (pence) and four switches, and whether its PIN is
# blocked after wrong tries. One row per card, made with the card.
card_controls = Table(
    "card_controls",
    metadata,
    Column("card_id", String(40), ForeignKey("cards.id"), primary_key=True),
    Column("atm_limit_minor", BigInteger, nullable=False),
    Column("online_limit_minor", BigInteger, nullable=False),
    Column("contactless_limit_minor", BigInteger, nullable=False),
    Column("online_enabled", Boolean, nullable=False),
    Column("contactless_enabled", Boolean, nullable=False),
    Column("abroad_enabled", Boolean, nullable=False),
    Column("gambling_enabled", Boolean, nullable=False),
    Column("pin_blocked", Boolean, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# The audit trail of control changes and PIN unblocks, and their idempotency.
# control: atm_limit | online_limit | contactless_limit | online | contactless | abroad |
# gambling | pin; from/to: pence for a limit, "on"/"off" for a switch, "blocked"/"unblocked".
card_control_changes = Table(
    "card_control_changes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
    Column("card_id", String(40), ForeignKey("cards.id"), nullable=False),
    Column("control", String(24), nullable=False),
    Column("from_value", String(24), nullable=False),
    Column("to_value", String(24), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("customer_id", "idempotency_key", name="uq_card_control_changes_key"),
)

# A replacement ordered: the old card, the new one, why, and whether the old one was cancelled.
card_replacements = Table(
    "card_replacements",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
    Column("old_card_id", String(40), ForeignKey("cards.id"), nullable=False),
    Column("new_card_id", String(40), ForeignKey("cards.id"), nullable=False),
    Column("reason", String(16), nullable=False),  # lost | stolen | damaged | expiring
    Column("old_card_cancelled", Boolean, nullable=False),
    Column("delivery_address", String(220), nullable=False),  # as posted to, for the audit
    Column("idempotency_key", String(128), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("customer_id", "idempotency_key", name="uq_card_replacements_key"),
)
