"""Which accounts a day's playbooks could fire for, a column at a time. Pure.

The engine (:mod:`steward.playbooks.engine`) decides account by account, in
Python, on a state built per account: at 100,000 accounts and a dozen
playbooks that is a million trigger tests for a few dozen firings. This
narrows the book first, over the day's frames as whole columns: for each
playbook, the accounts whose trigger can see an occurrence today and whose
conditions can hold. It may keep an account that then does not fire (the
engine has the last word); it never drops one that would, which
``tests/test_playbooks_candidates.py`` checks against the engine on
generated books.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from steward.playbooks import triggers_model as tm
from steward.playbooks.assemble import Inputs, texts, tiers_of
from steward.playbooks.model import Conditions, Playbook, Range
from steward.playbooks.settings import TierRubric
from steward.playbooks.state import Dated, MilestoneFact
from steward.playbooks.triggers import schedule_due


def candidate_ids(
    playbooks: Iterable[Playbook],
    inputs: Inputs,
    rubric: TierRubric,
    as_of: dt.date,
) -> set[int]:
    """Account ids (``inputs.accounts``' index) some playbook may fire for."""
    book = _Book(inputs, rubric, as_of)
    found = np.zeros(len(book.ids), dtype=bool)
    for playbook in playbooks:
        found |= could_fire(playbook.trigger, book, as_of) & could_hold(
            playbook.conditions, book, as_of
        )
    return set(book.ids[found].tolist())


class _Book:
    """The day's frames as aligned columns, one row per account of ``inputs``."""

    def __init__(self, inputs: Inputs, rubric: TierRubric, as_of: dt.date) -> None:
        accounts = inputs.accounts
        self.inputs = inputs
        self.ids = np.asarray([int(key) for key in accounts.index], dtype=np.int64)
        self.accounts = accounts
        self.scores = inputs.scores.reindex(accounts.index)
        self.metrics = inputs.metrics.reindex(accounts.index)
        self.tiers = tiers_of(accounts, rubric)
        self.today = np.datetime64(as_of, "D")
        self._texts: dict[str, list[str | None]] = {}
        self._folded: dict[str, np.ndarray] = {}
        self._days: dict[str, np.ndarray] = {}

    def text(self, name: str) -> list[str | None]:
        """A text column as the states hold it (see ``assemble``)."""
        if name not in self._texts:
            self._texts[name] = self._read_text(name)
        return self._texts[name]

    def _read_text(self, name: str) -> list[str | None]:
        if name == "tier":
            return self.tiers
        frame = self.scores if name in ("band", "previous_band") else self.accounts
        if name not in frame:
            return [None] * len(self.ids)
        values = texts(frame[name])
        if name == "stage":
            return [value or "contract_signed" for value in values]
        return values

    def one_of(self, name: str, allowed: list[str]) -> np.ndarray:
        """Where the text column is one of ``allowed``, ignoring case."""
        if name not in self._folded:
            values = [None if v is None else v.casefold() for v in self.text(name)]
            self._folded[name] = np.array(values, dtype=object)
        return np.isin(self._folded[name], [value.casefold() for value in allowed])

    def number(self, frame: pd.DataFrame, name: str) -> np.ndarray:
        if name not in frame:
            return np.full(len(self.ids), np.nan)
        values = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        return values.to_numpy(na_value=np.nan)

    def days_from_today(self, frame: pd.DataFrame, name: str) -> np.ndarray:
        """Whole days from today to the column's date (NaN where none)."""
        if name not in frame:
            return np.full(len(self.ids), np.nan)
        if name not in self._days:
            days = pd.to_datetime(frame[name].astype(object), errors="coerce")
            values = days.to_numpy(dtype="datetime64[D]")
            gaps = (values - self.today).astype("float64")
            gaps[np.isnat(values)] = np.nan
            self._days[name] = gaps
        return self._days[name]

    def having(self, ids: Iterable[int]) -> np.ndarray:
        return np.isin(self.ids, np.fromiter(ids, dtype=np.int64))


# -- triggers -----------------------------------------------------------------


def could_fire(trigger: tm.Trigger, book: _Book, as_of: dt.date) -> np.ndarray:
    """Accounts for which ``trigger`` may have an occurrence on ``as_of``."""
    kind = trigger.kind
    if kind == "schedule":
        return np.full(len(book.ids), schedule_due(trigger, as_of) is not None)
    if kind == "milestone_overdue":
        return book.having(_overdue(trigger, book.inputs.milestones))
    if kind == "score_crosses":
        return _crosses(trigger, book)
    if kind == "band_changes":
        return _band_changes(trigger, book)
    if kind == "renewal_within":
        days = book.days_from_today(book.accounts, "renewal_on")
        with np.errstate(invalid="ignore"):
            return (days >= 0) & (days <= trigger.days)
    if kind == "nps_detractor":
        return book.having(_detractors(trigger, book.inputs.nps, as_of))
    if kind == "incident":
        return book.having(_recent(book.inputs.incidents, as_of, trigger.within_days))
    if kind == "tag":
        changes = book.inputs.tag_changes
        return book.having(_recent(changes, as_of, trigger.within_days))
    if kind == "onboarding_day":
        since = -book.days_from_today(book.accounts, "started_on") - trigger.day
        with np.errstate(invalid="ignore"):
            return (since >= 0) & (since <= trigger.within_days)
    if kind == "band_held":
        band = np.array(book.text("band"), dtype=object) == trigger.band
        if "band_since" not in book.scores:
            return np.zeros(len(book.ids), dtype=bool)
        return band & book.scores["band_since"].notna().to_numpy()
    return np.ones(len(book.ids), dtype=bool)


def _overdue(
    trigger: tm.MilestoneOverdue, milestones: Mapping[int, tuple[MilestoneFact, ...]]
) -> list[int]:
    """Accounts with a milestone still unreached and late by more than the limit."""
    limit = trigger.more_than_business_days
    wanted = set(trigger.milestones or [])
    return [
        account_id
        for account_id, facts in milestones.items()
        if any(
            fact.status != "not_measured"
            and fact.overdue_business_days > limit
            and fact.achieved_on is None
            and (trigger.journey is None or fact.journey == trigger.journey)
            and (not wanted or fact.key in wanted)
            for fact in facts
        )
    ]


def _crosses(trigger: tm.ScoreCrosses, book: _Book) -> np.ndarray:
    name = "health" if trigger.score == "health" else "expansion"
    now = book.number(book.scores, name)
    before = book.number(book.scores, f"previous_{name}")
    with np.errstate(invalid="ignore"):
        if trigger.below is not None:
            return (before >= trigger.below) & (trigger.below > now)
        threshold = trigger.at_least or 0.0
        return (before < threshold) & (threshold <= now)


def _band_changes(trigger: tm.BandChanges, book: _Book) -> np.ndarray:
    now = pd.Series(book.text("band"), dtype=object)
    before = pd.Series(book.text("previous_band"), dtype=object)
    found = (now.notna() & before.notna() & (now != before)).to_numpy()
    if trigger.to:
        found = found & now.isin(trigger.to).to_numpy()
    if trigger.from_:
        found = found & before.isin(trigger.from_).to_numpy()
    return found


def _detractors(
    trigger: tm.NpsDetractor, nps: Mapping[int, tuple[Dated, ...]], as_of: dt.date
) -> list[int]:
    return [
        account_id
        for account_id, answers in nps.items()
        if any(
            answer.value is not None
            and answer.value <= trigger.at_most
            and 0 <= (as_of - answer.on).days <= trigger.within_days
            for answer in answers
        )
    ]


def _recent(
    dated: Mapping[int, tuple[Dated, ...]], as_of: dt.date, within_days: int
) -> list[int]:
    return [
        account_id
        for account_id, items in dated.items()
        if any(0 <= (as_of - item.on).days <= within_days for item in items)
    ]


# -- conditions ---------------------------------------------------------------

_TEXT = ("tier", "coverage", "segment", "stage", "industry", "country", "band")


def could_hold(conditions: Conditions, book: _Book, as_of: dt.date) -> np.ndarray:
    """Accounts meeting every condition :func:`failed_condition` checks."""
    found = np.ones(len(book.ids), dtype=bool)
    for name in _TEXT:
        allowed = getattr(conditions, name)
        if allowed is not None:
            found &= book.one_of(name, allowed)
    for name, frame in (
        ("arr", book.accounts),
        ("health", book.scores),
        ("expansion", book.scores),
    ):
        bounds = getattr(conditions, name)
        if bounds is not None:
            found &= in_range(bounds, book.number(frame, name))
    if conditions.tags is not None:
        found &= _tags(conditions, book)
    if conditions.renewal_within_days is not None:
        days = book.days_from_today(book.accounts, "renewal_on")
        with np.errstate(invalid="ignore"):
            found &= (days >= 0) & (days <= conditions.renewal_within_days)
    for metric, bounds in (conditions.metrics or {}).items():
        found &= in_range(bounds, book.number(book.metrics, metric))
    return found


def in_range(bounds: Range, values: np.ndarray) -> np.ndarray:
    """:func:`steward.playbooks.conditions.in_range` of a whole column."""
    with np.errstate(invalid="ignore"):
        found = ~np.isnan(values)
        if bounds.min is not None:
            found &= values >= bounds.min
        if bounds.max is not None:
            found &= values <= bounds.max
        if bounds.above is not None:
            found &= values > bounds.above
        if bounds.below is not None:
            found &= values < bounds.below
    return found


def _tags(conditions: Conditions, book: _Book) -> np.ndarray:
    rule = conditions.tags
    assert rule is not None
    has = {tag.casefold() for tag in rule.has}
    lacks = {tag.casefold() for tag in rule.lacks}
    # An account with no tags passes only a rule that asks for none.
    found = np.full(len(book.ids), not has)
    tagged = {key: tags for key, tags in book.inputs.tags.items() if tags}
    positions = pd.Index(book.ids).get_indexer(list(tagged))
    for position, tags in zip(positions.tolist(), tagged.values(), strict=True):
        if position >= 0:
            present = {tag.casefold() for tag in tags}
            found[position] = has <= present and not (lacks & present)
    return found
