"""Typo repair for what the sentence encoder reads.

The encoder's word pieces break a misspelt word apart ("balnce" -> "bal", "##nce"), so
its vector drifts; the lexical model's character n-grams do not need this. So the
encoder reads the message with each unknown word of four or more letters replaced by
the commonest training word within one edit (two for words of eight letters or more;
a swap of neighbours counts as one), and emoji dropped. Training text is known by
definition and passes unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_CACHE_SIZE = 50_000


class Speller:
    def __init__(self, rarity: Mapping[str, float]) -> None:
        """`rarity`: every known lower-case word with its IDF (lower is commoner)."""
        self._rarity = rarity
        self._words = list(rarity)
        self._fixes: dict[str, str | None] = {}

    def correct(self, text: str) -> str:
        text = "".join(" " if unicodedata.category(c) == "So" else c for c in text)
        return _WORD.sub(lambda m: self._fix(m.group()), text)

    def _fix(self, word: str) -> str:
        lower = word.lower().replace("’", "'")
        # Contractions are known without their apostrophe ("hasnt"), and left alone if not.
        if len(lower) < 4 or "'" in lower or lower in self._rarity:
            return word
        fixed = self._fixes.get(lower, "")  # "": not looked up yet; None: nothing close
        if fixed == "":
            limit = 2 if len(lower) >= 8 else 1
            candidates = process.extract(
                lower, self._words, scorer=OSA.distance, score_cutoff=limit, limit=8
            )
            best = min(candidates, key=lambda c: (c[1], self._rarity[c[0]]), default=None)
            fixed = best[0] if best else None
            if len(self._fixes) >= _CACHE_SIZE:
                self._fixes.clear()
            self._fixes[lower] = fixed
        return fixed or word
