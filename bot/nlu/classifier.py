"""Intent classifier: TF-IDF word + char n-grams into a multinomial logistic regression.

Logistic regression gives probabilities that mean something (a threshold on them
is a usable fallback rule), trains in seconds on tens of thousands of examples,
and predicts with one sparse dot product, which is a few hundred microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.nlu.features import FeatureConfig, Featurizer
from bot.nlu.types import IntentScore


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    c: float = 20.0  # inverse regularisation strength, chosen by cross-validation on nlu_data
    max_iter: int = 2000

    def to_dict(self) -> dict[str, Any]:
        return {"features": self.features.to_dict(), "c": self.c, "max_iter": self.max_iter}


DEFAULT_CONFIG = ClassifierConfig()


class IntentClassifier:
    def __init__(
        self, featurizer: Featurizer, labels: list[str], weights: np.ndarray, bias: np.ndarray
    ) -> None:
        if weights.shape != (featurizer.size, len(labels)) or bias.shape != (len(labels),):
            raise ValueError("classifier weights do not match its features and labels")
        self.featurizer = featurizer
        self.labels = labels
        self._weights = weights  # (features, intents), row-gathered per parse
        self._bias = bias

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        intents: Sequence[str],
        regexes: dict[str, list[str]],
        config: ClassifierConfig,
    ) -> IntentClassifier:
        if len(set(intents)) < 2:
            raise ValueError("training data needs at least two intents")
        featurizer = Featurizer(config.features, regexes)
        matrix = featurizer.fit_transform(texts)
        model = LogisticRegression(C=config.c, max_iter=config.max_iter, class_weight="balanced")
        model.fit(matrix, list(intents))
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:  # sklearn keeps one row; softmax over [0, w.x + b] is the same
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.r_[0.0, intercept]
        weights = np.ascontiguousarray(coef.T, dtype=np.float32)
        labels = [str(c) for c in model.classes_]
        return cls(featurizer, labels, weights, intercept.astype(np.float32))

    def rank(self, text: str) -> list[IntentScore]:
        """Every intent with its probability, most likely first."""
        idx, values = self.featurizer.transform_one(text)
        scores = self._bias + values @ self._weights[idx] if len(idx) else self._bias.copy()
        scores = np.exp(scores - scores.max())
        probs = scores / scores.sum()
        order = np.argsort(-probs)
        return [IntentScore(self.labels[i], float(probs[i])) for i in order]

    def to_json(self) -> dict[str, Any]:
        return {"labels": self.labels, "featurizer": self.featurizer.to_json()}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self._weights, "bias": self._bias, **self.featurizer.arrays()}

    @classmethod
    def from_saved(cls, raw: dict[str, Any], arrays: dict[str, np.ndarray]) -> IntentClassifier:
        featurizer = Featurizer.from_saved(raw["featurizer"], arrays)
        return cls(featurizer, list(raw["labels"]), arrays["weights"], arrays["bias"])
