"""The contract between flows and the action handlers that serve them.

A flow step names an action; the dialogue manager looks it up in the registry and calls it
with an `ActionContext`. Handlers never write text: every sentence is a response in
`bot/domain/` YAML. A handler returns response keys with variables (`Reply`), slot
updates and an `ok` flag the flow continues or stops on; the pieces a reply is built from
(a line per transaction, a card's label) it renders with `ctx.text(key, ...)`, which reads
the same YAML. Validators are actions too: the normalised value in `slots`, or
`ok=False` with a reply saying why.

Each action declares what it says and the variables it fills (`says`) and the slots it
sets (`sets`), so the domain loader can refuse, at start-up, a response whose
placeholders no caller fills, and the dialogue refuses an undeclared key at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.bank import Bank

# The rich forms a Reply may carry are part of the action contract: actions import them here.
from bot.messages import Attachment
from bot.messages import File as File
from bot.messages import Image as Image
from bot.messages import Place as Place
from bot.messages import Places as Places
from bot.messages import SummaryCard as SummaryCard
from bot.messages import Table as Table

# The NLU's readers are part of the contract too: a validator whose slot arrives as typed
# text ("the 5th", "after twelve payments") reads it the way the NLU reads a message.
from bot.nlu.entities.ahead import find_dates_ahead as find_dates_ahead
from bot.nlu.entities.ahead import find_plan_ends as find_plan_ends
from bot.nlu.entities.deposit_terms import find_deposit_terms as find_deposit_terms
from bot.nlu.entities.numbers import words_to_int as words_to_int

# What a notice is and who it goes to, for the actions that tell a customer of a change.
from bot.ports import NotDelivered as NotDelivered
from bot.ports import Notice as Notice
from bot.ports import Notifier
from bot.ports import Recipient as Recipient

Render = Callable[[str, Mapping[str, Any]], str]  # (response key, variables) -> its text


@dataclass(frozen=True, slots=True)
class Reply:
    """A response key from `bot/domain/` and the variables to fill it with.

    `buttons` adds quick replies computed at run time (e.g. the customer's own payees),
    as (title, payload) pairs, after any buttons the template declares. `attachment` is
    the rich form of the same answer (a table of transactions, a chart, a statement); the
    response's text must still say it on its own, for channels that cannot show it.
    """

    key: str
    vars: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[str, str], ...] = ()
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class LinkedChat:
    """One of the customer's linked chat apps, as an action may show it: never the whole
    phone number or chat id, only its last four digits."""

    id: str
    channel: str  # whatsapp | telegram
    ending: str  # the last four digits of the number or chat id
    linked_at: float  # epoch seconds
    expires_at: float


class LinkedChats(Protocol):
    """The customer's WhatsApp and Telegram links, for the actions that list and revoke
    them (Teller's own records, not the bank's)."""

    async def linked_chats(self, customer_id: str) -> list[LinkedChat]: ...

    async def revoke(self, customer_id: str, link_id: str) -> LinkedChat | None:
        """Unlink one of the customer's chats; None if they have no such link."""
        ...


class Files(Protocol):
    """Where an action keeps a file it made for the customer (a statement, a chart) for a
    short while (`bot/files.py`); what it gets back is the attachment for its reply, with a
    url the customer's channel turns into a link that only works for them, and not for
    long."""

    async def keep_file(
        self, customer_id: str, name: str, media_type: str, content: bytes
    ) -> File: ...

    async def keep_image(
        self, customer_id: str, name: str, content: bytes, *, alt: str, width: int, height: int
    ) -> Image: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionContext:
    conversation_id: str
    customer_id: str
    slots: Mapping[str, Any]
    bank: Bank
    now: datetime
    render: Render
    # Set for a flow's action steps (validators have none): the same for every retry of
    # this step of this run of the flow, so a write the bank sees twice is made once.
    idempotency_key: str | None = None
    links: LinkedChats | None = None  # None where nothing can be linked (no chat apps)
    files: Files | None = None  # None where no files can be served (no TELLER_FILES_SECRET)
    # What delivers one-time codes, for the notices that follow a change of contact details
    # (sent to the old email or number); None where nothing can be sent.
    notifier: Notifier | None = None
    # The latest alert told in this conversation (kind, event id, when, what about): what
    # "why did you message me" is answered from.
    alert: Mapping[str, Any] | None = None

    def text(self, key: str, **variables: Any) -> str:
        """A response rendered as text: a line, a label, a reason a reply is built from."""
        return self.render(key, variables)


@dataclass(slots=True)
class ActionResult:
    ok: bool = True
    replies: list[Reply] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # machine-readable: bank_unavailable, insufficient_funds, ...
    audit: dict[str, Any] = field(default_factory=dict)  # JSON-able, masked: goes in the event


Handler = Callable[[ActionContext], Awaitable[ActionResult]]
Says = Mapping[str, Iterable[str]]  # response key -> the variables the caller fills in


@dataclass(frozen=True, slots=True)
class Action:
    """A registered handler and what it declares about itself."""

    name: str
    run: Handler
    says: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sets: frozenset[str] = frozenset()

    async def __call__(self, ctx: ActionContext) -> ActionResult:
        return await self.run(ctx)


def declared(says: Says) -> dict[str, frozenset[str]]:
    """`says` with each key's variables as a frozenset."""
    return {key: frozenset(names) for key, names in says.items()}


REGISTRY: dict[str, Action] = {}


def action(
    name: str, *, says: Says | None = None, sets: Iterable[str] = ()
) -> Callable[[Handler], Action]:
    """Register a handler under the name flows use for it."""

    def register(handler: Handler) -> Action:
        if name in REGISTRY:
            raise ValueError(f"action {name!r} registered twice")
        REGISTRY[name] = Action(name, handler, declared(says or {}), frozenset(sets))
        return REGISTRY[name]

    return register
