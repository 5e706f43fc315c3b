"""The contract between flows and action handlers.

A flow step names an action; the dialogue manager looks it up in `REGISTRY` and calls it
with an `ActionContext`. Handlers never write text: they return response keys (rendered
from `bot/domain/responses.yml`) with variables, slot updates, and an `ok` flag the flow
uses to continue or stop. Validators (`validate_<slot>`) are actions too: they return the
normalised value in `slots`, or `ok=False` with a response that tells the customer why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actions.bank_client import BankClient


@dataclass(frozen=True, slots=True)
class Reply:
    """A response key from responses.yml and the variables to fill it with.

    `buttons` adds quick replies computed at run time (e.g. the customer's own payees),
    as (title, payload) pairs, after any buttons the template declares.
    """

    key: str
    vars: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ActionContext:
    conversation_id: str
    customer_id: str
    slots: Mapping[str, Any]
    bank: BankClient
    now: datetime
    idempotency_key: str | None = None


@dataclass(slots=True)
class ActionResult:
    ok: bool = True
    replies: list[Reply] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # machine-readable: bank_unavailable, insufficient_funds, ...
    audit: dict[str, Any] = field(default_factory=dict)  # JSON-able, masked: goes in the event


Handler = Callable[[ActionContext], Awaitable[ActionResult]]

REGISTRY: dict[str, Handler] = {}


def action(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under the name flows use for it."""

    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise ValueError(f"action {name!r} registered twice")
        REGISTRY[name] = handler
        return handler

    return register
