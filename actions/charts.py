"""Spending charts as PNG bar charts (matplotlib's Agg renderer, in memory).

matplotlib is imported on the first chart, not when Teller starts, and used through its
object API (a `Figure` of its own per chart, no pyplot state), so charts made on worker
threads at the same time never share a figure. Every word on the chart comes from the
caller (`bot/domain/statements.yml`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT, DPI = 800, 480, 100  # pixels
_BAR = "#2f6db5"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # "Groceries", "w/c 3 Nov"
    amount: Decimal
    shown: str  # the amount as the customer reads it: "£120.00"


def bar_chart_png(title: str, bars: Sequence[Bar], *, horizontal: bool) -> bytes:
    """Bars in the order given: across the page for categories (biggest first, at the top),
    upright for weeks (in time order)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    values = [float(bar.amount) for bar in bars]
    labels = [bar.label for bar in bars]
    if horizontal:
        drawn = axes.barh(labels[::-1], values[::-1], color=_BAR)
        axes.bar_label(drawn, labels=[bar.shown for bar in bars][::-1], padding=4, fontsize=9)
        axes.set_xlim(0, max(values) * 1.22)
        axes.xaxis.set_visible(False)
    else:
        drawn = axes.bar(labels, values, color=_BAR)
        axes.bar_label(drawn, labels=[bar.shown for bar in bars], padding=3, fontsize=9)
        axes.set_ylim(0, max(values) * 1.18)
        axes.yaxis.set_visible(False)
        axes.tick_params(axis="x", labelsize=9)
    for side in ("top", "right", "left" if not horizontal else "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_title(title, fontsize=12, loc="left")
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()
