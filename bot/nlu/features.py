"""Sparse TF-IDF features for the intent classifier, computed without sklearn at parse time.

Two blocks, each L2-normalised on its own so neither drowns the other:
- words: spaCy tokens of the normalised text, 1..n-grams, plus one pseudo-term per
  training-data regex that matches the raw text (`regex:<name>`);
- chars: character n-grams inside word boundaries (sklearn's `char_wb`), which is
  what keeps typos ("balnce", "tranfser") close to the right intent.
The vocabularies and IDF weights are plain lists and arrays, so a saved model is
JSON plus `.npz` and never needs pickle.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from bot.nlu.text import normalise, tokenize


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)

    def to_dict(self) -> dict[str, Any]:
        return {"word_ngrams": list(self.word_ngrams), "char_ngrams": list(self.char_ngrams)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FeatureConfig:
        return cls(tuple(raw["word_ngrams"]), tuple(raw["char_ngrams"]))


def _word_terms(words: list[str], low: int, high: int) -> list[str]:
    return [
        " ".join(words[i : i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)
    ]


def _char_terms(words: list[str], low: int, high: int) -> list[str]:
    terms: list[str] = []
    for word in words:
        padded = f" {word} "
        for n in range(low, high + 1):
            if n > len(padded):
                break
            terms.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return terms


class _TfidfBlock:
    """One vocabulary with smoothed IDF and sublinear TF, like sklearn's TfidfVectorizer."""

    __slots__ = ("idf", "vocab")

    def __init__(self, vocab: dict[str, int], idf: np.ndarray) -> None:
        self.vocab = vocab
        self.idf = idf

    @classmethod
    def fit(cls, docs: Sequence[list[str]]) -> _TfidfBlock:
        df: Counter[str] = Counter()
        for terms in docs:
            df.update(set(terms))
        vocab = {term: i for i, term in enumerate(sorted(df))}
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocab], dtype=np.float32)
        return cls(vocab, idf)

    def weigh(self, terms: list[str]) -> tuple[list[int], np.ndarray]:
        counts = Counter(i for t in terms if (i := self.vocab.get(t)) is not None)
        if not counts:
            return [], np.zeros(0, dtype=np.float32)
        idx = list(counts)
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(idx))
        values = (1.0 + np.log(tf)) * self.idf[idx]
        return idx, values / np.linalg.norm(values)


class Featurizer:
    def __init__(
        self,
        config: FeatureConfig,
        regexes: dict[str, list[str]],
        words: _TfidfBlock | None = None,
        chars: _TfidfBlock | None = None,
    ) -> None:
        self.config = config
        self.regexes = regexes
        self._patterns = [
            (name, re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE))
            for name, patterns in sorted(regexes.items())
        ]
        self._words = words
        self._chars = chars

    @property
    def size(self) -> int:
        assert self._words is not None and self._chars is not None, "featurizer not fitted"
        return len(self._words.vocab) + len(self._chars.vocab)

    def _terms(self, text: str) -> tuple[list[str], list[str]]:
        words = [t.text for t in tokenize(normalise(text))]
        word_terms = _word_terms(words, *self.config.word_ngrams)
        word_terms.extend(f"regex:{name}" for name, rx in self._patterns if rx.search(text))
        return word_terms, _char_terms(words, *self.config.char_ngrams)

    def fit_transform(self, texts: Sequence[str]) -> csr_matrix:
        terms = [self._terms(t) for t in texts]
        self._words = _TfidfBlock.fit([w for w, _ in terms])
        self._chars = _TfidfBlock.fit([c for _, c in terms])
        rows = [self._weigh(w, c) for w, c in terms]
        indptr = np.cumsum([0] + [len(idx) for idx, _ in rows])
        indices = np.concatenate([np.asarray(idx, dtype=np.int32) for idx, _ in rows])
        data = np.concatenate([values for _, values in rows])
        return csr_matrix((data, indices, indptr), shape=(len(texts), self.size))

    def known_words(self, text: str) -> int:
        """How many of the text's word terms (n-grams, regex hits) the vocabulary knows."""
        assert self._words is not None, "featurizer not fitted"
        return sum(term in self._words.vocab for term in self._terms(text)[0])

    def word_rarity(self) -> dict[str, float]:
        """Every known single word with its IDF (lower is commoner): a speller's dictionary."""
        assert self._words is not None, "featurizer not fitted"
        return {t: float(self._words.idf[i]) for t, i in self._words.vocab.items() if t.isalpha()}

    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, values) of one text: the sparse row, without scipy overhead."""
        idx, values = self._weigh(*self._terms(text))
        return np.asarray(idx, dtype=np.intp), values

    def _weigh(self, word_terms: list[str], char_terms: list[str]) -> tuple[list[int], np.ndarray]:
        assert self._words is not None and self._chars is not None, "featurizer not fitted"
        w_idx, w_val = self._words.weigh(word_terms)
        c_idx, c_val = self._chars.weigh(char_terms)
        offset = len(self._words.vocab)
        return w_idx + [i + offset for i in c_idx], np.concatenate([w_val, c_val])

    # Persistence: vocabularies as term lists (JSON), IDF weights as arrays (.npz).
    def to_json(self) -> dict[str, Any]:
        assert self._words is not None and self._chars is not None, "featurizer not fitted"
        return {
            "config": self.config.to_dict(),
            "regexes": self.regexes,
            "word_vocab": list(self._words.vocab),
            "char_vocab": list(self._chars.vocab),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        assert self._words is not None and self._chars is not None, "featurizer not fitted"
        return {"word_idf": self._words.idf, "char_idf": self._chars.idf}

    @classmethod
    def from_saved(cls, raw: dict[str, Any], arrays: dict[str, np.ndarray]) -> Featurizer:
        def block(terms: list[str], idf: np.ndarray) -> _TfidfBlock:
            if len(terms) != len(idf):
                raise ValueError("saved vocabulary and IDF weights differ in length")
            return _TfidfBlock({t: i for i, t in enumerate(terms)}, idf)

        return cls(
            FeatureConfig.from_dict(raw["config"]),
            raw["regexes"],
            block(raw["word_vocab"], arrays["word_idf"]),
            block(raw["char_vocab"], arrays["char_idf"]),
        )
