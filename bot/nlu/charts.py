"""PNG charts for an evaluation report: per-intent F1 bars and a heatmap of the worst intents.

matplotlib runs on its Agg backend (files only, no display), imported here and
nowhere else so that serving never pays for it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from bot.nlu.evaluate import Evaluation

WORST = 15


def per_intent_f1(result: Evaluation, path: Path) -> Path:
    ranked = sorted(result.intents.items(), key=lambda kv: kv[1].f1)
    names = [n for n, _ in ranked]
    height = max(4.0, 0.18 * len(names))
    fig, ax = plt.subplots(figsize=(8, height))
    ax.barh(names, [s.f1 for _, s in ranked], color="#3b6ea5")
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_title(f"Per-intent F1 (accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f})")
    ax.tick_params(axis="y", labelsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def worst_confusions(result: Evaluation, path: Path, worst: int = WORST) -> Path:
    """Rows: the `worst` intents by F1 (gold); columns: those plus where they went."""
    rows = [n for n, _ in sorted(result.intents.items(), key=lambda kv: kv[1].f1)[:worst]]
    cols = list(rows)
    for gold in rows:
        for predicted, n in sorted(result.matrix.get(gold, {}).items(), key=lambda kv: -kv[1]):
            if predicted not in cols and n > 1 and len(cols) < 2 * worst:
                cols.append(predicted)
    grid = np.array([[result.matrix.get(g, {}).get(p, 0) for p in cols] for g in rows])
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


def write_charts(result: Evaluation, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [
        per_intent_f1(result, directory / "per_intent_f1.png"),
        worst_confusions(result, directory / "confusion_worst.png"),
    ]
