"""The one call the composition root makes to get every action handler by name."""

from __future__ import annotations

# Importing an action module registers its handlers (`bot.handlers.action`).
from actions import (
    abroad,
    abroad_payees,
    accounts,
    alerts,
    biller_directory,
    bills,
    budgets,
    cards,
    cards_manage,
    credit_cards,
    disputes,
    limits,
    links,
    loans,
    own_accounts,
    payees,
    payments,
    pending,
    places,
    profile,
    rates,
    schedules,
    spending,
    standing_orders,
    statements,
    topups,
    validators,
)
from bot.handlers import REGISTRY, Action

MODULES = (
    abroad,
    abroad_payees,
    accounts,
    alerts,
    biller_directory,
    bills,
    budgets,
    cards,
    cards_manage,
    credit_cards,
    disputes,
    limits,
    links,
    loans,
    own_accounts,
    payees,
    payments,
    pending,
    profile,
    places,
    rates,
    schedules,
    spending,
    statements,
    standing_orders,
    topups,
    validators,
)


def load_actions() -> dict[str, Action]:
    """Every registered handler, by the name flows use for it."""
    return dict(REGISTRY)
