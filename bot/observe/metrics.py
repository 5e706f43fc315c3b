"""Teller's Prometheus metrics, every name prefixed `teller_`.

The metrics are module-level objects, made once per process; the hot path only increments
or observes a child whose labels were bound before (`Children`), so a turn allocates
nothing here. With several workers (`server.workers` > 1) `server.py` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before the workers start: each process then
keeps its values in memory-mapped files there, and `/metrics` on any worker reads them all
(`render`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Generic, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds: a turn is ~10 ms of parsing and a few store round trips; a bank call is tens of ms.
_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_WAIT = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)
_CLAIM = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)

TURNS = Counter(
    "teller_turns_total",
    "Customer turns by channel and outcome (answered, or why nothing was stored).",
    ["channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "teller_turn_seconds",
    "Time from a turn reaching the engine to its reply, by channel.",
    ["channel"],
    buckets=_FAST,
)
INTENTS = Counter("teller_intents_total", "Parsed intents of customer turns.", ["intent"])
FALLBACKS = Counter(
    "teller_fallbacks_total", "Customer turns the NLU did not understand (nlu_fallback)."
)
HANDOFFS = Counter(
    "teller_handoffs_total",
    "Conversations queued for a person, claimed by an agent, handed back or closed.",
    ["event"],
)
TIME_TO_CLAIM = Histogram(
    "teller_handoff_time_to_claim_seconds",
    "How long a queued conversation waited for an agent to claim it.",
    buckets=_CLAIM,
)
OTP = Counter(
    "teller_otp_codes_total",
    "One-time codes issued, resent, verified, failed (wrong, expired, other operation) and locked.",
    ["event"],
)
NOTIFIER = Counter(
    "teller_notifier_deliveries_total",
    "Attempts to deliver a one-time code, by notifier channel and outcome.",
    ["channel", "outcome"],
)
BANK_SECONDS = Histogram(
    "teller_bank_request_seconds",
    "Bank API calls by operation (the bank port's method), answered or not.",
    ["operation"],
    buckets=_FAST,
)
BANK_ERRORS = Counter(
    "teller_bank_errors_total",
    "Bank API calls that failed, by operation and kind (unavailable, rejected, error).",
    ["operation", "kind"],
)
FLUSH_EVENTS = Histogram(
    "teller_event_store_flush_events",
    "Events written by one event-store flush (one batch to MongoDB).",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
)
FLUSH_SECONDS = Histogram(
    "teller_event_store_flush_seconds", "Time one event-store flush took.", buckets=_FAST
)
FLUSH_FAILURES = Counter(
    "teller_event_store_flush_failures_total", "Event-store flushes that failed."
)
LOCK_WAIT = Histogram(
    "teller_lock_wait_seconds",
    "Time a write waited for its conversation's lock (0 when it was free).",
    buckets=_WAIT,
)
LOCK_TIMEOUTS = Counter(
    "teller_lock_timeouts_total", "Writes that gave up waiting for a conversation's lock."
)

K = TypeVar("K")
C = TypeVar("C")


class Children(Generic[K, C]):
    """The children of one metric by label value, bound once: `get` is a dict lookup.

    At most `limit` distinct values get their own child; the rest share `other`, so a
    label fed from outside (a button payload's intent) cannot grow the series without end.
    """

    def __init__(self, make: Callable[[K], C], other: K, limit: int = 500) -> None:
        self._make = make
        self._children: dict[K, C] = {}
        self._other = other
        self._limit = limit

    def get(self, key: K) -> C:
        child = self._children.get(key)
        if child is None:
            if len(self._children) >= self._limit:
                key = self._other
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = self._make(key)
        return child


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def render() -> bytes:
    """The exposition text: this process's metrics, or every worker's in multiprocess mode."""
    directory = multiprocess_dir()
    if directory is None:
        from prometheus_client import REGISTRY

        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    _multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)
