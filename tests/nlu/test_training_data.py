from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.training_data import (
    EntitySpan,
    TrainingDataError,
    load_training_data,
    parse_training_yaml,
)

DATA = """\
version: "3.1"
nlu:
- intent: transfer_money
  examples: |
    - send [£50](amount) to [Alice](payee)
    - pay [my main account](account:current) bill
    - give [fifty quid]{"entity": "amount", "value": "50.00"} to [bob]{"entity": "payee"}
    - "quoted example"
- synonym: savings
  examples: |
    - savings account
    - Rainy Day Pot
- lookup: merchant
  examples: |
    - Tesco
    - Pret A Manger
- regex: account_ending
  examples: |
    - ending \\d{4}
"""


def test_reads_every_annotation_form() -> None:
    data = parse_training_yaml(DATA, "t.yml")
    first, second, third, fourth = data.examples
    assert first.text == "send £50 to Alice"
    assert first.entities == (
        EntitySpan("amount", "£50", 5, 8, None),
        EntitySpan("payee", "Alice", 12, 17, None),
    )
    assert second.text == "pay my main account bill"
    assert second.entities == (EntitySpan("account", "my main account", 4, 19, "current"),)
    assert third.text == "give fifty quid to bob"
    assert [(e.entity, e.text, e.value) for e in third.entities] == [
        ("amount", "fifty quid", "50.00"),
        ("payee", "bob", None),
    ]
    assert third.text[third.entities[1].start : third.entities[1].end] == "bob"
    assert fourth.text == "quoted example"
    assert first.source == "t.yml:5"


def test_reads_synonyms_lookups_and_regexes() -> None:
    data = parse_training_yaml(DATA, "t.yml")
    assert data.synonyms["rainy day pot"] == "savings"
    assert data.synonyms["savings account"] == "savings"
    assert data.synonyms["my main account"] == "current"  # from the annotation's value
    assert data.lookups == {"merchant": ["Tesco", "Pret A Manger"]}
    assert data.regexes == {"account_ending": [r"ending \d{4}"]}
    assert data.intents == ["transfer_money"]


def test_reads_every_yml_under_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(DATA)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text("nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    (tmp_path / "notes.txt").write_text("not training data")
    (tmp_path / "domain.yml").write_text("responses:\n  utter_hi: []\n")
    data = load_training_data(tmp_path)
    assert data.intents == ["greet", "transfer_money"]
    assert len(data.examples) == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nlu: [unclosed", "t.yml:1: not valid YAML"),
        ("- just a list", "t.yml:1: top level must be a mapping"),
        ("nlu: {intent: greet}", "t.yml:1: `nlu` must be a list"),
        ("nlu:\n- examples: |\n    - hi\n", "t.yml:2: an item needs exactly one of"),
        ("nlu:\n- intent: greet\n", "t.yml:2: intent 'greet' has no `examples`"),
        ("nlu:\n- intent: greet\n  examples: |\n    # nothing\n", "intent 'greet' has no examples"),
        ("nlu:\n- intent: bad name\n  examples: |\n    - hi\n", "t.yml:2: intent 'bad name'"),
        (
            "nlu:\n- intent: greet\n  examples: |\n    - hi\n    hello\n",
            "t.yml:5: intent 'greet': example lines start with '- '",
        ),
        (
            'nlu:\n- intent: pay\n  examples: |\n    - hi\n    - send [50]{"entity": amount} now\n',
            "t.yml:5: intent 'pay': invalid JSON",
        ),
        (
            'nlu:\n- intent: pay\n  examples: |\n    - send [50]{"value": "5"} now\n',
            "t.yml:4: intent 'pay': annotation",
        ),
        ("nlu:\n- intent: pay\n  examples: |\n    - send [50](bad name)\n", "bad entity name"),
        ("nlu:\n- intent: pay\n  examples: |\n    - send [50](amount\n", "malformed entity"),
        ("nlu:\n- regex: r\n  examples: |\n    - (unclosed\n", "t.yml:4: regex 'r': invalid regex"),
    ],
)
def test_malformed_data_says_where_and_why(text: str, message: str) -> None:
    with pytest.raises(TrainingDataError) as info:
        parse_training_yaml(text, "t.yml")
    assert message in str(info.value)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no such training data"):
        load_training_data(tmp_path / "missing")


def test_files_without_nlu_section_are_ignored() -> None:
    assert parse_training_yaml("version: '3.1'\nresponses: {}\n").examples == []
    assert parse_training_yaml("").examples == []
