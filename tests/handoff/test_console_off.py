"""Outside dev mode the console needs its own session key: without it, it is off (404)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.handoff.conftest import CONFIG, Workers
from tests.support.process import start_teller


def test_without_an_agent_secret_outside_dev_mode_the_console_is_off(
    workers: Workers, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp: Path = tmp_path_factory.mktemp("off")
    production = tmp / "config.yml"
    text = CONFIG.read_text().replace("dev_mode: true", "dev_mode: false")
    # Outside dev mode one-time codes need a real notifier (none is reached in this test).
    production.write_text(
        text.replace("  max_resends: 2\n", "  max_resends: 2\n  notifiers: sms\n")
    )
    env = {k: v for k, v in workers.env.items() if k != "TELLER_AGENT_SECRET"}
    env["TELLER_CONFIG"] = str(production)
    env.update(
        TELLER_SMS_ACCOUNT_SID="AC-unused",
        TELLER_SMS_AUTH_TOKEN="unused",
        TELLER_SMS_FROM="+447700900999",
    )
    saved = os.environ.pop("TELLER_AGENT_SECRET", None)  # start_teller lays env over ours
    try:
        teller = start_teller(env, tmp / "teller.log")
    finally:
        if saved is not None:
            os.environ["TELLER_AGENT_SECRET"] = saved
    try:
        with httpx.Client(base_url=teller.base_url) as http:
            assert http.get("/agent").status_code == 404
            response = http.post("/agent/api/session", json={"name": "ana", "password": "x" * 12})
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "console_off"
    finally:
        teller.stop()
