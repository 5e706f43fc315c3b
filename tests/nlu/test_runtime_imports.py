"""The offline tools stay out of the runtime path: serving, parsing and `python -m bot train`
never import bot.nlu.report or matplotlib (the optional `report` extra)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import PROJECT_ROOT

LOADED = """
import importlib, sys
importlib.import_module(sys.argv[1])
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"
                      or m == "bot.nlu.report" or m.startswith("bot.nlu.report."))))
"""


def loaded_by(module: str) -> set[str]:
    """The report and matplotlib modules that importing `module` in a fresh interpreter loads."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED, module],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return set(done.stdout.split())


RUNTIME = ("bot.nlu.model", "bot.nlu.classifier", "bot.__main__", "server")


@pytest.mark.parametrize("module", RUNTIME)
def test_runtime_modules_do_not_import_the_report_package_or_matplotlib(module: str) -> None:
    assert loaded_by(module) == set()


def test_the_charts_do_not_import_the_evaluation_and_load_matplotlib_only_to_draw() -> None:
    assert loaded_by("bot.nlu.report.charts") == {"bot.nlu.report", "bot.nlu.report.charts"}
