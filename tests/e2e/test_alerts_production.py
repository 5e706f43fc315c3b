"""Alerts under config.production.yml: the bank's webhook is on only with
TELLER_BANK_EVENTS_SECRET; a signed event reaches the customer's linked Telegram chat (the
fake Bot API), through Redis-shared open-widget records and MongoDB's unique event ids; a
forged one is refused. (Without the secret the webhook is not there:
tests/channels/test_alerts.py.)"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pymongo import MongoClient

from bot.bank_events import sign
from tests.channels.conftest import TELEGRAM_TOKEN, TelegramUser, channel_env
from tests.e2e.test_production_config import ISSUER, UNUSED_SMS
from tests.support.fake_platforms import fake_platforms
from tests.support.mongo import mongo_server
from tests.support.process import ROOT, start_sandbox_process, start_teller


def _event(customer_id: str) -> bytes:
    return json.dumps(
        {
            "EventId": f"evt-{uuid.uuid4().hex}",
            "CustomerId": customer_id,
            "Kind": "large_payment",
            "CreationDateTime": "2026-12-03T13:00:00",
            "Data": {
                "AccountName": "Current account",
                "AccountEnding": "4821",
                "Merchant": "Currys",
                "Amount": {"Amount": "899.00", "Currency": "GBP"},
                "Threshold": {"Amount": "500.00", "Currency": "GBP"},
            },
        }
    ).encode()


def test_production_alerts_reach_a_linked_chat_and_refuse_forgeries(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    api_key = secrets.token_urlsafe(24)
    secret = secrets.token_urlsafe(32)
    db_name = f"teller_prod_{secrets.token_hex(4)}"
    bank = start_sandbox_process(
        f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}", api_key, tmp_path / "bank.log"
    )
    try:
        with (
            mongo_server(tmp_path / "mongo") as (uri, _),
            fake_platforms("EAAG" + secrets.token_urlsafe(8), TELEGRAM_TOKEN) as platforms,
        ):
            env = {
                "TELLER_CONFIG": str(ROOT / "config.production.yml"),
                "MONGODB_URI": uri,
                "MONGODB_DB": db_name,
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "REDIS_PREFIX": f"test:prod-alerts:{secrets.token_hex(4)}:",
                "BANK_API_URL": bank.base_url,
                "BANK_API_KEY": api_key,
                "TELLER_JWT_PUBLIC_KEY": public_pem.decode(),
                "TELLER_OTP_KEY": secrets.token_urlsafe(32),
                "TELLER_JWT_SECRET": "",
                "TELLER_JWT_ISSUER": ISSUER,
                "TELLER_ALERTS_QUIET_START": "00:00",  # the test runs at any hour
                "TELLER_ALERTS_QUIET_END": "00:00",
                **UNUSED_SMS,
                **{k: v for k, v in channel_env(platforms).items() if k.startswith("TELEGRAM")},
            }
            now = int(time.time())
            claims = {"sub": "cust-001", "aud": "teller", "iss": ISSUER, "iat": now}
            token = jwt.encode({**claims, "exp": now + 600}, key, algorithm="RS256")
            teller = start_teller({**env, "TELLER_BANK_EVENTS_SECRET": secret}, tmp_path / "on.log")
            try:
                with httpx.Client(base_url=teller.base_url, timeout=30) as http:
                    issued = http.post(
                        "/api/v1/link-codes", headers={"Authorization": f"Bearer {token}"}
                    )
                    assert issued.status_code == 201, issued.text
                    telegram = TelegramUser(http, platforms)
                    telegram.say(f"link {issued.json()['code']}")
                    telegram.expect("now linked")

                    raw = _event("cust-001")
                    stamp = str(int(time.time()))
                    forged = {
                        "X-Bank-Timestamp": stamp,
                        "X-Bank-Signature": sign("x" * 32, stamp, raw),
                    }
                    assert (
                        http.post("/webhooks/bank", content=raw, headers=forged).status_code == 401
                    )
                    good = {"X-Bank-Timestamp": stamp, "X-Bank-Signature": sign(secret, stamp, raw)}
                    answer = http.post("/webhooks/bank", content=raw, headers=good)
                    assert answer.status_code == 200, answer.text
                    telegram.expect("£899.00 to Currys")
                    assert http.post("/webhooks/bank", content=raw, headers=good).status_code == 409
                with MongoClient(uri) as client:
                    assert client[db_name]["bank_events"].count_documents({}) == 1
            finally:
                teller.stop()
    finally:
        bank.stop()
