"""The one call the engine makes to get every action handler by name."""

from __future__ import annotations

import importlib

from actions.base import REGISTRY, Handler

ACTION_MODULES = (
    "actions.validators",
    "actions.accounts",
    "actions.payments",
    "actions.cards",
    "actions.pending",
    "actions.topups",
    "actions.rates",
)


def load_actions() -> dict[str, Handler]:
    """Import the action modules (registering their handlers) and return the registry."""
    for module in ACTION_MODULES:
        importlib.import_module(module)
    return REGISTRY
