"""Statements under config.production.yml: links on Teller's public address, signed with
TELLER_FILES_SECRET, the file in Redis only until the link expires; without the secret,
statements are off and say so, and /files/ is not there."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
import jwt
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.test_production_config import ISSUER, UNUSED_SMS
from tests.support.mongo import mongo_server
from tests.support.process import ROOT, start_sandbox_process, start_teller

PUBLIC = "https://teller.bank.example"


def test_production_statements_use_the_public_address_and_redis(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    api_key = secrets.token_urlsafe(24)
    prefix = f"test:prod-files:{secrets.token_hex(4)}:"
    bank = start_sandbox_process(
        f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}", api_key, tmp_path / "bank.log"
    )
    try:
        with mongo_server(tmp_path / "mongo") as (uri, _):
            env = {
                "TELLER_CONFIG": str(ROOT / "config.production.yml"),
                "MONGODB_URI": uri,
                "MONGODB_DB": f"teller_prod_{secrets.token_hex(4)}",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "REDIS_PREFIX": prefix,
                "BANK_API_URL": bank.base_url,
                "BANK_API_KEY": api_key,
                "TELLER_JWT_PUBLIC_KEY": public_pem.decode(),
                "TELLER_OTP_KEY": secrets.token_urlsafe(32),
                "TELLER_JWT_SECRET": "",
                "TELLER_JWT_ISSUER": ISSUER,
                "TELLER_PUBLIC_URL": PUBLIC,
                **UNUSED_SMS,
            }
            now = int(time.time())
            claims = {"sub": "cust-001", "aud": "teller", "iss": ISSUER, "iat": now}
            token = jwt.encode({**claims, "exp": now + 600}, key, algorithm="RS256")
            headers = {"Authorization": f"Bearer {token}"}
            teller = start_teller(
                {**env, "TELLER_FILES_SECRET": secrets.token_urlsafe(32)}, tmp_path / "on.log"
            )
            try:
                with httpx.Client(base_url=teller.base_url, timeout=30) as http:
                    reply = http.post(
                        "/api/v1/chat/message",
                        json={"text": "send me my statement for last month"},
                        headers=headers,
                    ).json()
                    file = reply["messages"][0]["attachment"]
                    assert file["url"].startswith(f"{PUBLIC}/files/")
                    path = file["url"].removeprefix(PUBLIC)
                    served = http.get(path)
                    assert served.status_code == 200
                    assert served.content.startswith(b"%PDF")
                    file_id = path.removeprefix("/files/").split(".")[0]
                    with redis.Redis.from_url("redis://127.0.0.1:6379/0") as client:
                        ttl = client.ttl(f"{prefix}file:{file_id}")
                    assert 0 < ttl <= 600 + 300, "kept only until the link expires (and a grace)"
                    assert http.get(path[:-2] + "xx").status_code == 403
            finally:
                teller.stop()
            teller = start_teller(env, tmp_path / "off.log")
            try:
                with httpx.Client(base_url=teller.base_url, timeout=30) as http:
                    reply = http.post(
                        "/api/v1/chat/message",
                        json={"text": "send me my statement for last month"},
                        headers=headers,
                    ).json()
                    assert "can't make files here" in reply["messages"][0]["text"]
                    assert "attachment" not in reply["messages"][0]
                    assert http.get(path).status_code == 404
            finally:
                teller.stop()
    finally:
        bank.stop()
