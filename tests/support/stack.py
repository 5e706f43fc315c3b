"""The whole system on loopback: MongoDB (SecantusDB or $MONGODB_URI), sandbox bank, Teller."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.mongo import mongo_server
from tests.support.process import ServerProcess, start_sandbox_process, start_teller


@dataclass
class Stack:
    mongo_uri: str
    mongo_db: str
    bank_url: str
    bank_api_key: str
    jwt_secret: str
    teller: ServerProcess
    bank: ServerProcess
    stop_mongo: Callable[[], None]


@contextmanager
def running_stack(
    tmp: Path,
    config: Path | None = None,
    killable_mongo: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """Start every server the product needs, each its own process; stop them on exit.

    `killable_mongo` always starts a private SecantusDB, for tests that stop the store.
    `extra_env` is laid over Teller's environment (e.g. channel secrets).
    """
    with ExitStack() as cleanup:
        mongo_uri, stop_mongo = cleanup.enter_context(mongo_server(tmp / "mongo", killable_mongo))
        api_key = secrets.token_urlsafe(24)
        bank = start_sandbox_process(
            f"sqlite+aiosqlite:///{tmp / 'bank.db'}", api_key, tmp / "bank.log"
        )
        cleanup.callback(bank.stop)
        mongo_db = f"teller_{uuid.uuid4().hex[:12]}"
        jwt_secret = secrets.token_urlsafe(32)
        env = {
            "MONGODB_URI": mongo_uri,
            "MONGODB_DB": mongo_db,
            "BANK_API_URL": bank.base_url,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            # Each stack its own Redis namespace: counters (OTP lockout) outlive a test run.
            "REDIS_PREFIX": f"test:{mongo_db}:",
            "BANK_API_KEY": api_key,
            "TELLER_JWT_SECRET": jwt_secret,
            "TELLER_OTP_KEY": secrets.token_urlsafe(32),
        }
        if config is not None:
            env["TELLER_CONFIG"] = str(config)
        env.update(extra_env or {})
        teller = start_teller(env, tmp / "teller.log")
        cleanup.callback(teller.stop)
        yield Stack(
            mongo_uri, mongo_db, bank.base_url, api_key, jwt_secret, teller, bank, stop_mongo
        )
