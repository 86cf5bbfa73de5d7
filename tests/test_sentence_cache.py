"""The per-Assistant sentence vectors (rag/sentence_cache.py): a sentence's cosine to the
question never depends on which sentences earlier questions had already embedded."""
import numpy as np

from fakes import HashingEmbedder
from rag.sentence_cache import SentenceVectors

SENTENCES = ["The talks took place in Tashkent.", "Rashid Meredov is the minister.",
             "They met on April 2, 2024."]


class PaddingEmbedder(HashingEmbedder):
    """Like torch on a padded batch: a text's vector shifts a little with the batch's size."""

    def __init__(self):
        super().__init__()
        self.batch_invariant = False

    def embed(self, texts):
        vectors = super().embed(texts)
        vectors[:, 0] += 1e-3 * len(texts)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_cosines_are_the_same_whatever_was_embedded_before():
    embedder = PaddingEmbedder()
    question = embedder.embed(["Where did the talks take place?"])[0]
    first = SentenceVectors(embedder).cosines(question, SENTENCES)
    after_others = SentenceVectors(embedder)
    after_others.cosines(question, SENTENCES[1:2])  # an earlier question met one of them
    assert after_others.cosines(question, SENTENCES) == first


def test_a_batch_invariant_embedder_embeds_the_new_sentences_in_one_call():
    embedder = HashingEmbedder()
    cache = SentenceVectors(embedder)
    question = embedder.embed(["Where did the talks take place?"])[0]
    cache.cosines(question, SENTENCES[:1])
    embedder.calls.clear()
    cache.cosines(question, SENTENCES + SENTENCES[:1])
    assert embedder.calls == [SENTENCES[1:]]
