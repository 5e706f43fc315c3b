"""Deterministic stand-ins for the banking actions and the bank's customer lookup.

They follow the action contract in bot/handlers.py so the engine is tested on its own;
the real actions against the real sandbox are exercised in test_real_transfer.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from actions.formatting import money
from bot.bank import BankUnavailable
from bot.handlers import Action, ActionContext, ActionResult, Reply, declared

PAYEES = {"Alice Johnson": "payee-alice", "Bob Martin": "payee-bob"}
ACCOUNTS = {
    "current": ("acc-current", "Current account ••4821"),
    "savings": ("acc-sav", "Savings account ••1177"),
}

RESPONSES_YML = """
responses:
  utter_payee_not_found:
    - text: "I couldn't find a payee called {name}. Your payees are {known}."
  utter_amount_invalid:
    - text: "That amount doesn't work: {reason}."
  utter_currency_unsupported:
    - text: "I can only send GBP."
  utter_account_not_found:
    - text: "I couldn't find that account."
  utter_balance:
    - text: "Your balances:\\n{lines}"
  utter_transactions:
    - text: "Your last {count} transactions:\\n{lines}"
  utter_transfer_done:
    - text: "Done: sent {amount} {currency} to {payee}. New balance {new_balance}. Ref {reference}."
  utter_transfer_insufficient_funds:
    - text: "You don't have enough money for that. Nothing has been sent."
  utter_bank_unavailable:
    - text: "The bank isn't answering right now."
"""


@dataclass
class Customer:
    id: str
    name: str
    first_name: str
    phone: str
    email: str
    contact_preference: str = ""


class Directory:
    """Answers `get_customer` like the bank client; `down` simulates the bank being away."""

    def __init__(self) -> None:
        self.down = False

    async def get_customer(self, customer_id: str) -> Customer:
        if self.down:
            raise BankUnavailable("bank down")
        return Customer(customer_id, "Jane Doe", "Jane", "+44 7700 900123", "jane@example.com")


@dataclass
class Ledger:
    """What the stand-in transfer action did, so tests can count payments."""

    balance: Decimal = Decimal("1000.00")
    payments: dict[str, Decimal] = field(default_factory=dict)  # idempotency key -> amount
    calls: list[dict] = field(default_factory=list)


def build_actions(ledger: Ledger) -> dict[str, Action]:
    async def validate_payee(ctx: ActionContext) -> ActionResult:
        raw = str(ctx.slots.get("payee", "")).strip().lower()
        for name, payee_id in PAYEES.items():
            if raw and (raw in name.lower() or name.lower() in raw):
                return ActionResult(slots={"payee": name, "payee_id": payee_id})
        buttons = tuple((n, f'/inform{{"payee": "{n}"}}') for n in PAYEES)
        reply = Reply("utter_payee_not_found", {"name": raw, "known": ", ".join(PAYEES)}, buttons)
        return ActionResult(ok=False, replies=[reply])

    async def validate_amount(ctx: ActionContext) -> ActionResult:
        currency = ctx.slots.get("currency") or "GBP"
        if currency != "GBP":
            return ActionResult(ok=False, replies=[Reply("utter_currency_unsupported")])
        try:
            amount = Decimal(str(ctx.slots.get("amount")).replace("£", ""))
        except InvalidOperation:
            return ActionResult(
                ok=False, replies=[Reply("utter_amount_invalid", {"reason": "not a number"})]
            )
        if amount <= 0:
            reply = Reply("utter_amount_invalid", {"reason": "it must be more than zero"})
            return ActionResult(ok=False, replies=[reply])
        return ActionResult(
            slots={
                "amount": f"{amount:.2f}",
                "currency": currency,
                "amount_text": money(amount, currency),
            }
        )

    async def validate_transfer_amount(ctx: ActionContext) -> ActionResult:
        """The real one also checks the bank's daily limit and the balance; here only the form."""
        checked = await validate_amount(ctx)
        if not checked.ok:
            return checked
        return ActionResult(slots=checked.slots | {"limit_note": ""})

    async def validate_source_account(ctx: ActionContext) -> ActionResult:
        kind = ctx.slots.get("source_account") or "current"
        if kind not in ACCOUNTS:
            return ActionResult(ok=False, replies=[Reply("utter_account_not_found")])
        account_id, name = ACCOUNTS[kind]
        return ActionResult(slots={"source_account_id": account_id, "source_account_name": name})

    async def check_balance(ctx: ActionContext) -> ActionResult:
        return ActionResult(
            replies=[Reply("utter_balance", {"lines": f"Current: £{ledger.balance}"})]
        )

    async def transaction_history(ctx: ActionContext) -> ActionResult:
        return ActionResult(
            replies=[Reply("utter_transactions", {"count": 1, "lines": "Tesco -£12.00"})]
        )

    async def transfer_money(ctx: ActionContext) -> ActionResult:
        ledger.calls.append({"slots": dict(ctx.slots), "key": ctx.idempotency_key})
        amount = Decimal(ctx.slots["amount"])
        if amount > ledger.balance:
            return ActionResult(
                ok=False,
                error="insufficient_funds",
                replies=[Reply("utter_transfer_insufficient_funds")],
                audit={"amount": ctx.slots["amount"], "outcome": "rejected"},
            )
        if ctx.idempotency_key not in ledger.payments:
            ledger.payments[ctx.idempotency_key] = amount
            ledger.balance -= amount
        reply = Reply(
            "utter_transfer_done", {"new_balance": f"£{ledger.balance}", "reference": "P-1"}
        )
        return ActionResult(
            replies=[reply], audit={"payment_id": "P-1", "amount": ctx.slots["amount"]}
        )

    says = {
        validate_payee: {"utter_payee_not_found": ["name", "known"]},
        validate_amount: {"utter_currency_unsupported": [], "utter_amount_invalid": ["reason"]},
        validate_transfer_amount: {
            "utter_currency_unsupported": [],
            "utter_amount_invalid": ["reason"],
        },
        validate_source_account: {"utter_account_not_found": []},
        check_balance: {"utter_balance": ["lines"]},
        transaction_history: {"utter_transactions": ["count", "lines"]},
        transfer_money: {
            "utter_transfer_done": ["new_balance", "reference"],
            "utter_transfer_insufficient_funds": [],
        },
    }
    sets = {
        validate_payee: {"payee_id"},
        validate_amount: {"amount_text"},
        validate_transfer_amount: {"amount_text", "limit_note"},
        validate_source_account: {"source_account_id", "source_account_name"},
    }
    return {
        handler.__name__: Action(
            handler.__name__,
            handler,
            declared(said),
            frozenset(sets.get(handler, ())),
        )
        for handler, said in says.items()
    }
