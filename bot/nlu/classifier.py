"""Intent classifier: two multinomial logistic regressions whose logits are mixed.

- lexical: TF-IDF word + char n-grams (what keeps typos, product words and exact
  phrasings close to their intent), one sparse dot product per parse;
- semantic: the sentence vector of all-MiniLM-L6-v2 (`encoder.py`), which knows that
  "my card hasn't come" and "still waiting for the card" mean the same.
The mix is a weighted sum of the two models' logits under one softmax (a product of
experts), so the confidence stays a probability and the fallback threshold still
means something. Each model trains in seconds; the encoder costs a few ms a parse.
On BANKING77 each alone is 2-3 points below the mix (see the README's NLU figures).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.nlu.encoder import SentenceEncoder
from bot.nlu.features import FeatureConfig, Featurizer
from bot.nlu.spelling import Speller
from bot.nlu.types import IntentScore


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    c: float = 20.0  # inverse regularisation strength, chosen by cross-validation on nlu_data
    max_iter: int = 2000
    semantic_c: float = 20.0
    # Share of the semantic model's logits in the mix; chosen on a validation split of
    # BANKING77 train.csv (0.3 / 0.5 / 0.7 scored 92.1 / 92.7 / 92.6%).
    semantic_weight: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": self.features.to_dict(),
            "c": self.c,
            "max_iter": self.max_iter,
            "semantic_c": self.semantic_c,
            "semantic_weight": self.semantic_weight,
        }


DEFAULT_CONFIG = ClassifierConfig()


@dataclass(frozen=True, slots=True)
class _Linear:
    """One trained logistic regression as (features, intents) weights and a bias."""

    weights: np.ndarray
    bias: np.ndarray

    @classmethod
    def fit(cls, matrix: Any, intents: Sequence[str], labels: list[str], **options: Any) -> _Linear:
        model = LogisticRegression(**options).fit(matrix, list(intents))
        if [str(c) for c in model.classes_] != labels:
            raise ValueError("the two intent models disagree on the labels")
        coef, intercept = model.coef_, model.intercept_
        if len(labels) == 2:  # sklearn keeps one row; softmax over [0, w.x + b] is the same
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.r_[0.0, intercept]
        return cls(np.ascontiguousarray(coef.T, dtype=np.float32), intercept.astype(np.float32))


class IntentClassifier:
    def __init__(
        self,
        featurizer: Featurizer,
        encoder: SentenceEncoder,
        labels: list[str],
        lexical: _Linear,
        semantic: _Linear,
        semantic_weight: float,
    ) -> None:
        n = len(labels)
        if lexical.weights.shape != (featurizer.size, n) or lexical.bias.shape != (n,):
            raise ValueError("lexical weights do not match the features and labels")
        if semantic.weights.shape != (encoder.dimensions, n) or semantic.bias.shape != (n,):
            raise ValueError("semantic weights do not match the encoder and labels")
        self.featurizer = featurizer
        self.encoder = encoder
        self.labels = labels
        self._lexical = lexical  # weights row-gathered by the text's feature indices
        self._semantic = semantic
        self.semantic_weight = semantic_weight
        self._speller = Speller(featurizer.word_rarity())

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        intents: Sequence[str],
        regexes: dict[str, list[str]],
        config: ClassifierConfig,
        encoder: SentenceEncoder,
    ) -> IntentClassifier:
        if len(set(intents)) < 2:
            raise ValueError("training data needs at least two intents")
        featurizer = Featurizer(config.features, regexes)
        matrix = featurizer.fit_transform(texts)
        labels = sorted(set(intents))
        lexical = _Linear.fit(
            matrix, intents, labels, C=config.c, max_iter=config.max_iter, class_weight="balanced"
        )
        vectors = encoder.encode(list(texts), workers=os.cpu_count() or 1)
        semantic = _Linear.fit(
            vectors, intents, labels, C=config.semantic_c, max_iter=config.max_iter
        )
        return cls(featurizer, encoder, labels, lexical, semantic, config.semantic_weight)

    def knows_a_word(self, text: str) -> bool:
        """Whether the text has one word (or n-gram) of the training vocabulary, counting
        the words it has once its typos are repaired ("hullo" is "hello")."""
        known = self.featurizer.known_words
        return known(text) > 0 or known(self._speller.correct(text)) > 0

    def rank(self, text: str) -> list[IntentScore]:
        """Every intent with its probability, most likely first."""
        idx, values = self.featurizer.transform_one(text)
        lexical = self._lexical.bias + (values @ self._lexical.weights[idx] if len(idx) else 0.0)
        vector = self.encoder.encode_one(self._speller.correct(text))
        semantic = self._semantic.bias + vector @ self._semantic.weights
        scores = (1 - self.semantic_weight) * lexical + self.semantic_weight * semantic
        scores = np.exp(scores - scores.max())
        probs = scores / scores.sum()
        order = np.argsort(-probs)
        return [IntentScore(self.labels[i], float(probs[i])) for i in order]

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "semantic_weight": self.semantic_weight,
            "featurizer": self.featurizer.to_json(),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "weights": self._lexical.weights,
            "bias": self._lexical.bias,
            "semantic_weights": self._semantic.weights,
            "semantic_bias": self._semantic.bias,
            **self.featurizer.arrays(),
        }

    @classmethod
    def from_saved(
        cls, raw: dict[str, Any], arrays: dict[str, np.ndarray], encoder: SentenceEncoder
    ) -> IntentClassifier:
        return cls(
            Featurizer.from_saved(raw["featurizer"], arrays),
            encoder,
            list(raw["labels"]),
            _Linear(arrays["weights"], arrays["bias"]),
            _Linear(arrays["semantic_weights"], arrays["semantic_bias"]),
            float(raw["semantic_weight"]),
        )
