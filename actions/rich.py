"""The rich forms of answers (tables and cards), laid out by `bot/domain/rich.yml`.

An answer's text still says everything on its own (it is what a channel without the rich
form shows); the table or card is the same answer in the shape people read money in. The
words of the layout (a table's caption and column headers, a card's title and line labels)
are responses like any other, so a designer edits them in YAML, and each action declares
them with `table_says` / `card_says` so the loader checks them at start-up.

A layout named `transactions` reads `table_transactions_caption` for its caption and
`table_transactions_<column>` for each column's header, in the order the action gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.handlers import ActionContext, SummaryCard, Table


def table_says(name: str, columns: Iterable[str], caption: Iterable[str] = ()) -> dict:
    """What `table(ctx, name, ...)` renders: the caption (with `caption` variables) and one
    header per column."""
    return {
        f"table_{name}_caption": list(caption),
        **{f"table_{name}_{column}": [] for column in columns},
    }


def table(
    ctx: ActionContext,
    name: str,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    **caption: Any,
) -> Table:
    """A table whose rows are mappings of column name to the cell's text."""
    return Table(
        caption=ctx.text(f"table_{name}_caption", **caption),
        columns=tuple(ctx.text(f"table_{name}_{column}") for column in columns),
        rows=tuple(tuple(str(row[column]) for column in columns) for row in rows),
    )


def card_says(name: str, title: Iterable[str] = (), lines: Iterable[str] = ()) -> dict:
    """What `card(ctx, name, ...)` renders: `card_<name>_title` and `card_<name>_lines`
    (one response, a line of the card per line of its text)."""
    return {f"card_{name}_title": list(title), f"card_{name}_lines": list(lines)}


def card(
    ctx: ActionContext,
    name: str,
    amount: str | None = None,
    title: Mapping[str, Any] | None = None,
    lines: Mapping[str, Any] | None = None,
) -> SummaryCard:
    """A card: a title, its lines (blank lines dropped) and the amount picked out."""
    text = ctx.text(f"card_{name}_lines", **(lines or {}))
    return SummaryCard(
        title=ctx.text(f"card_{name}_title", **(title or {})),
        lines=tuple(line.strip() for line in text.splitlines() if line.strip()),
        amount=amount,
    )
