"""A number that may be a PIN, in a message that talks about one, is masked like a code."""

from __future__ import annotations

import pytest

from bot.redact import mask_pins


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("my pin is 4821", "my pin is ••••"),
        ("PIN 123456 doesn't work", "PIN •••••• doesn't work"),
        ("my p.i.n. is 0000 and its blocked", "my p.i.n. is •••• and its blocked"),
        ("pin number 4821, card ending 4417", "pin number ••••, card ending 4417"),
        ("my pin is blocked on the card ending 9014", "my pin is blocked on the card ending 9014"),
        ("I forgot my PIN", "I forgot my PIN"),
        ("send 4821 to Alice", "send 4821 to Alice"),  # no PIN named: left for the parse
        ("spinning class 2026", "spinning class 2026"),  # "pin" inside a word is not a PIN
    ],
)
def test_pin_like_numbers_are_masked_only_beside_a_pin(said: str, kept: str) -> None:
    assert mask_pins(said) == kept
