"""PNG charts for an evaluation report: per-intent F1 bars and a heatmap of the worst intents.

They take plain data (intent -> F1, gold -> predicted -> count), not the evaluation
itself. matplotlib is the optional `report` extra: it is imported only when a chart is
drawn, on its Agg backend (files only, no display); without it, ChartsUnavailable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

WORST = 15
INSTALL_HINT = "the PNG charts need matplotlib: pip install 'teller[report]'"

Matrix = Mapping[str, Mapping[str, int]]  # gold -> predicted -> count


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ChartsUnavailable(INSTALL_HINT) from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def per_intent_f1(f1: Mapping[str, float], title: str, path: Path) -> Path:
    plt = _pyplot()
    ranked = sorted(f1.items(), key=lambda kv: kv[1])
    names = [n for n, _ in ranked]
    height = max(4.0, 0.18 * len(names))
    fig, ax = plt.subplots(figsize=(8, height))
    ax.barh(names, [score for _, score in ranked], color="#3b6ea5")
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def worst_confusions(
    f1: Mapping[str, float], matrix: Matrix, path: Path, worst: int = WORST
) -> Path:
    """Rows: the `worst` intents by F1 (gold); columns: those plus where they went."""
    plt = _pyplot()
    rows = [n for n, _ in sorted(f1.items(), key=lambda kv: kv[1])[:worst]]
    cols = list(rows)
    for gold in rows:
        for predicted, n in sorted(matrix.get(gold, {}).items(), key=lambda kv: -kv[1]):
            if predicted not in cols and n > 1 and len(cols) < 2 * worst:
                cols.append(predicted)
    grid = np.array([[matrix.get(g, {}).get(p, 0) for p in cols] for g in rows])
    fig, ax = plt.subplots(figsize=(0.35 * len(cols) + 4, 0.35 * len(rows) + 3))
    image = ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=90, fontsize=6)
    ax.set_yticks(range(len(rows)), rows, fontsize=6)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold (worst F1 first)")
    for (i, j), n in np.ndenumerate(grid):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=5,
                    color="white" if n > grid.max() / 2 else "black")  # fmt: skip
    fig.colorbar(image, ax=ax, shrink=0.6)
    ax.set_title("Confusions among the worst intents")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_charts(
    f1: Mapping[str, float], matrix: Matrix, directory: Path, title: str = "Per-intent F1"
) -> list[Path]:
    """per_intent_f1.png and confusion_worst.png in `directory`."""
    _pyplot()  # ChartsUnavailable before anything is written
    directory.mkdir(parents=True, exist_ok=True)
    return [
        per_intent_f1(f1, title, directory / "per_intent_f1.png"),
        worst_confusions(f1, matrix, directory / "confusion_worst.png"),
    ]
