"""Known phrases of one entity ("Tesco", "food shopping"), found whole-word in any case."""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found


class PhraseFinder:
    """Longest phrase first, so "marks and spencer" wins over "marks"."""

    def __init__(self, entity: str, phrases: dict[str, str]) -> None:
        self._entity = entity
        self._phrases = phrases  # lower-cased phrase -> canonical value
        alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        self._pattern = (
            re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if phrases else None
        )

    def find(self, text: str) -> list[Found]:
        if self._pattern is None:
            return []
        return [
            Found(self._entity, self._phrases[m.group(0).lower()], m.start(), m.end())
            for m in self._pattern.finditer(text)
        ]
