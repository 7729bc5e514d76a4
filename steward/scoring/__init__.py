"""Health scores: scorecards, scoring with explanations, and fitting.

Fitting lives in :mod:`steward.scoring.fit` and is not imported here, so that
scoring does not pay scikit-learn's import time.
"""

from steward.scoring.score import (
    FactorChange,
    ScoreChange,
    contributions,
    contributions_by_account,
    explain_change,
    score_frame,
)
from steward.scoring.scorecard import (
    DEFAULT_SCORECARD,
    Factor,
    FitReport,
    Scorecard,
    load_scorecard,
    save_scorecard,
)

__all__ = [
    "DEFAULT_SCORECARD",
    "Factor",
    "FactorChange",
    "FitReport",
    "ScoreChange",
    "Scorecard",
    "contributions",
    "contributions_by_account",
    "explain_change",
    "load_scorecard",
    "save_scorecard",
    "score_frame",
]
