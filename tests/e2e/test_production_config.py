"""The production example: no dev endpoints, RS256 customer tokens, external bank, Redis, and
one-time codes through real notifiers (the dev outbox, or none, refuses to start). Codes
reaching customers under this config: test_codes_reach_customers.py."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.mongo import mongo_server
from tests.support.process import ROOT, start_sandbox_process, start_teller

# An SMS provider Teller is configured for; this test never has a code sent.
UNUSED_SMS = {
    "TELLER_OTP_NOTIFIERS": "sms",
    "TELLER_SMS_API_BASE": "http://127.0.0.1:9",
    "TELLER_SMS_ACCOUNT_SID": "AC-unused",
    "TELLER_SMS_AUTH_TOKEN": "unused",
    "TELLER_SMS_FROM": "+447700900999",
}
ISSUER = "https://login.bank.example"


def test_production_config_serves_chat_with_rs256_tokens_and_no_dev_endpoints(
    tmp_path: Path,
) -> None:
    """Issue 10, finding 10 too: production takes only tokens from its issuer
    (TELLER_JWT_ISSUER) that say when they were issued and live 15 minutes at most."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    api_key = secrets.token_urlsafe(24)
    bank = start_sandbox_process(
        f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}", api_key, tmp_path / "bank.log"
    )
    try:
        with mongo_server(tmp_path / "mongo") as (uri, _):
            teller = start_teller(
                {
                    "TELLER_CONFIG": str(ROOT / "config.production.yml"),
                    "MONGODB_URI": uri,
                    "MONGODB_DB": f"teller_prod_{secrets.token_hex(4)}",
                    "REDIS_URL": "redis://127.0.0.1:6379/0",
                    "REDIS_PREFIX": f"test:prod:{secrets.token_hex(4)}:",
                    "BANK_API_URL": bank.base_url,
                    "BANK_API_KEY": api_key,
                    "TELLER_JWT_PUBLIC_KEY": public_pem.decode(),
                    "TELLER_OTP_KEY": secrets.token_urlsafe(32),
                    "TELLER_JWT_SECRET": "",
                    **UNUSED_SMS,
                    "TELLER_JWT_ISSUER": ISSUER,
                },
                tmp_path / "teller.log",
            )
            try:
                with httpx.Client(base_url=teller.base_url, timeout=30) as http:
                    assert (
                        http.post("/dev/token", json={"customer_id": "cust-001"}).status_code == 404
                    )
                    assert (
                        http.get("/dev/outbox", params={"customer_id": "cust-001"}).status_code
                        == 404
                    )
                    assert http.get("/").status_code == 404
                    now = int(time.time())
                    good = {"sub": "cust-001", "aud": "teller", "iss": ISSUER, "iat": now}
                    token = jwt.encode({**good, "exp": now + 300}, key, algorithm="RS256")
                    reply = http.post(
                        "/api/v1/chat/message",
                        json={"text": "what's my balance?"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert reply.status_code == 200
                    assert "£" in reply.json()["messages"][0]["text"]
                    hs256 = jwt.encode(
                        {"sub": "cust-001", "aud": "teller", "exp": int(time.time()) + 300},
                        "a-shared-secret-the-production-config-does-not-accept",
                        algorithm="HS256",
                    )
                    refused = http.post(
                        "/api/v1/chat/message",
                        json={"text": "hi"},
                        headers={"Authorization": f"Bearer {hs256}"},
                    )
                    assert refused.status_code == 401
                    # Only our issuer's tokens, and none that live longer than allowed.
                    for claims in [
                        {**good, "iss": "https://login.other.example", "exp": now + 300},
                        {k: v for k, v in good.items() if k != "iss"} | {"exp": now + 300},
                        {k: v for k, v in good.items() if k != "iat"} | {"exp": now + 300},
                        {**good, "exp": now + 30 * 86400},
                    ]:
                        other = jwt.encode(claims, key, algorithm="RS256")
                        refused = http.post(
                            "/api/v1/chat/message",
                            json={"text": "hi"},
                            headers={"Authorization": f"Bearer {other}"},
                        )
                        assert refused.status_code == 401, claims
            finally:
                teller.stop()
    finally:
        bank.stop()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"TELLER_OTP_NOTIFIERS": "outbox"}, "otp.notifiers: outbox (the dev outbox) only works"),
        ({"TELLER_OTP_NOTIFIERS": ""}, "otp.notifiers is empty"),
        ({"TELLER_SMS_AUTH_TOKEN": ""}, "otp.notifiers lists sms, so TELLER_SMS_AUTH_TOKEN"),
    ],
    ids=["dev-outbox", "no-notifier", "sms-without-its-token"],
)
def test_production_refuses_to_start_without_a_real_notifier(
    tmp_path: Path, change: dict[str, str], named: str
) -> None:
    """Nothing is reached before the refusal: the stores and the bank may be anywhere."""
    log = tmp_path / "teller.log"
    env = {
        "TELLER_CONFIG": str(ROOT / "config.production.yml"),
        "MONGODB_URI": "mongodb://127.0.0.1:9",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "BANK_API_URL": "http://127.0.0.1:9",
        "BANK_API_KEY": "unused",
        "TELLER_JWT_SECRET": secrets.token_urlsafe(32),
        "TELLER_OTP_KEY": secrets.token_urlsafe(32),
        "TELLER_JWT_ISSUER": ISSUER,
        **UNUSED_SMS,
        **change,
    }
    with pytest.raises(RuntimeError, match="exited at start-up"):
        start_teller(env, log)
    assert named in log.read_text()
