"""The sandbox bank's schema and engine.

Money is stored as integer minor units (pence) so SQLite and PostgreSQL agree to the penny.
Every transaction is two postings that sum to zero; `accounts.balance_minor` is a cache of
the account's postings that is only ever changed in the same database transaction as them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("first_name", String(60), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("email", String(254), nullable=False),
    # sms | email | push: how the customer chose to receive one-time codes; NULL: no choice
    Column("contact_preference", String(8), nullable=True),
    Column("daily_limit_minor", BigInteger, nullable=False),
    # Bumped by every payment: the first write of a payment transaction, so concurrent
    # payments of one customer queue on this row (SQLite: the write lock; PostgreSQL: the row lock).
    Column("payment_seq", Integer, nullable=False, default=0),
)

# kind: current | savings | credit_card | internal (the bank's own clearing/settlement books)
accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=True, index=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(60), nullable=False),
    Column("sort_code", String(6), nullable=True),
    Column("account_number", String(8), nullable=True),
    Column("last4", String(4), nullable=False),  # a card's PAN is never stored, only its last 4
    Column("currency", String(3), nullable=False),
    Column("balance_minor", BigInteger, nullable=False, default=0),
    Column("opened_at", DateTime, nullable=False),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("booked_at", DateTime, nullable=False),
    Column("description", String(140), nullable=False),
    Column("merchant", String(80), nullable=True),
    Column("merchant_category", String(4), nullable=True),
)

postings = Table(
    "postings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transaction_id", String(40), ForeignKey("transactions.id"), nullable=False),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),  # signed: credit > 0, debit < 0
    Index("ix_postings_account", "account_id"),
    Index("ix_postings_transaction", "transaction_id"),
)

payees = Table(
    "payees",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("name", String(70), nullable=False),
    Column("sort_code", String(6), nullable=False),
    Column("account_number", String(8), nullable=False),
    # Added after the first release (sandbox/upgrade.py adds them to an older bank):
    Column("reference", String(18), nullable=True),
    Column("deleted_at", DateTime, nullable=True),  # a deleted payee keeps its id, takes nothing
)

payments = Table(
    "payments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("source_account_id", String(40), nullable=False),
    Column("payee_id", String(40), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(18), nullable=False),
    Column("status", String(40), nullable=False),  # AcceptedSettlementCompleted | Rejected
    Column("error_code", String(40), nullable=True),
    Column("transaction_id", String(40), ForeignKey("transactions.id"), nullable=True),
    Column("balance_after_minor", BigInteger, nullable=True),
    Column("created_at", DateTime, nullable=False),
    # Added after the first release: Sandbox.BeneficiaryId | Sandbox.AccountId | Sandbox.BillId;
    # NULL (older rows) means Sandbox.BeneficiaryId. `payee_id` is the creditor's id.
    Column("creditor_scheme", String(32), nullable=True),
    UniqueConstraint("customer_id", "idempotency_key", name="uq_payments_idempotency"),
    Index("ix_payments_customer_created", "customer_id", "created_at"),
)


# Cards carry no PAN, only the last 4. status: active | frozen | cancelled | pending_activation;
# delivery_status: ordered | dispatched | delivered, or NULL for a virtual card.
cards = Table(
    "cards",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # debit | credit | virtual
    Column("scheme", String(16), nullable=False),  # Visa | Mastercard
    Column("last4", String(4), nullable=False),
    Column("status", String(24), nullable=False),
    Column("expires_on", Date, nullable=False),  # the last day of the expiry month
    Column("delivery_status", String(16), nullable=True),
    Column("ordered_at", DateTime, nullable=True),
    Column("dispatched_at", DateTime, nullable=True),
    Column("delivered_at", DateTime, nullable=True),
    Column("expected_on", Date, nullable=True),
    Column("updated_at", DateTime, nullable=False),
)

# The audit trail of card state changes, and their idempotency: a key is used once per customer.
card_actions = Table(
    "card_actions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
    Column("card_id", String(40), ForeignKey("cards.id"), nullable=False),
    Column("action", String(16), nullable=False),  # freeze | unfreeze | activate
    Column("reason", String(32), nullable=True),
    Column("idempotency_key", String(128), nullable=False),
    Column("from_status", String(24), nullable=False),
    Column("to_status", String(24), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("customer_id", "idempotency_key", name="uq_card_actions_idempotency"),
)

# Authorised but not yet booked: shown to the customer, not in the ledger or balances yet.
pending_transactions = Table(
    "pending_transactions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(20), nullable=False),  # card_payment | transfer | cash_withdrawal
    Column("description", String(140), nullable=False),
    Column("merchant", String(80), nullable=True),
    Column("amount_minor", BigInteger, nullable=False),  # money out, positive
    Column("currency", String(3), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expected_on", Date, nullable=False),  # when it should book (or be released)
)

# Money added from a card or account at another bank. status: pending | completed | failed |
# reverted; reason: a machine-readable code for every status but completed.
top_ups = Table(
    "top_ups",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("method", String(16), nullable=False),  # card | bank_transfer
    Column("source", String(60), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(40), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Units of `currency` one pound buys at the bank's customer rate (margin included).
fx_rates = Table(
    "fx_rates",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("rate", String(16), nullable=False),  # a decimal string: exact on every database
    Column("updated_at", DateTime, nullable=False),
)


# Payees abroad: an IBAN and BIC (validated with schwifty) and the currency they are paid in.
# They share the `payee-...` id space with `payees`.
international_payees = Table(
    "international_payees",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("name", String(70), nullable=False),
    Column("iban", String(34), nullable=False),
    Column("bic", String(11), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(35), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True),
)

# Every idempotent request: its key, what was asked (request_hash) and the answer given, so the
# same key replays the answer. The unique constraint stops concurrent duplicates acting twice.
operations = Table(
    "operations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Text, nullable=False),  # JSON
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("customer_id", "idempotency_key", name="uq_operations_idempotency"),
)

# Who changed what, from what to what, and when: one row per change (JSON before/after).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("operation_id", String(40), nullable=True),  # NULL: made by the sandbox clock
    Column("customer_id", String(32), nullable=True, index=True),
    Column("actor", String(40), nullable=False),
    Column("action", String(40), nullable=False),
    Column("resource", String(40), nullable=False),
    Column("resource_id", String(40), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
)

# One row: how far the sandbox's clock is ahead of the real one, and the last day whose
# scheduled payments, standing orders, direct debits and statements have been run.
sandbox_clock = Table(
    "sandbox_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", BigInteger, nullable=False),
    Column("processed_through", Date, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# A customer's saved bills: a biller from the directory (sandbox/bills.py) and their reference.
bills = Table(
    "bills",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("biller_id", String(40), nullable=False),
    Column("reference", String(24), nullable=False),
    Column("nickname", String(40), nullable=True),
    Column("created_at", DateTime, nullable=False),
)

# creditor_scheme: Sandbox.BeneficiaryId | Sandbox.AccountId | Sandbox.BillId.
# status: pending | executed | rejected | cancelled.
scheduled_payments = Table(
    "scheduled_payments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("source_account_id", String(40), nullable=False),
    Column("creditor_scheme", String(32), nullable=False),
    Column("creditor_id", String(40), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(18), nullable=False),
    Column("execution_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_reason", String(40), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# frequency is an Open Banking code (IntrvlMnthDay:01:15, IntrvlWkDay:01:03); next_date is NULL
# once the order has finished or was cancelled. status: active | completed | cancelled.
standing_orders = Table(
    "standing_orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("source_account_id", String(40), nullable=False),
    Column("creditor_scheme", String(32), nullable=False),
    Column("creditor_id", String(40), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(18), nullable=False),
    Column("frequency", String(32), nullable=False),
    Column("first_date", Date, nullable=False),
    Column("next_date", Date, nullable=True),
    Column("final_date", Date, nullable=True),
    Column("number_of_payments", Integer, nullable=True),
    Column("payments_due", Integer, nullable=False),  # due dates passed, paid or refused
    Column("last_paid_date", Date, nullable=True),
    Column("last_paid_minor", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Mandates other organisations collect under, monthly on day_of_month. status: active | cancelled.
direct_debits = Table(
    "direct_debits",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(70), nullable=False),  # the service user (originator)
    Column("category", String(20), nullable=False),
    Column("mandate_reference", String(35), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),  # the expected collection
    Column("day_of_month", Integer, nullable=False),
    Column("next_date", Date, nullable=True),
    Column("previous_date", Date, nullable=True),
    Column("previous_minor", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# One row per due date of a scheduled payment, standing order or direct debit: paid (with its
# ledger transaction) or rejected (with the reason, nothing debited). The unique constraint is
# what makes re-advancing the clock never pay twice.
executions = Table(
    "executions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # scheduled_payment | standing_order | direct_debit
    Column("source_id", String(40), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("account_id", String(40), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # executed | rejected
    Column("reason", String(40), nullable=True),
    Column("transaction_id", String(40), nullable=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("kind", "source_id", "due_on", name="uq_executions_once"),
)

# When each credit card's statement is cut (day of month), and the statements cut so far.
card_billing = Table(
    "card_billing",
    metadata,
    Column("account_id", String(40), ForeignKey("accounts.id"), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
    Column("statement_day", Integer, nullable=False),
    Column("next_statement_on", Date, nullable=False),
)

card_statements = Table(
    "card_statements",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("statement_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("balance_minor", BigInteger, nullable=False),  # owed at the statement date, >= 0
    Column("minimum_minor", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("account_id", "statement_date", name="uq_card_statements_date"),
)

# A quoted rate for one payment abroad; used_by is the international payment that took it.
fx_quotes = Table(
    "fx_quotes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("rate", String(16), nullable=False),
    Column("send_minor", BigInteger, nullable=False),  # pence
    Column("fee_minor", BigInteger, nullable=False),  # pence
    Column("receive_minor", BigInteger, nullable=False),  # minor units of `currency`
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_by", String(40), nullable=True),
)

international_payments = Table(
    "international_payments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("quote_id", String(40), ForeignKey("fx_quotes.id"), nullable=False, unique=True),
    Column("source_account_id", String(40), nullable=False),
    Column("payee_id", String(40), nullable=False),
    Column("reference", String(35), nullable=False),
    Column("transaction_id", String(40), ForeignKey("transactions.id"), nullable=False),
    Column("balance_after_minor", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
)


def make_engine(database_url: str) -> AsyncEngine:
    """An engine for SQLite (aiosqlite) or PostgreSQL (asyncpg) with sane concurrency settings."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    in_memory = url.database in (None, "", ":memory:")
    if not in_memory:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        # Writers wait for each other instead of failing with "database is locked".
        connect_args={"timeout": 30},
        **({"poolclass": StaticPool} if in_memory else {}),
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine
