"""Each worker checks agents' passwords on a thread of its own, with a bounded queue."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.config import HandoffSettings
from bot.handoff.agents import MAX_WAITING_CHECKS, Agents, SessionsEnded
from bot.handoff.limits import SignInLimits, SignInPolicy, SignInRefused
from bot.store.memory import MemoryAgentStore, MemoryCounters


async def test_beyond_the_waiting_checks_a_sign_in_is_refused_at_once() -> None:
    """Issue 10, finding 5: a flood of sign-ins may not queue without end behind the one
    hashing thread; past MAX_WAITING_CHECKS waiting, the answer is `sign_in_busy` at once,
    and the event loop stays free while the checks run."""
    release = threading.Event()
    hashing = ThreadPoolExecutor(max_workers=1)
    hashing.submit(release.wait)  # the hashing thread is busy until released
    limits = SignInLimits(MemoryCounters(), SignInPolicy.from_settings(HandoffSettings()))
    agents = Agents(
        MemoryAgentStore(), ended=SessionsEnded(None, "t"), hashing=hashing, limits=limits
    )
    try:
        waiting = [
            asyncio.create_task(agents.sign_in(f"guess-{n}", "wrong", f"192.0.2.{n + 1}"))
            for n in range(MAX_WAITING_CHECKS)
        ]
        await asyncio.sleep(0.05)
        with pytest.raises(SignInRefused) as refused:
            await asyncio.wait_for(agents.sign_in("one-more", "wrong", "192.0.2.200"), 1)
        assert (refused.value.status, refused.value.code) == (429, "sign_in_busy")
        assert not any(task.done() for task in waiting)
        release.set()
        assert await asyncio.gather(*waiting) == [None] * MAX_WAITING_CHECKS
    finally:
        release.set()
        hashing.shutdown(wait=True)
