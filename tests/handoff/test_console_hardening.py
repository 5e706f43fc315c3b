"""The console cannot be framed or run injected script, and a state-changing request from
another site is refused even with the agent's cookie."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Customer
from tests.handoff.conftest import PASSWORD, AgentConsole, Workers

EVIL = "https://evil.example"


def policy(response: httpx.Response) -> dict[str, str]:
    """The Content-Security-Policy, directive by directive."""
    header = response.headers.get("content-security-policy", "")
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


@pytest.mark.parametrize(
    "path", ["/agent", "/agent/assets/console.js", "/agent/api/me", "/agent/api/queue"]
)
def test_the_console_and_its_api_forbid_framing_and_foreign_or_inline_script(
    ana: AgentConsole, path: str
) -> None:
    """Issue 10, finding 10 ("fail closed"): the console had no Content-Security-Policy
    and no frame-ancestors, so another site could frame it (clickjacking a claim or a
    reply) and any injected markup could run script with the agent's session."""
    response = ana.http.get(path)
    assert response.status_code == 200, response.text
    csp = policy(response)
    assert csp.get("default-src") == "'self'"
    assert csp.get("frame-ancestors") == "'none'"
    assert csp.get("object-src") == "'none'" and csp.get("base-uri") == "'none'"
    for directive in ("script-src", "style-src"):
        assert csp.get(directive, csp["default-src"]) == "'self'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("x-content-type-options") == "nosniff"
    signed_out = httpx.get(ana.worker.base_url + path)  # refusals carry them too
    assert signed_out.headers.get("x-frame-options") == "DENY"


def test_the_page_has_no_inline_script_or_style(ana: AgentConsole) -> None:
    page = ana.http.get("/agent").text
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers


def test_a_cross_site_post_without_the_csrf_token_is_refused(
    customer: Customer, ana: AgentConsole, workers: Workers
) -> None:
    """Issue 10, finding 10: the console's POSTs and DELETEs relied on SameSite alone; a
    browser that sends the cookie cross-site (or a same-site subdomain an attacker holds)
    could claim, reply or sign out as the agent. Now each needs the session's anti-forgery
    token in X-CSRF-Token, given at sign-in; without it the answer is 403."""
    assert ana.csrf, "signing in returns the session's csrf_token"
    assert ana.http.get("/agent/api/me").json()["csrf_token"] == ana.csrf  # after a reload
    customer.say("can I speak to a real person please")
    cid = customer.conversation_id
    forged = {"Origin": EVIL, "Content-Type": "application/json"}
    for headers in (forged, {**forged, "X-CSRF-Token": "not-the-token"}):
        for what in ("claim", "note"):
            response = ana.http.post(
                f"/agent/api/conversations/{cid}/{what}", json={"text": "hi"}, headers=headers
            )
            assert response.status_code == 403, (what, response.text)
            assert response.json()["error"]["code"] == "cross_site_request"
        response = ana.http.delete("/agent/api/session", headers=headers)
        assert response.status_code == 403
    assert ana.http.get("/agent/api/me").status_code == 200  # still signed in
    assert ana.conversation(cid)["status"] == "queued"  # nothing was claimed
    assert ana.post(cid, "claim").status_code == 200  # with the token, as the page sends it


def test_a_cross_site_sign_in_is_refused(workers: Workers, agent_names: Any) -> None:
    """A login CSRF: another site signing the browser in to an account of the attacker's."""
    response = httpx.post(
        workers.a.base_url + "/agent/api/session",
        json={"name": "ana", "password": PASSWORD},
        headers={"Origin": EVIL},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cross_site_request"
    assert "set-cookie" not in response.headers
