"""Tokenisation (spaCy's rule-based English tokenizer, no model) and text normalisation.

The classifier sees normalised text so that case, punctuation, emoji and the exact
digits typed ("send 50" vs "send 75") do not change what it has to learn.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.language import Language


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()


@cache
def _nlp() -> Language:
    return spacy.blank("en")


def tokenize(text: str) -> list[Token]:
    """Tokens with character offsets into `text` (whitespace dropped)."""
    return [
        Token(t.text, t.idx, t.idx + len(t.text)) for t in _nlp().make_doc(text) if not t.is_space
    ]


_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^a-z0-9£€$' ]+")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-case, accents and emoji stripped, digit runs mapped to 0, symbols as words."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = _DIGITS.sub("0", folded)
    folded = _NOT_WORD.sub(" ", folded).replace("'", "")
    for symbol in "£€$":
        folded = folded.replace(symbol, f" {symbol} ")
    return _SPACES.sub(" ", folded).strip()
