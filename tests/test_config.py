"""Settings fail closed: a value that cannot be read as written stops the service, naming
the key or variable, instead of being guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT as ROOT
from bot.config import ConfigError, Settings, load_settings, require_serving

# What every configuration outside dev mode needs, so each test varies one thing.
PRODUCTION_NEEDS = """
stores:
  redis_url: redis://127.0.0.1:6379/0
auth:
  jwt_issuer: https://login.bank.example
"""


def served(path: Path) -> Settings:
    """Settings as the composition root takes them to serve customers (reading them to
    train a model asks less: see `require_serving`)."""
    settings = load_settings(path)
    require_serving(settings)
    return settings


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


@pytest.mark.parametrize("redis_url", ["", None], ids=["empty", "unset"])
def test_outside_dev_mode_an_empty_or_missing_redis_url_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str | None
) -> None:
    """Issue 10, finding 10: `REDIS_URL=` (set but empty, as a unit file or a chart may
    leave it) silently fell back to in-process turn locks, OTP lockout and sign-in limits:
    with two workers, each then counts and locks on its own. Outside dev mode that is a
    ConfigError naming the variable; one worker without Redis is a dev-only setup."""
    if redis_url is None:
        monkeypatch.delenv("REDIS_URL", raising=False)
    else:
        monkeypatch.setenv("REDIS_URL", redis_url)
    issuer = "auth:\n  jwt_issuer: https://login.bank.example\n"
    path = config(tmp_path, "dev_mode: false\nstores:\n  redis_url: ${REDIS_URL:-}\n" + issuer)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        served(path)
    path = config(tmp_path, "dev_mode: false\n" + issuer)  # no stores section at all
    with pytest.raises(ConfigError, match="REDIS_URL"):
        served(path)
    path = config(tmp_path, "dev_mode: true\nstores:\n  redis_url: ${REDIS_URL:-}\n")
    assert served(path).stores.redis_url == ""  # dev mode: in process, one worker


def test_the_production_example_refuses_an_empty_redis_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in [
        ("MONGODB_URI", "mongodb://127.0.0.1:27017"),
        ("BANK_API_URL", "https://bank.example"),
        ("TELLER_JWT_ISSUER", "https://login.bank.example"),
        ("REDIS_URL", ""),
    ]:
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        served(ROOT / "config.production.yml")


def test_outside_dev_mode_the_token_issuer_is_required_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 10, finding 10: customer tokens were taken from any issuer."""
    for name, value in [
        ("MONGODB_URI", "mongodb://127.0.0.1:27017"),
        ("BANK_API_URL", "https://bank.example"),
        ("REDIS_URL", "redis://127.0.0.1:6379/0"),
    ]:
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TELLER_JWT_ISSUER", raising=False)
    with pytest.raises(ConfigError, match="TELLER_JWT_ISSUER"):
        served(ROOT / "config.production.yml")
    monkeypatch.setenv("TELLER_JWT_ISSUER", "")
    with pytest.raises(ConfigError, match="TELLER_JWT_ISSUER"):
        served(ROOT / "config.production.yml")
    monkeypatch.setenv("TELLER_JWT_ISSUER", "https://login.bank.example")
    settings = served(ROOT / "config.production.yml")
    assert settings.auth.jwt_issuer == "https://login.bank.example"
    assert 0 < settings.auth.max_token_lifetime_seconds <= 3600
