"""The customer's linked chat apps: list them, and unlink one (issue 10, finding 4).

A chat is named by its app and the last four digits of its number or chat id ("WhatsApp
ending 0101"), never more. Listing offers an unlink button for each chat; unlinking, by
button or in words ("unlink my telegram", "the one ending 0202"), picks exactly one chat,
is confirmed by the flow, and then revoked through the `LinkedChats` port: Teller's own
records, not the bank's, so nothing here needs a one-time code (unlinking only ever takes
access away).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from actions.formatting import day
from actions.replies import payload
from bot.handlers import ActionContext, ActionResult, LinkedChat, LinkedChats, Reply, action

CHANNELS = ("whatsapp", "telegram")
# How a chat is named: mid-sentence ("WhatsApp ending 0101") and on a button ("WhatsApp ••0101").
LABELS = {
    f"chat_{form}_{channel}": ["ending"] for form in ("label", "title") for channel in CHANNELS
}
LINE = {"linked_chat_line": ["chat", "linked_on", "until"], "linked_chat_unlink": ["chat"]}
NONE = {"utter_no_linked_chats": []}
CHOSEN = ["linked_chat", "link_label", "link_choices"]
_ENDING = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _links(ctx: ActionContext) -> LinkedChats:
    if ctx.links is None:
        raise ValueError("linked-chat actions need the LinkedChats port")
    return ctx.links


def label(ctx: ActionContext, chat: LinkedChat, form: str = "label") -> str:
    return ctx.text(f"chat_{form}_{chat.channel}", ending=chat.ending)


def _date(epoch: float) -> str:
    return day(datetime.fromtimestamp(epoch, UTC).date())


def _lines(ctx: ActionContext, chats: Sequence[LinkedChat]) -> str:
    return "\n".join(
        ctx.text(
            "linked_chat_line",
            chat=label(ctx, c),
            linked_on=_date(c.linked_at),
            until=_date(c.expires_at),
        )
        for c in chats
    )


def match_chats(chats: Sequence[LinkedChat], reference: str) -> list[LinkedChat]:
    """The chats `reference` could mean: a link id (a button), the last four digits, or an
    app's name; nothing for anything else."""
    by_id = [c for c in chats if c.id == reference.strip()]
    if by_id:
        return by_id
    text = reference.lower()
    endings = _ENDING.findall(text)
    if endings:
        return [c for c in chats if c.ending == endings[-1]]
    squashed = re.sub(r"\s", "", text)
    apps = {channel for channel in CHANNELS if channel in squashed}
    return [c for c in chats if c.channel in apps]


def _chosen(ctx: ActionContext, chat: LinkedChat, chats: Sequence[LinkedChat]) -> dict[str, str]:
    return {
        "linked_chat": chat.id,
        "link_label": label(ctx, chat),
        "link_choices": _lines(ctx, chats),
    }


@action(
    "list_linked_chats", says={"utter_linked_chats": ["chats", "days"], **NONE, **LINE, **LABELS}
)
async def list_linked_chats(ctx: ActionContext) -> ActionResult:
    """Every linked chat, when it was linked and until when, with an unlink button each."""
    chats = await _links(ctx).linked_chats(ctx.customer_id)
    if not chats:
        return ActionResult(replies=[Reply("utter_no_linked_chats")])
    buttons = tuple(
        (
            ctx.text("linked_chat_unlink", chat=label(ctx, c, "title")),
            payload("revoke_linked_chat", linked_chat=c.id),
        )
        for c in chats
    )
    days = round((chats[0].expires_at - chats[0].linked_at) / 86400)
    said = {"chats": _lines(ctx, chats), "days": days}
    return ActionResult(replies=[Reply("utter_linked_chats", said, buttons)])


@action("offer_linked_chats", says={**NONE, **LINE, **LABELS}, sets=CHOSEN)
async def offer_linked_chats(ctx: ActionContext) -> ActionResult:
    """Before asking which chat to unlink: stop if there is none, pick the one meant (or
    the only one), else leave the question, with the chats to choose from, to the flow."""
    chats = await _links(ctx).linked_chats(ctx.customer_id)
    if not chats:
        return ActionResult(
            ok=False, error="no_linked_chats", replies=[Reply("utter_no_linked_chats")]
        )
    reference = str(ctx.slots.get("linked_chat") or "")
    matches = match_chats(chats, reference) if reference else list(chats)
    if len(matches) == 1:
        return ActionResult(slots=_chosen(ctx, matches[0], chats))
    return ActionResult(slots={"linked_chat": None, "link_choices": _lines(ctx, chats)})


@action(
    "validate_linked_chat",
    says={"utter_link_not_matched": [], **LINE, **LABELS},
    sets=CHOSEN,
)
async def validate_linked_chat(ctx: ActionContext) -> ActionResult:
    """Exactly one of the customer's linked chats must match what they said."""
    chats = await _links(ctx).linked_chats(ctx.customer_id)
    reference = str(ctx.slots.get("linked_chat") or "")
    matches = match_chats(chats, reference)
    if len(matches) == 1:
        return ActionResult(slots=_chosen(ctx, matches[0], chats))
    reply = Reply("utter_link_not_matched")
    return ActionResult(ok=False, error="linked_chat_not_matched", replies=[reply])


@action(
    "revoke_linked_chat",
    says={"utter_linked_chat_revoked": ["link_label"], "utter_linked_chat_gone": ["link_label"]},
)
async def revoke_linked_chat(ctx: ActionContext) -> ActionResult:
    """Unlink the chosen chat: from its next message it is anonymous again."""
    link_id = str(ctx.slots.get("linked_chat") or "")
    if not link_id:
        raise ValueError("revoke_linked_chat needs the linked_chat slot")  # a flow bug
    said = {"link_label": str(ctx.slots.get("link_label") or "")}
    if await _links(ctx).revoke(ctx.customer_id, link_id) is None:  # unlinked meanwhile
        reply = Reply("utter_linked_chat_gone", said)
        return ActionResult(ok=False, error="link_not_found", replies=[reply])
    return ActionResult(replies=[Reply("utter_linked_chat_revoked", said)], audit={"link": link_id})
