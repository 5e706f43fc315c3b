"""`make run`'s default: embedded sandbox bank, demo page and dev endpoints on one server."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx

from tests.support.mongo import mongo_server
from tests.support.process import ROOT, start_teller


def test_the_default_config_serves_the_demo_and_a_real_balance(tmp_path: Path) -> None:
    with mongo_server(tmp_path / "mongo") as (uri, _):
        teller = start_teller(
            {
                "TELLER_CONFIG": str(ROOT / "config.yml"),
                "MONGODB_URI": uri,
                "MONGODB_DB": "teller_local_run",
                "SANDBOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}",
                "BANK_API_KEY": secrets.token_urlsafe(16),
                "TELLER_JWT_SECRET": secrets.token_urlsafe(32),
                "TELLER_OTP_KEY": secrets.token_urlsafe(32),
                "BANK_API_URL": "",
            },
            tmp_path / "teller.log",
        )
        try:
            with httpx.Client(base_url=teller.base_url, timeout=30) as http:
                page = http.get("/")
                assert page.status_code == 200 and "Teller" in page.text
                assert http.get("/static/demo.js").status_code == 200
                customers = {c["id"] for c in http.get("/dev/customers").json()}
                assert {"cust-001", "cust-002", "cust-003"} <= customers
                token = http.post("/dev/token", json={"customer_id": "cust-001"}).json()["token"]
                reply = http.post(
                    "/api/v1/chat/message",
                    json={"text": "what is my balance"},
                    headers={"Authorization": f"Bearer {token}"},
                ).json()
                assert "£" in reply["messages"][0]["text"]
                unknown = http.post("/dev/token", json={"customer_id": "cust-999"})
                assert unknown.status_code == 404
        finally:
            teller.stop()
