"""Card numbers are masked whatever their grouping, and only card numbers are (issue 10,
finding 3; the end-to-end replay is tests/channels/test_card_numbers.py)."""

from __future__ import annotations

import pytest

from bot.nlu.entities.cards import find_cards
from bot.nlu.types import Entity, IntentScore, Parse
from bot.redact import has_card_number, mask_card_numbers, mask_parse, mask_value


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("4111 1111 1111 1111", "•••• 1111"),
        ("4111111111111111", "•••• 1111"),
        ("4111-1111-1111-1111", "•••• 1111"),
        ("4111.1111.1111.1111", "•••• 1111"),
        ("4111_1111_1111_1111", "•••• 1111"),
        ("4111 - 1111 - 1111 - 1111", "•••• 1111"),
        ("4111\u00a01111\u00a01111\u00a01111", "•••• 1111"),  # no-break spaces
        ("3782 822463 10005 (amex)", "•••• 0005 (amex)"),  # 15 digits, grouped 4-6-5
        ("6011 0009 9013 9424 5", "•••• 9424 5"),  # a stray digit after it
        ("card 4111 1111 1111 1111 12/27 cvv 123", "card •••• 1111 12/27 cvv 123"),
        ("4111111111111111123", "•••• 1111 123"),  # the security code typed on
        ("5555 5555 5555 4444 and 4111-1111-1111-1111", "•••• 4444 and •••• 1111"),
        ("DE89370400440532013000 4111111111111111", "DE89370400440532013000 •••• 1111"),
    ],
)
def test_card_numbers_are_masked_in_any_grouping(text: str, masked: str) -> None:
    assert mask_card_numbers(text) == masked
    assert has_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # fails the Luhn check
        "send £1,234.50 to Alice",
        "sort code 12-34-56, account 12345678",
        "my code is 123456",
        "pay 100 on 12.03.2026",
        "•••• 1111",  # already masked
        # IBANs, compact or grouped, with right or mistyped check digits, are for paying in
        "DE89370400440532013000",
        "my iban is FR7630006000011234567890189 thanks",
        "fr76 3000 6000 0112 3456 7890 189",
        "DE89370400440532013001",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_card_numbers(text) == text


def test_slot_values_of_any_shape_are_masked() -> None:
    assert mask_value(4111111111111111) == "•••• 1111"
    assert mask_value({"payee": ["4111.1111.1111.1111", 25]}) == {"payee": ["•••• 1111", 25]}
    assert mask_value(None) is None and mask_value(True) is True


def test_a_parse_never_carries_a_card_number_and_never_as_an_amount() -> None:
    pan = "4111111111111111"
    parse = Parse(
        f'/inform{{"payee": "{pan}"}}',
        IntentScore("inform", 1.0),
        entities=(
            Entity("payee", pan, pan, 0, 0),
            Entity("amount", f"{pan}.00", pan, 0, 0),
            Entity("amount", "25.00", "25", 0, 0),
        ),
    )
    masked = mask_parse(parse)
    assert pan not in repr(masked)
    assert [(e.entity, e.value) for e in masked.entities] == [
        ("payee", "•••• 1111"),
        ("amount", "25.00"),
    ]


def test_a_masked_card_number_is_a_card() -> None:
    [found] = find_cards("my card number is •••• 1111")
    assert (found.entity, found.value) == ("card", "ending:1111")
