import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from actions.bank_client import BankClient
from bot.config import PROJECT_ROOT, Settings
from bot.dialogue.domain import Domain, load_domain
from bot.dialogue.manager import DialogueManager
from bot.store.memory import DevOutbox
from tests.dialogue.chat import Chat, make_manager
from tests.dialogue.stand_ins import RESPONSES_YML, Directory, Ledger, build_actions
from tests.support.sandbox import start_sandbox

DOMAIN = PROJECT_ROOT / "bot" / "domain"


@pytest.fixture(scope="session")
def domain_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real flows and responses, with the stand-in actions' reply texts beside them."""
    directory = tmp_path_factory.mktemp("domain")
    for name in ("flows.yml", "responses.yml"):
        shutil.copy(DOMAIN / name, directory / name)
    (directory / "responses_stand_ins.yml").write_text(RESPONSES_YML)
    return directory


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture
def directory() -> Directory:
    return Directory()


@pytest.fixture
def outbox() -> DevOutbox:
    return DevOutbox()


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def domain(domain_dir: Path) -> Domain:
    return load_domain(domain_dir)


@pytest.fixture
def manager(
    domain: Domain, ledger: Ledger, directory: Directory, outbox: DevOutbox, settings: Settings
) -> DialogueManager:
    return make_manager(domain, build_actions(ledger), directory, outbox, settings)


@pytest.fixture
def chat(manager: DialogueManager) -> Chat:
    return Chat(manager)


SANDBOX_API_KEY = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def bank_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real sandbox bank over HTTP, fresh for each test module that asks for it."""
    database = tmp_path_factory.mktemp("bank") / "bank.db"
    url, stop = start_sandbox(f"sqlite+aiosqlite:///{database}", SANDBOX_API_KEY)
    yield url
    stop()


@pytest.fixture
async def bank(bank_url: str) -> AsyncIterator[BankClient]:
    client = BankClient(bank_url, SANDBOX_API_KEY)
    yield client
    await client.aclose()
