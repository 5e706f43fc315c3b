"""Persistence: keyed by data + config, stale models retrain, nothing is unpickled."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.config import PROJECT_ROOT, NluSettings
from bot.nlu.model import ModelError, NluModel, load_or_train
from tests.nlu.conftest import TODAY

SMALL = """\
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
- intent: check_balance
  examples: |
    - what's my balance
    - how much money do i have
    - balance please
"""


@pytest.fixture
def small(tmp_path: Path) -> NluSettings:
    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu.yml").write_text(SMALL)
    return NluSettings(data=data, model_dir=tmp_path / "models", fallback_threshold=0.3)


def test_saved_model_parses_like_the_trained_one(model: NluModel, tmp_path: Path) -> None:
    model.save(tmp_path)
    loaded = NluModel.load(tmp_path, model.fallback_threshold)
    for text in ["send £50 to Alice tomorrow", "show my last 5 transactions", "hello"]:
        assert loaded.parse(text, TODAY) == model.parse(text, TODAY)
    with np.load(tmp_path / "arrays.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


def test_up_to_date_model_is_reused(small: NluSettings) -> None:
    first = load_or_train(small)
    assert first.report is not None  # trained
    second = load_or_train(small)
    assert second.report is None  # loaded
    assert second.fingerprint == first.fingerprint
    assert [p.name for p in small.model_dir.iterdir()] == [first.fingerprint]


def test_changed_data_retrains_and_replaces_the_stale_model(small: NluSettings) -> None:
    old = load_or_train(small)
    assert old.parse("ciao", TODAY).ranking[0].name in {"greet", "check_balance"}
    (small.data / "more.yml").write_text(
        "nlu:\n- intent: goodbye\n  examples: |\n    - bye\n    - see you\n    - ciao\n"
    )
    new = load_or_train(small)
    assert new.report is not None
    assert new.fingerprint != old.fingerprint
    assert "goodbye" in new.classifier.labels
    assert [p.name for p in small.model_dir.iterdir()] == [new.fingerprint]


@pytest.mark.parametrize("part", ["arrays.npz", "encoder.onnx", "tokenizer.json"])
def test_corrupt_model_is_rebuilt(small: NluSettings, part: str) -> None:
    trained = load_or_train(small)
    (small.model_dir / trained.fingerprint / part).write_bytes(b"not what it should be")
    with pytest.raises(ModelError):
        NluModel.load(small.model_dir / trained.fingerprint, small.fallback_threshold)
    rebuilt = load_or_train(small)
    assert rebuilt.report is not None
    assert rebuilt.parse("hello", TODAY).intent.name == "greet"


def test_loading_refuses_pickled_or_mismatched_files(small: NluSettings, tmp_path: Path) -> None:
    good = small.model_dir / load_or_train(small).fingerprint
    target = tmp_path / "bad"
    shutil.copytree(good, target)
    with (target / "arrays.npz").open("wb") as file:
        np.save(file, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelError, match="pickle"):
        NluModel.load(target, 0.3)
    shutil.copy(good / "arrays.npz", target / "arrays.npz")
    meta = json.loads((target / "model.json").read_text())
    meta["format"] = 999
    (target / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="format"):
        NluModel.load(target, 0.3)
    with pytest.raises(ModelError):
        NluModel.load(tmp_path / "missing", 0.3)


def test_threshold_comes_from_settings_not_the_saved_model(small: NluSettings) -> None:
    load_or_train(small)
    strict = NluSettings(small.data, small.model_dir, fallback_threshold=0.999)
    assert load_or_train(strict).parse("hello", TODAY).intent.name == "nlu_fallback"


def test_shipped_data_has_every_required_intent() -> None:
    from bot.nlu.training_data import load_training_data

    intents = set(load_training_data(PROJECT_ROOT / "nlu_data").intents)
    assert intents >= {
        "greet", "goodbye", "affirm", "deny", "thank_you", "help", "cancel", "inform",
        "check_balance", "transaction_history", "transfer_money", "human_handoff", "out_of_scope",
    }  # fmt: skip
