"""Results several actions share: the bank is down, pick one of your accounts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from actions.formatting import account_label
from bot.bank import Account, BankError
from bot.handlers import ActionResult, Reply

log = logging.getLogger("actions")

# What the shared results say, for the actions that return them to declare.
BANK_UNAVAILABLE = {"utter_bank_unavailable": ()}
ACCOUNT_NOT_FOUND = {"utter_account_not_found": ("account", "known")}


def payload(intent: str, **entities: str) -> str:
    """A Rasa-style button payload: /intent{"entity": "value"}."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def account_buttons(
    accounts: Iterable[Account], intent: str, entity: str = "account"
) -> tuple[tuple[str, str], ...]:
    """One button per account; `entity` names the slot it answers (e.g. `to_account`)."""
    return tuple(
        (account_label(a), payload(intent, **{entity: f"ending:{a.last4}"})) for a in accounts
    )


def bank_unavailable(action: str, exc: BankError) -> ActionResult:
    """Reading failed: nothing changed anywhere, so say so and let the customer try later."""
    log.warning("%s: bank unavailable: %s", action, exc)
    return ActionResult(
        ok=False,
        error="bank_unavailable",
        replies=[Reply("utter_bank_unavailable")],
        audit={"bank_error": type(exc).__name__},
    )


def account_not_found(reference: str, accounts: Iterable[Account], intent: str) -> ActionResult:
    accounts = list(accounts)
    return ActionResult(
        ok=False,
        error="account_not_found",
        replies=[
            Reply(
                "utter_account_not_found",
                {"account": reference, "known": ", ".join(account_label(a) for a in accounts)},
                account_buttons(accounts, intent),
            )
        ],
    )
