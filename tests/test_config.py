"""Settings fail closed: a value that cannot be read as written stops the service, naming
the key or variable, instead of being guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

# What every configuration outside dev mode needs, so each test varies one thing.
PRODUCTION_NEEDS = """
stores:
  redis_url: redis://127.0.0.1:6379/0
"""


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("written", "meant"),
    [("false", False), ("False", False), ("no", False), ("0", False),
     ("true", True), ("TRUE", True), ("yes", True), ("1", True)],
)  # fmt: skip
def test_dev_mode_from_the_environment_means_what_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str, meant: bool
) -> None:
    """Issue 10, finding 10 ("fail closed"): `dev_mode: ${TELLER_DEV_MODE:-false}` turned
    dev mode ON (the dev token endpoint, generated secrets): bot/config.py cast the string
    "false" with bool(), and any non-empty string is true."""
    monkeypatch.setenv("TELLER_DEV_MODE", written)
    path = config(tmp_path, "dev_mode: ${TELLER_DEV_MODE:-true}\n" + PRODUCTION_NEEDS)
    assert load_settings(path).dev_mode is meant


def test_the_default_false_from_an_unset_variable_is_false(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELLER_DEV_MODE", raising=False)
    path = config(tmp_path, "dev_mode: ${TELLER_DEV_MODE:-false}\n" + PRODUCTION_NEEDS)
    assert load_settings(path).dev_mode is False


@pytest.mark.parametrize("written", ["flase", "", "enabled", "2", "on?"])
def test_a_boolean_that_is_neither_is_refused_naming_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    """Issue 10, finding 10: anything but true/false, yes/no or 1/0 is an error, not a guess."""
    monkeypatch.setenv("TELLER_DEV_MODE", written)
    path = config(tmp_path, "dev_mode: ${TELLER_DEV_MODE}\n" + PRODUCTION_NEEDS)
    with pytest.raises(ConfigError, match="dev_mode"):
        load_settings(path)
    monkeypatch.setenv("EMBEDDED", written)
    path = config(
        tmp_path, "dev_mode: true\nbank:\n  embedded_sandbox: ${EMBEDDED}\n" + PRODUCTION_NEEDS
    )
    with pytest.raises(ConfigError, match=r"bank\.embedded_sandbox"):
        load_settings(path)


def test_yaml_booleans_are_still_booleans(tmp_path: Path) -> None:
    path = config(tmp_path, "dev_mode: false\nbank:\n  embedded_sandbox: no\n" + PRODUCTION_NEEDS)
    settings = load_settings(path)
    assert settings.dev_mode is False and settings.bank.embedded_sandbox is False
