"""An account locks after 10 wrong passwords in a row, until an operator enables it again."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.handoff.conftest import (
    PASSWORD,
    AgentConsole,
    Workers,
    add_agent,
    agents_command,
    lock_out,
    next_address,
)


@pytest.fixture(scope="module")
def fay(workers: Workers) -> str:
    done = add_agent(workers, "fay", PASSWORD)
    assert done.returncode == 0, done.stderr
    return "fay"


def sign_in_waiting(workers: Workers, name: str, password: str = PASSWORD) -> Any:
    """Sign in from a new address, sitting out any wait the name still has."""
    while True:
        console = AgentConsole(workers.b, name, ip=next_address())
        response = console.sign_in(password)
        console.http.close()
        if response.status_code != 429:
            return response
        time.sleep(int(response.headers["Retry-After"]) + 0.1)


def test_ten_wrong_passwords_lock_the_account_until_an_operator_enables_it(
    workers: Workers, fay: str, mongo: Any
) -> None:
    """Issue 10, finding 5 ("... and has no limit"): an account was never locked, so a
    patient guesser spread over many addresses and hours could try passwords forever.
    Now the 10th wrong password in a row locks it: even the right password is refused,
    with a message the console shows, until `python -m bot agents enable` (audited)."""
    locked, wrong = lock_out(workers.a, fay)
    assert wrong == 9  # the 10th wrong password is the one that locks
    assert locked.json()["error"]["code"] == "account_locked"
    assert "locked" in locked.json()["error"]["message"]
    refused = sign_in_waiting(workers, fay)
    assert refused.status_code == 403
    assert refused.json() == locked.json()
    [event] = mongo["agent_events"].find({"agent_id": fay, "type": "agent_locked"})
    assert event["failures"] == 10 and event["address"]
    listed = agents_command(workers, "list")
    assert any(
        line.split()[:1] == [fay] and "locked" in line for line in listed.stdout.splitlines()
    )

    enabled = agents_command(workers, "enable", fay)
    assert enabled.returncode == 0, enabled.stderr
    assert "was locked" in enabled.stdout
    assert sign_in_waiting(workers, fay).status_code == 200
    unlocked = mongo["agent_events"].find_one({"agent_id": fay, "type": "agent_enabled"})
    assert unlocked is not None and unlocked["by"] and unlocked["was_locked"]


def test_a_right_password_starts_the_count_again(
    workers: Workers, agent_names: Any, mongo: Any
) -> None:
    """Nine wrong, one right: the count of wrong passwords in a row starts again."""
    done = add_agent(workers, "gil", PASSWORD)
    assert done.returncode == 0, done.stderr
    for _ in range(9):
        assert sign_in_waiting(workers, "gil", "wrong password here").status_code == 401
    assert mongo["agents"].find_one({"_id": "gil"})["failed_sign_ins"] == 9
    assert sign_in_waiting(workers, "gil").status_code == 200
    assert mongo["agents"].find_one({"_id": "gil"})["failed_sign_ins"] == 0
    assert sign_in_waiting(workers, "gil", "wrong password here").status_code == 401
    assert sign_in_waiting(workers, "gil").status_code == 200  # one wrong is not ten


def test_a_name_nobody_has_locks_alike(workers: Workers, fay: str) -> None:
    """Whether a name is an account must not show: an unknown one 'locks' the same way."""
    locked, wrong = lock_out(workers.a, "nobody-here")
    assert wrong == 9
    assert locked.json()["error"]["code"] == "account_locked"
