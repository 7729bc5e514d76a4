"""Where the topic changes: TextTiling (Hearst, 1997) over a call's utterances.

The method is nltk's ``TextTilingTokenizer``: pseudo-sentences of ``w`` words,
blocks of ``k`` of them compared on each side of every gap, depth scores of
the smoothed similarity, boundaries where the depth is a local maximum above a
cutoff. nltk's own implementation compares blocks word by word in Python
(12 s on a 6,000-word meeting, and it drops every letter outside a-z), so the
same steps run here on scikit-learn's token counts with numpy, in
milliseconds. Boundaries then snap to the nearest utterance end, and sections
shorter than ``min_words`` are merged into a neighbour, shallowest boundary
first.

The defaults were chosen on the two AMI meetings' human topic boundaries
together (Pk 0.20 and 0.24 against 0.33 and 0.30 for no boundaries at all).
Tuned on one meeting alone, the best parameters do worse than no boundaries
on the other, so those figures are optimistic: two meetings are too few to
tune on, and a team's own calls may want other values
(``benchmarks/knowledge.py`` prints both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer


@dataclass(frozen=True)
class Tiling:
    """TextTiling's parameters: pseudo-sentence and block sizes, smoothing.

    A gap becomes a boundary when its depth is a local maximum above the
    mean depth plus ``cutoff`` standard deviations (Hearst's own cutoff is
    -0.5: more, shorter sections); sections under ``min_words`` are merged.
    """

    w: int = 30
    k: int = 8
    smoothing: int = 0
    min_words: int = 300
    cutoff: float = 1.0


DEFAULT = Tiling()


def topic_boundaries(units: list[str], tiling: Tiling = DEFAULT) -> list[int]:
    """Indexes of the units that start a new section (never 0), in order."""
    tokens, owner = _tokens(units)
    if len(tokens) < tiling.w * 4:
        return []
    counts = _pseudo_sentence_counts(tokens, tiling.w)
    gaps = _smooth(_gap_scores(counts, tiling.k), tiling.smoothing)
    depths = _depth_scores(gaps)
    chosen = _deep_gaps(depths, tiling.cutoff)
    starts: dict[int, float] = {}
    for gap in chosen:
        token = (gap + 1) * tiling.w
        unit = _nearest_unit_start(owner, token)
        if 0 < unit < len(units):
            starts[unit] = max(starts.get(unit, 0.0), float(depths[gap]))
    words = [len(unit.split()) for unit in units]
    return _merge_short(starts, words, tiling.min_words)


def _tokens(units: list[str]) -> tuple[list[str], list[int]]:
    analyse = CountVectorizer(stop_words="english").build_analyzer()
    tokens: list[str] = []
    owner: list[int] = []
    for index, unit in enumerate(units):
        found = analyse(unit)
        tokens.extend(found)
        owner.extend([index] * len(found))
    return tokens, owner


def _pseudo_sentence_counts(tokens: list[str], w: int) -> np.ndarray:
    sentences = [" ".join(tokens[i : i + w]) for i in range(0, len(tokens), w)]
    # The tokens are already analysed: split on spaces only, keep every one.
    vectoriser = CountVectorizer(analyzer=str.split)
    return vectoriser.fit_transform(sentences).toarray().astype(float)


def _gap_scores(counts: np.ndarray, k: int) -> np.ndarray:
    """Cosine similarity of the ``k`` pseudo-sentences either side of each gap."""
    cumulative = np.vstack([np.zeros(counts.shape[1]), np.cumsum(counts, axis=0)])
    n = counts.shape[0]
    scores = np.zeros(n - 1)
    for gap in range(n - 1):
        size = min(k, gap + 1, n - gap - 1)
        left = cumulative[gap + 1] - cumulative[gap + 1 - size]
        right = cumulative[gap + 1 + size] - cumulative[gap + 1]
        norm = np.linalg.norm(left) * np.linalg.norm(right)
        scores[gap] = float(left @ right / norm) if norm else 0.0
    return scores


def _smooth(scores: np.ndarray, width: int) -> np.ndarray:
    if width < 1 or len(scores) <= width:
        return scores
    window = np.ones(width + 1) / (width + 1)
    padded = np.pad(scores, (width // 2, width - width // 2), mode="edge")
    return np.convolve(padded, window, mode="valid")


def _depth_scores(scores: np.ndarray) -> np.ndarray:
    """How far each gap lies below the peaks to its left and right."""
    depths = np.zeros_like(scores)
    for i, score in enumerate(scores):
        left = i
        while left > 0 and scores[left - 1] >= scores[left]:
            left -= 1
        right = i
        while right < len(scores) - 1 and scores[right + 1] >= scores[right]:
            right += 1
        depths[i] = scores[left] + scores[right] - 2 * score
    return depths


def _deep_gaps(depths: np.ndarray, deviations: float) -> list[int]:
    """Local maxima of depth above the mean plus ``deviations`` std."""
    cutoff = depths.mean() + deviations * depths.std()
    chosen = []
    for i, depth in enumerate(depths):
        if depth <= cutoff or depth <= 0:
            continue
        left = depths[i - 1] if i > 0 else -1.0
        right = depths[i + 1] if i + 1 < len(depths) else -1.0
        if depth >= left and depth > right:
            chosen.append(i)
    return chosen


def _nearest_unit_start(owner: list[int], token: int) -> int:
    """The unit boundary closest to a token position."""
    token = min(token, len(owner) - 1)
    unit = owner[token]
    first = token
    while first > 0 and owner[first - 1] == unit:
        first -= 1
    last = token
    while last + 1 < len(owner) and owner[last + 1] == unit:
        last += 1
    # Start this unit anew, or start the next one: whichever boundary is nearer.
    return unit if token - first <= last + 1 - token else owner[last] + 1


def _merge_short(
    starts: dict[int, float], words: list[int], min_words: int
) -> list[int]:
    """Drop the shallowest boundary of any section shorter than ``min_words``."""
    bounds = dict(starts)
    while bounds:
        edges = [0, *sorted(bounds), len(words)]
        sizes = [sum(words[a:b]) for a, b in zip(edges, edges[1:], strict=False)]
        short = [i for i, size in enumerate(sizes) if size < min_words]
        if not short:
            break
        i = min(short, key=lambda j: sizes[j])
        # The section's two boundaries (the first and last have one each).
        candidates = [edges[j] for j in (i, i + 1) if edges[j] in bounds]
        weakest = min(candidates, key=lambda b: bounds[b])
        del bounds[weakest]
    return sorted(bounds)
