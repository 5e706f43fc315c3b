from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import PROJECT_ROOT
from tests.nlu.conftest import HELDOUT


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(
        f"nlu:\n  data: {PROJECT_ROOT / 'nlu_data'}\n  model_dir: {tmp_path / 'models'}\n"
    )
    return path


def test_train_then_reuse(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "train"]) == 0
    assert "trained 13 intents" in capsys.readouterr().out
    assert main(["--config", str(config), "train"]) == 0
    assert "model up to date" in capsys.readouterr().out


def test_evaluate_prints_scores_and_writes_a_report(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--config", str(config), "evaluate", str(HELDOUT), "--report", str(tmp_path / "r")]
    )
    out = capsys.readouterr().out
    assert code == 0
    for label in ("accuracy", "macro-F1", "entity F1", "amount"):
        assert label in out
    assert (tmp_path / "r" / "nlu_report.json").exists()


def test_evaluate_reports_bad_data_without_a_traceback(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu:\n- intent: greet\n  examples: |\n    hello\n")
    assert main(["--config", str(config), "evaluate", str(bad)]) == 2
    assert f"{bad}:4" in capsys.readouterr().err
