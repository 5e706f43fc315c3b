"""Hypothesis strategies for hostile input: any JSON, and JSON shaped like a real message
where any part may be something else (a string for an object, a list for a string, a
missing key), so generation reaches the deep fields a parser reads."""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

# Deterministic (the same examples every run, no example database) and bounded, so the
# fuzz tests take seconds in `make test`.
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
JSON: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def like(template: Any, shaped: int = 3) -> st.SearchStrategy[Any]:
    """Values shaped like `template` `shaped` times in `shaped + 1`, anything JSON otherwise.

    A dict's keys are each present or not; a one-item list stands for lists of its item;
    a strategy is itself; anything else is that value.
    """
    if isinstance(template, dict):
        strategy = fields_like(template, shaped)
    elif isinstance(template, list):
        strategy = st.lists(like(template[0], shaped), max_size=3)
    elif isinstance(template, st.SearchStrategy):
        strategy = template
    else:
        strategy = st.just(template)
    return st.one_of(*[strategy] * shaped, JSON)


def fields_like(template: dict[str, Any], shaped: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with each of `template`'s keys or not, each value `like` its template. With
    `shaped=1` every field is something else half the time: for the fields a parser reads
    (deep envelopes go right more often, or generation never gets that far)."""
    return st.fixed_dictionaries({}, optional={k: like(v, shaped) for k, v in template.items()})
