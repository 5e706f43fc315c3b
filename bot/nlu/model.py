"""The trained NLU model: parse text, persist without pickle, retrain when data changes.

A model lives in `<model_dir>/<fingerprint>/`, where the fingerprint hashes every
training file, the pipeline configuration and the encoder weights' package version, so
a stale model is never loaded and an up-to-date one is never rebuilt. Files:
`model.json` (labels, vocabularies, lexicon, metadata), `arrays.npz` (weights; loaded
with allow_pickle=False), and the sentence encoder's `encoder.onnx` and
`tokenizer.json`, so a saved model runs without the weights package.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import NluSettings
from bot.nlu import encoder as sentence_encoder
from bot.nlu.classifier import DEFAULT_CONFIG, ClassifierConfig, IntentClassifier
from bot.nlu.entities import EntityExtractor, Lexicon
from bot.nlu.later import when_it_goes
from bot.nlu.training_data import TrainingData, load_training_data, training_files
from bot.nlu.types import FALLBACK_INTENT, IntentScore, Parse
from bot.redact import mask_card_numbers

FORMAT_VERSION = 3  # 2: the semantic model and its encoder; 3: its graph takes no mask
RANKING_SIZE = 5
_MODEL_JSON = "model.json"
_ARRAYS = "arrays.npz"


class ModelError(RuntimeError):
    """A saved model that is missing, corrupt or from an incompatible version."""


@dataclass(frozen=True, slots=True)
class TrainingReport:
    examples: int
    intents: int
    seconds: float


class NluModel:
    def __init__(
        self,
        classifier: IntentClassifier,
        extractor: EntityExtractor,
        fallback_threshold: float,
        fingerprint: str = "",
    ) -> None:
        self.classifier = classifier
        self.extractor = extractor
        self.fallback_threshold = fallback_threshold
        self.fingerprint = fingerprint
        self.report: TrainingReport | None = None

    @classmethod
    def train(
        cls,
        data: TrainingData,
        fallback_threshold: float,
        config: ClassifierConfig = DEFAULT_CONFIG,
        fingerprint: str = "",
    ) -> NluModel:
        started = time.perf_counter()
        classifier = IntentClassifier.train(
            [e.text for e in data.examples],
            [e.intent for e in data.examples],
            data.regexes,
            config,
            sentence_encoder.SentenceEncoder.exported(),
        )
        model = cls(
            classifier,
            EntityExtractor(Lexicon.from_training(data)),
            fallback_threshold,
            fingerprint,
        )
        model.report = TrainingReport(
            len(data.examples), len(classifier.labels), time.perf_counter() - started
        )
        return model

    def parse(self, text: str, today: date | None = None) -> Parse:
        """Intent (or `nlu_fallback` below the threshold, ranking kept) and entities.

        A card number is masked before anything reads the text, so it is never an amount
        and never comes back in the parse: "•••• 1111" is a card entity, "ending:1111"."""
        text = mask_card_numbers(text)
        ranking = tuple(self.classifier.rank(text)[:RANKING_SIZE])
        top = ranking[0]
        understood = top.confidence >= self.fallback_threshold
        # Not one known word ("flibber jabber"): whatever class the bias favours, it is
        # not understanding, so the dialogue's clarify-then-handoff fallback applies.
        understood = understood and self.classifier.knows_a_word(text)
        intent = top if understood else IntentScore(FALLBACK_INTENT, top.confidence)
        today = today or date.today()
        entities = self.extractor.extract(text, today)
        return Parse(text, when_it_goes(intent, entities, today, ranking), ranking, entities)

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "classifier": self.classifier.to_json(),
            "lexicon": self.extractor.lexicon.to_json(),
        }
        (directory / _MODEL_JSON).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        np.savez(directory / _ARRAYS, **self.classifier.arrays())
        self.classifier.encoder.save(directory)

    @classmethod
    def load(cls, directory: str | Path, fallback_threshold: float) -> NluModel:
        directory = Path(directory)
        try:
            meta = json.loads((directory / _MODEL_JSON).read_text(encoding="utf-8"))
            with np.load(directory / _ARRAYS, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            if meta.get("format") != FORMAT_VERSION:
                raise ModelError(
                    f"{directory}: model format {meta.get('format')} is not {FORMAT_VERSION}"
                )
            encoder = sentence_encoder.SentenceEncoder(directory)
            classifier = IntentClassifier.from_saved(meta["classifier"], arrays, encoder)
            lexicon = Lexicon.from_json(meta["lexicon"])
        except (OSError, ValueError, KeyError, TypeError, sentence_encoder.EncoderError) as exc:
            raise ModelError(f"{directory}: cannot load NLU model: {exc}") from exc
        return cls(classifier, EntityExtractor(lexicon), fallback_threshold, meta["fingerprint"])


def fingerprint(data_path: Path, config: ClassifierConfig = DEFAULT_CONFIG) -> str:
    """Hash of the training files (names and bytes), the pipeline config, the format and
    the encoder weights' package version."""
    digest = hashlib.sha256()
    settings: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "classifier": config.to_dict(),
        "encoder": sentence_encoder.weights_identity(),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    root = data_path if data_path.is_dir() else data_path.parent
    for file in training_files(data_path):
        digest.update(str(file.relative_to(root)).encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def load_or_train(settings: NluSettings, config: ClassifierConfig = DEFAULT_CONFIG) -> NluModel:
    """Load the model for the current data and config, training and saving it if missing."""
    key = fingerprint(settings.data, config)
    target = settings.model_dir / key
    if (target / _MODEL_JSON).exists():
        try:
            return NluModel.load(target, settings.fallback_threshold)
        except ModelError:
            shutil.rmtree(target, ignore_errors=True)  # half-written or corrupt: rebuild it
    model = NluModel.train(
        load_training_data(settings.data), settings.fallback_threshold, config, key
    )
    _save_atomically(model, settings.model_dir, key)
    # Serve what was saved, so a model that cannot be loaded fails here, not at the next start.
    served = NluModel.load(target, settings.fallback_threshold)
    served.report = model.report
    return served


def _save_atomically(model: NluModel, model_dir: Path, key: str) -> None:
    """Write into a temporary sibling and rename, so a reader never sees half a model."""
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=model_dir))
    model.save(staging)
    try:
        os.replace(staging, model_dir / key)
    except OSError:  # another process saved the same model first
        shutil.rmtree(staging, ignore_errors=True)
        return
    for old in model_dir.iterdir():
        if old.name != key and (old / _MODEL_JSON).exists():
            shutil.rmtree(old, ignore_errors=True)
