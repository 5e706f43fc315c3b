from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import PROJECT_ROOT
from tests.nlu.conftest import HELDOUT

SMALL_DATA = ("banking.yml", "conversation.yml", "lexicon.yml")  # Teller's own 13 intents


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The CLI on a small copy of nlu_data/ (seconds to train, not the full BANKING77 model)."""
    data = tmp_path / "data"
    data.mkdir()
    for name in SMALL_DATA:
        shutil.copy(PROJECT_ROOT / "nlu_data" / name, data / name)
    path = tmp_path / "config.yml"
    path.write_text(f"nlu:\n  data: {data}\n  model_dir: {tmp_path / 'models'}\n")
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
    report = tmp_path / "r"
    assert (report / "nlu_report.json").exists()
    assert "per_intent" not in out and "check_balance" in (report / "nlu_report.txt").read_text()
    for chart in ("per_intent_f1.png", "confusion_worst.png"):
        assert (report / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_without_matplotlib_writes_the_report_and_says_how_to_get_charts(
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    report = tmp_path / "r"
    assert main(["--config", str(config), "evaluate", str(HELDOUT), "--report", str(report)]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if "teller[report]" in line]
    assert len(said) == 1 and "report written to" in said[0]
    assert (report / "nlu_report.json").exists() and (report / "nlu_report.txt").exists()
    assert not list(report.glob("*.png"))


def test_evaluate_reads_a_banking77_style_csv(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "few.csv"
    csv_file.write_text("text,category\nwhat's my balance,check_balance\nhello there,greet\n")
    code = main(["--config", str(config), "evaluate", str(csv_file), "--report", str(tmp_path)])
    assert code == 0
    assert "examples      2" in capsys.readouterr().out


def test_evaluate_rejects_a_csv_without_the_expected_columns(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "odd.csv"
    csv_file.write_text("utterance,label\nhello,greet\n")
    assert main(["--config", str(config), "evaluate", str(csv_file)]) == 2
    assert "text,category" in capsys.readouterr().err


def test_evaluate_reports_bad_data_without_a_traceback(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu:\n- intent: greet\n  examples: |\n    hello\n")
    assert main(["--config", str(config), "evaluate", str(bad)]) == 2
    assert f"{bad}:4" in capsys.readouterr().err
