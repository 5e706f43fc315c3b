"""Rich messages keep their shape through storage: what a channel reads back from an event
is what the action made (JSON and BSON have lists where the shapes hold tuples)."""

import json

import bson
import pytest

from bot.messages import (
    BotMessage,
    Button,
    File,
    Image,
    Place,
    Places,
    SummaryCard,
    Table,
)

ATTACHMENTS = [
    SummaryCard("Current account", ("Sort code 12-34-56", "Available £1,020.00"), "£1,234.56"),
    Table("Last transactions", ("Date", "Description", "Amount"), (("2 Nov", "Tesco", "-£3.20"),)),
    Image("https://teller.example/c/1.png", "Spending by category in November", 640, 360),
    File("https://teller.example/s/1", "statement-2026-11.pdf", "application/pdf", 18211, 1.7e9),
    Places((Place("ATM, High St", "1 High St", "0.2 miles", "https://maps/x", True, ("24h",)),)),
]


@pytest.mark.parametrize("attachment", ATTACHMENTS, ids=lambda a: a.kind)
def test_a_rich_message_reads_back_as_it_was_made(attachment):
    message = BotMessage("Here it is.", (Button("More", "/more"),), attachment)
    stored = bson.decode(bson.encode(json.loads(json.dumps(message.to_dict()))))
    assert BotMessage.from_dict(stored) == message


def test_a_plain_message_stores_no_attachment():
    assert "attachment" not in BotMessage("Hello").to_dict()
