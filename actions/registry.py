"""The one call the composition root makes to get every action handler by name."""

from __future__ import annotations

# Importing an action module registers its handlers (`bot.handlers.action`).
from actions import (
    accounts,
    biller_directory,
    bills,
    cards,
    credit_cards,
    links,
    own_accounts,
    payments,
    pending,
    rates,
    spending,
    topups,
    validators,
)
from bot.handlers import REGISTRY, Action

MODULES = (accounts, cards, links, payments, pending, rates, spending, topups, validators)
# Moving money between own accounts, card repayments and bills.
MODULES += (biller_directory, bills, credit_cards, own_accounts)


def load_actions() -> dict[str, Action]:
    """Every registered handler, by the name flows use for it."""
    return dict(REGISTRY)
