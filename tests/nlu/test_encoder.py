"""The sentence encoder as the trained model runs it: int8 MiniLM in onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.encoder import MAX_TOKENS, SentenceEncoder
from bot.nlu.model import NluModel


@pytest.fixture(scope="module")
def encoder(model: NluModel) -> SentenceEncoder:
    return model.classifier.encoder


def test_paraphrases_are_closer_than_different_requests(encoder: SentenceEncoder) -> None:
    waiting, paraphrase, other = encoder.encode(
        [
            "my new card still hasn't arrived",
            "I'm still waiting for the card you sent me",
            "how do I change my PIN",
        ]
    )
    assert waiting @ paraphrase > waiting @ other + 0.2


def test_a_vector_does_not_depend_on_its_batch(encoder: SentenceEncoder) -> None:
    """Training encodes many texts across threads; each must get the vector its parse gets."""
    texts = ["hi", "what is the exchange rate for dollars to euros today please", "lost card"]
    batched = encoder.encode(texts, workers=2)
    alone = np.stack([encoder.encode_one(t) for t in texts])
    assert np.allclose(batched, alone, atol=1e-4)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_long_and_empty_messages_encode(encoder: SentenceEncoder) -> None:
    long = "please help me with my card " * 200  # far past MAX_TOKENS
    assert len(long.split()) > MAX_TOKENS
    for text in (long, "", "🙂"):
        vector = encoder.encode_one(text)
        assert vector.shape == (encoder.dimensions,) and np.isfinite(vector).all()
