"""Fixtures for the auth tests: secrets built in memory, a verifier per algorithm set."""

from __future__ import annotations

import secrets

import pytest

from bot.auth.secrets import Secrets


@pytest.fixture
def hs_secrets() -> Secrets:
    return Secrets(
        jwt_secret=secrets.token_urlsafe(48),
        jwt_public_key=None,
        otp_key=secrets.token_bytes(32),
        bank_api_key=secrets.token_urlsafe(32),
    )
