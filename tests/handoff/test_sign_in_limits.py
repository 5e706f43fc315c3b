"""Sign-in limits: wrong passwords slow down further tries per name and per client address,
counted in Redis so every worker keeps the same count."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.handoff.conftest import PASSWORD, AgentConsole, Workers, add_agent
from tests.support.process import ServerProcess

WRONG = "not the password at all"


def documentation_ip(n: int) -> str:
    """Client addresses for the tests, only ever sent as X-Forwarded-For values."""
    return f"198.51.100.{n}"


@pytest.fixture(scope="module")
def carl(workers: Workers) -> str:
    done = add_agent(workers, "carl", PASSWORD)
    assert done.returncode == 0, done.stderr
    return "carl"


@pytest.fixture
def consoles(workers: Workers) -> Iterator[list[AgentConsole]]:
    opened: list[AgentConsole] = []
    yield opened
    for console in opened:
        console.http.close()


def attempt(
    consoles: list[AgentConsole], worker: ServerProcess, name: str, ip: str, password: str
) -> httpx.Response:
    console = AgentConsole(worker, name, ip=ip)
    consoles.append(console)
    return console.sign_in(password)


def test_wrong_passwords_for_one_name_make_every_further_try_wait(
    workers: Workers, carl: str, consoles: list[AgentConsole]
) -> None:
    """Issue 10, finding 5 ("... and has no limit"): any number of guesses at one agent's
    password were checked, from one address or many. After 3 wrong passwords for a name,
    each further one makes the next try of that name wait (1 s, doubling), on every worker
    and from every address, before any password is checked; a right password then resets it."""
    for n, worker in enumerate([workers.a, workers.b, workers.a, workers.b], start=10):
        assert attempt(consoles, worker, carl, documentation_ip(n), WRONG).status_code == 401
    waiting = attempt(consoles, workers.a, carl, documentation_ip(20), PASSWORD)
    assert waiting.status_code == 429, waiting.text
    assert waiting.json()["error"]["code"] == "sign_in_wait"
    retry_after = int(waiting.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    assert "try again" in waiting.json()["error"]["message"]
    assert attempt(consoles, workers.b, carl, documentation_ip(21), PASSWORD).status_code == 429
    time.sleep(retry_after + 0.2)
    assert attempt(consoles, workers.b, carl, documentation_ip(22), PASSWORD).status_code == 200
    # Signed in: the name's count starts again.
    assert attempt(consoles, workers.a, carl, documentation_ip(23), WRONG).status_code == 401
    assert attempt(consoles, workers.a, carl, documentation_ip(24), PASSWORD).status_code == 200


def test_wrong_passwords_from_one_address_make_its_next_try_wait_whatever_the_name(
    workers: Workers, agent_names: tuple[str, str], consoles: list[AgentConsole]
) -> None:
    """Issue 10, finding 5: one address could try names and passwords without end. After
    10 wrong sign-ins from an address (whatever the names), each further one makes that
    address wait before its next try; other addresses are not held up."""
    guesser, colleague = documentation_ip(30), documentation_ip(31)
    for n in range(11):
        worker = workers.a if n % 2 else workers.b
        assert attempt(consoles, worker, f"guess-{n}", guesser, WRONG).status_code == 401
    waiting = attempt(consoles, workers.a, "ana", guesser, PASSWORD)
    assert waiting.status_code == 429, waiting.text
    assert waiting.json()["error"]["code"] == "sign_in_wait"
    assert attempt(consoles, workers.a, "ana", colleague, PASSWORD).status_code == 200
    time.sleep(int(waiting.headers["Retry-After"]) + 0.2)
    assert attempt(consoles, workers.b, "ana", guesser, PASSWORD).status_code == 200
