"""Secrets: environment first, dev generation persisted once, production refuses gaps."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from bot.auth.secrets import (
    BANK_API_KEY,
    DEV_SECRETS_FILE,
    JWT_PUBLIC_KEY,
    JWT_SECRET,
    OTP_KEY,
    load_secrets,
)
from bot.config import ConfigError

ALL = (JWT_SECRET, JWT_PUBLIC_KEY, OTP_KEY, BANK_API_KEY)
STRONG = "s" * 40


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL:
        monkeypatch.delenv(name, raising=False)


def test_dev_mode_generates_persists_and_reuses(tmp_path: Path) -> None:
    first = load_secrets(dev_mode=True, dev_dir=tmp_path / "var")
    second = load_secrets(dev_mode=True, dev_dir=tmp_path / "var")
    assert first == second
    assert len(first.jwt_secret) >= 32 and len(first.otp_key) >= 32 and first.bank_api_key
    assert first.jwt_public_key is None
    stored = json.loads((tmp_path / "var" / DEV_SECRETS_FILE).read_text())
    assert stored[JWT_SECRET] == first.jwt_secret
    assert stored[OTP_KEY].encode() == first.otp_key


def test_dev_secrets_file_is_private(tmp_path: Path) -> None:
    load_secrets(dev_mode=True, dev_dir=tmp_path)
    mode = stat.S_IMODE((tmp_path / DEV_SECRETS_FILE).stat().st_mode)
    assert mode == 0o600


def test_dev_secrets_file_permissions_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / DEV_SECRETS_FILE
    path.write_text(json.dumps({JWT_SECRET: STRONG}))
    path.chmod(0o644)
    secrets = load_secrets(dev_mode=True, dev_dir=tmp_path)
    assert secrets.jwt_secret == STRONG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_environment_wins_over_dev_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_secrets(dev_mode=True, dev_dir=tmp_path)
    monkeypatch.setenv(OTP_KEY, STRONG)
    assert load_secrets(dev_mode=True, dev_dir=tmp_path).otp_key == STRONG.encode()


def test_all_from_environment_writes_no_dev_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (JWT_SECRET, OTP_KEY, BANK_API_KEY):
        monkeypatch.setenv(name, STRONG)
    load_secrets(dev_mode=True, dev_dir=tmp_path)
    assert not (tmp_path / DEV_SECRETS_FILE).exists()


@pytest.mark.parametrize("missing", [OTP_KEY, BANK_API_KEY])
def test_production_missing_secret_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    for name in (JWT_SECRET, OTP_KEY, BANK_API_KEY):
        if name != missing:
            monkeypatch.setenv(name, STRONG)
    with pytest.raises(ConfigError, match=missing):
        load_secrets(dev_mode=False, dev_dir=tmp_path)
    assert not (tmp_path / DEV_SECRETS_FILE).exists()


def test_production_needs_a_jwt_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OTP_KEY, STRONG)
    monkeypatch.setenv(BANK_API_KEY, "bank")
    with pytest.raises(ConfigError, match=JWT_SECRET):
        load_secrets(dev_mode=False, dev_dir=tmp_path)
    monkeypatch.setenv(JWT_PUBLIC_KEY, "-----BEGIN PUBLIC KEY-----")
    assert load_secrets(dev_mode=False, dev_dir=tmp_path).jwt_secret is None


def test_empty_variable_counts_as_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (JWT_SECRET, BANK_API_KEY):
        monkeypatch.setenv(name, STRONG)
    monkeypatch.setenv(OTP_KEY, "")
    with pytest.raises(ConfigError, match=OTP_KEY):
        load_secrets(dev_mode=False, dev_dir=tmp_path)


def test_short_key_refused_without_echoing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (JWT_SECRET, OTP_KEY, BANK_API_KEY):
        monkeypatch.setenv(name, STRONG)
    monkeypatch.setenv(JWT_SECRET, "hunter2")
    with pytest.raises(ConfigError, match=JWT_SECRET) as caught:
        load_secrets(dev_mode=False, dev_dir=tmp_path)
    assert "hunter2" not in str(caught.value)


def test_corrupt_dev_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / DEV_SECRETS_FILE).write_text("{not json")
    with pytest.raises(ConfigError, match=DEV_SECRETS_FILE):
        load_secrets(dev_mode=True, dev_dir=tmp_path)


def test_secret_values_never_logged_or_in_repr(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        secrets = load_secrets(dev_mode=True, dev_dir=tmp_path)
    assert JWT_SECRET in caplog.text
    for value in (secrets.jwt_secret, secrets.otp_key.decode(), secrets.bank_api_key):
        assert value not in caplog.text
        assert value not in repr(secrets)
