"""Console sessions live on the server: signing out, disabling an agent or resetting their
password ends them at once, on every worker, and closes their console's socket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from tests.handoff.conftest import (
    PASSWORD,
    AgentConsole,
    Workers,
    add_agent,
    agents_command,
)

NEW_PASSWORD = "a brand new passphrase"


def stolen(workers: Workers, console: AgentConsole) -> list[httpx.Client]:
    """Someone else's copy of the console's session cookie, on each worker."""
    cookies = {"teller_agent": console.token or ""}
    return [
        httpx.Client(base_url=worker.base_url, cookies=cookies, timeout=30)
        for worker in (workers.a, workers.b)
    ]


def refused_everywhere(clients: list[httpx.Client]) -> bool:
    answers = [client.get("/agent/api/queue") for client in clients]
    return all(
        a.status_code == 401 and a.json()["error"]["code"] == "not_signed_in" for a in answers
    )


def closed_within(socket: ClientConnection, seconds: float) -> int:
    """The close code the server sends within `seconds` (frames before it are skipped)."""
    deadline = time.monotonic() + seconds
    with pytest.raises(ConnectionClosed) as closed:
        while (left := deadline - time.monotonic()) > 0:
            json.loads(socket.recv(timeout=left))
        raise AssertionError("the socket stayed open")
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code


@pytest.fixture(scope="module")
def extra_agents(workers: Workers) -> dict[str, str]:
    for name in ("dana", "eli"):
        done = add_agent(workers, name, PASSWORD)
        assert done.returncode == 0, done.stderr
    return {"dana": "dana", "eli": "eli"}


@pytest.fixture
def signed_in(workers: Workers, extra_agents: Any) -> Iterator[Any]:
    opened: list[AgentConsole] = []

    def open_console(name: str) -> AgentConsole:
        console = AgentConsole(workers.b, name)
        assert console.sign_in().status_code == 200
        opened.append(console)
        return console

    yield open_console
    for console in opened:
        console.http.close()


def test_a_copied_cookie_stops_working_when_its_agent_signs_out(
    workers: Workers, ana: AgentConsole, mongo: Any
) -> None:
    """Issue 10, finding 6 ("sessions outlive their credentials"): signing out only deleted
    the browser's cookie; the token was a stateless 8-hour JWT, so a copy of the cookie
    went on working. Now the session is a record in MongoDB that signing out ends, for
    every worker and for the console's socket too."""
    copies = stolen(workers, ana)
    assert not refused_everywhere(copies)
    sessions = list(mongo["agent_sessions"].find({"agent_id": "ana"}))
    assert sessions and all(s["expires_at"] <= time.time() + 3600 + 5 for s in sessions)
    assert not any(ana.token in json.dumps(s, default=str) for s in sessions)
    with ana.live() as socket:
        assert ana.sign_out().status_code == 200
        assert refused_everywhere(copies)
        assert closed_within(socket, 5) == 4401


def test_disabling_an_agent_ends_their_sessions_until_they_are_enabled(
    workers: Workers, signed_in: Any, mongo: Any
) -> None:
    """Issue 10, finding 6: a disabled agent stayed signed in (nothing re-read the
    `agents` collection), and there was no command to disable one."""
    dana = signed_in("dana")
    copies = stolen(workers, dana)
    with dana.live() as socket:
        done = agents_command(workers, "disable", "dana")
        assert done.returncode == 0, done.stderr
        assert "disabled" in done.stdout
        assert refused_everywhere(copies)
        assert closed_within(socket, 5) == 4401
    again = AgentConsole(workers.a, "dana")
    refused = again.sign_in()
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_disabled"
    listed = agents_command(workers, "list")
    assert listed.returncode == 0
    assert any(
        line.split()[:1] == ["dana"] and "disabled" in line for line in listed.stdout.splitlines()
    )
    assert "$argon2" not in listed.stdout
    assert agents_command(workers, "enable", "dana").returncode == 0
    assert again.sign_in().status_code == 200
    assert refused_everywhere(copies)  # enabling does not bring old sessions back
    audit = list(mongo["agent_events"].find({"agent_id": "dana"}).sort("ts", 1))
    changes = [e for e in audit if e["type"] in {"agent_disabled", "agent_enabled"}]
    assert [e["type"] for e in changes] == ["agent_disabled", "agent_enabled"]
    assert all(e["by"] for e in changes)  # the operator who ran the command
    again.http.close()


def test_resetting_a_password_ends_sessions_and_the_old_password(
    workers: Workers, signed_in: Any, mongo: Any
) -> None:
    """Issue 10, finding 6: there was no way to reset a password, and a stolen session
    would have outlived it anyway."""
    eli = signed_in("eli")
    copies = stolen(workers, eli)
    done = agents_command(
        workers, "reset-password", "eli", "--password-stdin", password=NEW_PASSWORD
    )
    assert done.returncode == 0, done.stderr
    assert refused_everywhere(copies)
    fresh = AgentConsole(workers.a, "eli")
    assert fresh.sign_in(PASSWORD).status_code == 401
    assert fresh.sign_in(NEW_PASSWORD).status_code == 200
    assert mongo["agent_events"].count_documents({"agent_id": "eli", "type": "password_reset"}) == 1
    short = agents_command(workers, "reset-password", "eli", "--password-stdin", password="short")
    assert short.returncode == 2 and "at least 10" in short.stderr
    nobody = agents_command(workers, "disable", "nobody-at-all")
    assert nobody.returncode == 2 and "no agent" in nobody.stderr
    fresh.http.close()
