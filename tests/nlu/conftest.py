"""One model trained per test session, from the real nlu_data/, into a temporary directory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, NluSettings
from bot.nlu.model import NluModel, load_or_train

HELDOUT = Path(__file__).parent / "data" / "heldout.yml"
TODAY = date(2026, 11, 18)  # a Wednesday


@pytest.fixture(scope="session")
def nlu_settings(tmp_path_factory: pytest.TempPathFactory) -> NluSettings:
    return NluSettings(
        data=PROJECT_ROOT / "nlu_data",
        model_dir=tmp_path_factory.mktemp("models"),
        fallback_threshold=0.35,
    )


@pytest.fixture(scope="session")
def model(nlu_settings: NluSettings) -> NluModel:
    return load_or_train(nlu_settings)
