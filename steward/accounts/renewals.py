"""Renewals: contracts whose term ends soon, and the ARR expected to renew.

A contract is in the renewals view when it runs today and its current term
ends within the window: its end date when it has one, otherwise the term its
billing period gives (see :mod:`steward.accounts.terms` for the date rule).
Each row carries the account's latest health score, churn probability and
expansion readiness, and its renewal risk: the churn probability calibrated
on the team's past renewals by ``steward fit``
(:mod:`steward.scoring.renewal_risk`). The forecast weights each contract's
ARR by the chance it renews, 1 − renewal risk; where the scorecard has no
calibration (too few past renewals), 1 − churn probability, which overstates
what renews where customers leave only at renewal.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from steward.accounts.listing import running_on
from steward.accounts.terms import DAYS_PER_MONTH, ONE_DAY, next_renewals
from steward.auth.permissions import book_of
from steward.config_file import read_mapping
from steward.errors import CoverageInvalid, InputInvalid, ScorecardInvalid
from steward.scoring.renewal_risk import MIN_PER_CLASS, RenewalModel
from steward.scoring.scorecard import load_scorecard
from steward.store.models import Account, Contract, HealthScore, User

BUILT_IN = Path(__file__).with_name("renewals.yaml")
# A renewal contract logged through Steward is named after the first contract
# of its chain: "<first>~<start day>" (see steward.accounts.outcomes).
CHAIN = "~"


class RenewalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    windows: list[int] = Field(default=[30, 60, 90, 180], min_length=1)
    term_months: dict[str, int] = Field(default_factory=dict)
    reason_tags: list[str] = Field(default_factory=list)
    growth_tags: list[str] = Field(default_factory=list)

    def months(self, billing_period: str | None) -> int | None:
        if not billing_period:
            return None
        return self.term_months.get(billing_period.strip().lower())


def load_renewal_settings(path: Path) -> RenewalSettings:
    """Read the renewals file; a missing file means the built-in settings."""
    path = Path(path)
    if not path.exists():
        path = BUILT_IN
    raw = read_mapping(
        path, CoverageInvalid, "renewal settings", RenewalSettings, empty_ok=True
    )
    try:
        settings = RenewalSettings.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise CoverageInvalid(f"{path}: {where}: {first['msg']}") from error
    bad = sorted(k for k, v in settings.term_months.items() if v <= 0)
    if bad or any(days <= 0 for days in settings.windows):
        raise CoverageInvalid(
            f"{path}: windows and term_months must be positive whole numbers"
        )
    settings.term_months = {k.lower(): v for k, v in settings.term_months.items()}
    settings.reason_tags = [tag.strip().lower() for tag in settings.reason_tags]
    settings.growth_tags = [tag.strip().lower() for tag in settings.growth_tags]
    return settings


@dataclass(frozen=True)
class Renewal:
    contract: str
    account: str
    name: str
    csm: str | None
    tier: str | None
    coverage: str | None
    ends_on: dt.date
    days_left: int
    arr: float | None
    billing_period: str | None
    auto_renew: bool | None
    health: float | None
    band: str | None
    churn_probability: float | None
    expansion: float | None
    outcome: str | None
    new_arr: float | None
    # The chance this renewal is lost (steward.scoring.renewal_risk); None
    # where it is the churn probability as it is (no calibration).
    renewal_risk: float | None = None
    # How renewal_risk was found: "calibrated", "per_term" or None.
    risk_basis: str | None = None

    @property
    def risk(self) -> float | None:
        """What the forecast weighs by: renewal risk, else churn probability."""
        return (
            self.churn_probability if self.renewal_risk is None else self.renewal_risk
        )


@dataclass(frozen=True)
class WindowForecast:
    """The renewals ending within ``days``: their ARR and what is expected to stay.

    ``expected_arr`` counts a decided contract at its new ARR (0 when
    churned) and an undecided one at ARR × (1 − its risk, see
    :attr:`Renewal.risk`);
    ``unscored_arr`` is the undecided ARR with no probability, left out of
    ``expected_arr`` rather than guessed.
    """

    days: int
    contracts: int
    arr: float
    decided_arr: float
    scored_arr: float
    expected_arr: float
    unscored_arr: float


def current_day(session: Session) -> dt.date:
    """The day views count from: the latest daily run's, else today (UTC).

    The same day the dashboard's renewals figure uses, so the two agree.
    """
    latest = session.scalar(select(func.max(HealthScore.as_of)))
    return latest or dt.datetime.now(dt.UTC).date()


def upcoming_renewals(
    session: Session,
    settings: RenewalSettings,
    today: dt.date,
    within_days: int,
    *,
    viewer: User | None = None,
    csm: str | None = None,
    models: dict[str, RenewalModel] | None = None,
) -> list[Renewal]:
    """Contracts running today whose term ends within ``within_days``, soonest first.

    ``models`` (scorecard name -> renewal model, see
    :func:`load_renewal_models`) give each row its renewal risk.
    """
    if within_days < 0:
        raise InputInvalid(
            f"within must be 0 or more days, not {within_days}", field="within"
        )
    if csm:
        _check_csm(session, csm)
    until = today + dt.timedelta(days=within_days)
    contracts = _running_contracts(session, today, until, viewer, csm)
    if contracts.empty:
        return []
    contracts["ends_on"] = _term_ends(session, settings, contracts, today)
    due = contracts[contracts["ends_on"].notna()]
    due = due[due["ends_on"] <= pd.Timestamp(until)]
    if due.empty:
        return []
    due = _with_scores(session, due)
    due = due.sort_values(["ends_on", "account", "contract"])
    due["term_days"] = _term_days(due, settings)
    found = models or {}
    return [_renewal(row, today, found) for row in due.itertuples(index=False)]


def load_renewal_models(folder: Path) -> dict[str, RenewalModel]:
    """Each scorecard's horizon and renewal calibration, by scorecard name.

    A scorecard file that does not load gives none here; the daily run and
    ``steward fit`` report what is wrong with it.
    """
    found = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            card = load_scorecard(path)
        except ScorecardInvalid:
            continue
        calibration = card.fit.renewals if card.fit is not None else None
        if calibration is not None and calibration.horizon_days is None:
            update = {"horizon_days": card.horizon_days}
            calibration = calibration.model_copy(update=update)
        found[card.name] = RenewalModel(card.horizon_days, calibration)
    return found


def risk_basis(renewals: list[Renewal], models: dict[str, RenewalModel]) -> str:
    """One sentence saying what the forecast's expected ARR is weighted by."""
    scored = [row for row in renewals if row.churn_probability is not None]
    ways = Counter(row.risk_basis for row in scored)
    learned = [m.calibration for m in models.values() if m.calibration is not None]
    if not ways["calibrated"] and not ways["per_term"]:
        return (
            "Expected = ARR x (1 - churn probability over the health model's "
            "horizon): no renewal calibration yet (steward fit learns one once "
            f"{MIN_PER_CLASS} or more past renewals churned and {MIN_PER_CLASS} "
            "renewed), so read it as an upper bound."
        )
    parts = []
    if ways["calibrated"]:
        on = "; ".join(
            f"{c.observations:,} weekly scores of {c.accounts:,} accounts within "
            f"the horizon before a renewal ({c.churn_rate:.0%} churned, against a "
            f"mean churn probability of {c.mean_probability:.0%})"
            for c in learned
        )
        parts.append(f"calibrated on {on}")
    if ways["per_term"]:
        parts.append(
            f"for {ways['per_term']:,} renewal(s) of a term shorter than the "
            "horizon, the horizon's churn probability spread over the term at a "
            "constant rate"
        )
    sentence = f"Expected = ARR x (1 - renewal risk): {'; '.join(parts)}."
    if ways[None]:
        sentence += (
            f" {ways[None]:,} renewal(s) scored by a scorecard without a "
            "calibration keep their churn probability."
        )
    return sentence


def forecast(renewals: list[Renewal], windows: list[int]) -> list[WindowForecast]:
    """Per window, the renewing ARR and the ARR expected to stay (see the class)."""
    result = []
    for days in sorted(windows):
        rows = [r for r in renewals if r.days_left <= days]
        arr = decided = scored = expected = unscored = 0.0
        for row in rows:
            value = row.arr or 0.0
            arr += value
            if row.outcome is not None:
                kept = 0.0 if row.outcome == "churned" else (row.new_arr or value)
                decided += value
                expected += kept
            elif row.risk is None:
                unscored += value
            else:
                scored += value
                expected += value * (1.0 - row.risk)
        sums = (round(value, 2) for value in (arr, decided, scored, expected))
        result.append(WindowForecast(days, len(rows), *sums, round(unscored, 2)))
    return result


def _running_contracts(
    session: Session,
    today: dt.date,
    until: dt.date,
    viewer: User | None,
    csm: str | None,
) -> pd.DataFrame:
    query: Select = (
        select(
            Contract.id,
            Contract.external_id.label("contract"),
            Contract.account_id,
            Contract.start_date,
            Contract.end_date,
            Contract.arr,
            Contract.billing_period,
            Contract.auto_renew,
            Contract.outcome,
            Contract.new_arr,
            Account.external_id.label("account"),
            Account.name,
            Account.tier,
            Account.coverage,
            User.name.label("csm"),
        )
        .join(Account, Account.id == Contract.account_id)
        .outerjoin(User, User.id == Account.csm_id)
        .where(running_on(today))
        # Open-ended contracts are all read; dated ones only when due.
        .where(Contract.end_date.is_(None) | (Contract.end_date <= until))
    )
    book = book_of(viewer) if viewer is not None else None
    if book is not None:
        query = query.where(Account.csm_id == book)
    if csm:
        query = query.where(
            (func.lower(User.email) == csm.strip().lower()) | (User.name == csm)
        )
    frame = pd.DataFrame(session.execute(query).mappings().all())
    if frame.empty:
        return frame
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _check_csm(session: Session, csm: str) -> None:
    """An unknown CSM is an error, not an empty list that looks like good news."""
    wanted = csm.strip()
    found = session.scalar(
        select(User.id).where(
            (func.lower(User.email) == wanted.lower()) | (User.name == wanted)
        )
    )
    if found is None:
        names = session.scalars(
            select(User.name).where(User.role == "csm").order_by(User.name)
        ).all()
        known = ", ".join(names) if names else "none yet"
        raise InputInvalid(
            f"no user with email or name {wanted!r}; the CSMs are {known}",
            field="csm",
        )


def _term_days(due: pd.DataFrame, settings: RenewalSettings) -> pd.Series:
    """Each contract's term length in days: from its dates, or its billing period."""
    dated = (due["end_date"] - due["start_date"]).dt.days + 1
    months = due["billing_period"].map(settings.months).astype("float64")
    return dated.where(due["end_date"].notna(), months * DAYS_PER_MONTH)


def _term_ends(
    session: Session, settings: RenewalSettings, contracts: pd.DataFrame, today: dt.date
) -> pd.Series:
    """The last day of each contract's current term; NaT when it cannot be told."""
    ends = contracts["end_date"].copy()
    open_ended = ends.isna()
    if open_ended.any():
        rows = contracts[open_ended]
        anchors = _chain_starts(session, rows)
        months = rows["billing_period"].map(settings.months).astype("float64")
        renews = next_renewals(anchors, months, today)
        ends[open_ended] = renews - pd.Timedelta(ONE_DAY)
    return ends


def _chain_starts(session: Session, rows: pd.DataFrame) -> pd.Series:
    """Each contract's first contract start: it anchors the renewal dates."""
    firsts = rows["contract"].str.split(CHAIN, n=1).str[0]
    chained = firsts[firsts != rows["contract"]]
    starts = rows["start_date"].copy()
    if chained.empty:
        return starts
    found = dict(
        session.execute(
            select(Contract.external_id, Contract.start_date).where(
                Contract.external_id.in_(sorted(set(chained)))
            )
        ).all()
    )
    for index, first in chained.items():
        if first in found:
            starts[index] = pd.Timestamp(found[first])
    return starts


def _with_scores(session: Session, due: pd.DataFrame) -> pd.DataFrame:
    ids = sorted(set(due["account_id"].astype(int)))
    scores = _latest(
        session,
        select(
            HealthScore.account_id,
            HealthScore.score.label("health"),
            HealthScore.band,
            HealthScore.churn_probability,
            HealthScore.scorecard,
            HealthScore.expansion,
        ),
        HealthScore,
        ids,
    )
    return due.merge(scores, on="account_id", how="left")


def _latest(
    session: Session, query: Select, table: type, ids: list[int]
) -> pd.DataFrame:
    """The rows of the latest day ``table`` holds for these accounts."""
    day = session.scalar(select(func.max(table.as_of)))
    columns = [c.name for c in query.selected_columns]
    if day is None:
        return pd.DataFrame(columns=columns)
    rows = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows += session.execute(
            query.where(table.as_of == day, table.account_id.in_(chunk))
        ).all()
    return pd.DataFrame(rows, columns=columns)


def _renewal(row: object, today: dt.date, models: dict[str, RenewalModel]) -> Renewal:
    ends_on = row.ends_on.date()
    probability = _number(row.churn_probability)
    model = models.get(_value(row.scorecard))
    risk = way = None
    if probability is not None and model is not None:
        found, how = model.risk(probability, float(row.term_days))
        if how != "horizon":
            risk, way = round(found, 6), how
    return Renewal(
        contract=row.contract,
        account=row.account,
        name=row.name,
        csm=_value(row.csm),
        tier=_value(row.tier),
        coverage=_value(row.coverage),
        ends_on=ends_on,
        days_left=(ends_on - today).days,
        arr=_number(row.arr),
        billing_period=_value(row.billing_period),
        auto_renew=None if pd.isna(row.auto_renew) else bool(row.auto_renew),
        health=_number(row.health),
        band=_value(row.band),
        churn_probability=probability,
        renewal_risk=risk,
        risk_basis=way,
        expansion=_number(row.expansion),
        outcome=_value(row.outcome),
        new_arr=_number(row.new_arr),
    )


def _value(value: object) -> object:
    return (
        None
        if value is None or (not isinstance(value, str) and pd.isna(value))
        else value
    )


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
