"""The playbooks step of the daily run: states → firings → effects, in one transaction.

Runs between milestones and tasks. Everything it writes (playbook runs,
tasks, outbox messages, tags, stages, enrolments) is in the daily run's
session, so it commits with the day or not at all; the outbox is delivered
after the commit (:mod:`steward.notify.deliver`). The day's expansion
readiness goes back to the run, which keeps it with the health scores.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
from jinja2 import TemplateError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from steward.errors import PlaybookInvalid
from steward.jobs import playbook_inputs as reads
from steward.jobs.effects import Applying, apply_firing
from steward.journeys.journey import load_journey
from steward.metrics.catalogue import CATALOGUE, day_number
from steward.metrics.facts import AccountFacts, plain_rows
from steward.notify.responses import unsubscribe_link
from steward.notify.sequences import advance, load_sequences
from steward.notify.templates import EmailTemplates
from steward.playbooks.assemble import Inputs, assemble
from steward.playbooks.candidates import candidate_ids
from steward.playbooks.engine import Tools, evaluate
from steward.playbooks.model import Playbook, load_playbook, playbook_paths
from steward.playbooks.settings import AutomationSettings, load_automation_settings
from steward.scoring import expansion as readiness
from steward.store.automation import EmailEvent, PlaybookRun, SequenceEnrolment
from steward.store.models import HealthScore
from steward.workspace import Workspace

log = logging.getLogger(__name__)

# Dated things (NPS answers, incidents, tag changes) are read this far back at
# least; a trigger's own within_days may ask for more.
LOOKBACK_DAYS = 31


@dataclass
class Day:
    """The daily run's results the playbooks read."""

    as_of: dt.date
    facts: AccountFacts
    live: pd.DataFrame
    scores: pd.DataFrame
    # The journey step's milestone_states rows, as columns.
    journey_states: dict[str, list[Any]]
    con: ibis.BaseBackend
    events: ibis.Table


@dataclass
class PlaybookOutcome:
    fired: dict[str, int] = field(default_factory=dict)
    tasks: int = 0
    messages: int = 0
    sequence_emails: int = 0
    stage_moves: int = 0
    notes: list[str] = field(default_factory=list)
    # Expansion readiness by account database id: ``score``, and per
    # component ``points.<key>`` and ``value.<key>``.
    expansion: pd.DataFrame | None = None

    @property
    def total_fired(self) -> int:
        return sum(self.fired.values())


def load_playbooks(
    workspace: Workspace, only: Collection[str] | None = None
) -> tuple[list[Playbook], list[str]]:
    """Enabled playbooks of the config folder, and a note for each bad file."""
    playbooks, notes = [], []
    for path in playbook_paths(workspace.playbooks_dir):
        try:
            playbook = load_playbook(path)
        except PlaybookInvalid as error:
            notes.append(f"playbook file skipped: {error}")
            continue
        if playbook.enabled and (only is None or playbook.name in only):
            playbooks.append(playbook)
    return playbooks, notes


def load_expansion(workspace: Workspace) -> readiness.ExpansionConfig:
    path = workspace.expansion_path()
    return readiness.load_expansion_config(
        path if path.exists() else readiness.BUILT_IN
    )


def playbook_step(
    session: Session,
    workspace: Workspace,
    day: Day,
    *,
    only: Collection[str] | None = None,
) -> PlaybookOutcome:
    """Score expansion readiness, fire the playbooks, advance email sequences."""
    outcome = PlaybookOutcome()
    playbooks, outcome.notes = load_playbooks(workspace, only)
    automation = load_automation_settings(workspace.automation_path())
    expansion = load_expansion(workspace)
    reads.observe_tag_changes(session, day.as_of, "daily-run")

    inputs, outcome.expansion = _inputs(
        session, workspace, day, playbooks, automation, expansion
    )
    # Only the accounts some playbook may fire for, or a sequence is running
    # on, get a state: the engine decides account by account.
    wanted = candidate_ids(playbooks, inputs, automation.tiers, day.as_of)
    states = assemble(inputs, automation.tiers, only=wanted | _enrolled(session))
    emails = EmailTemplates(workspace.emails_dir)
    tools = Tools(emails, unsubscribe_link(workspace.settings))
    work = Applying(
        day.as_of,
        load_sequences(workspace.sequences_dir),
        _unsubscribed(session),
    )
    for playbook in playbooks:
        try:
            firings = evaluate(playbook, states, day.as_of, _known(session), tools)
        except (TemplateError, PlaybookInvalid) as error:
            outcome.notes.append(f"playbook {playbook.name} skipped: {error}")
            continue
        for firing in firings:
            apply_firing(session, firing, work)
        outcome.fired[playbook.name] = len(firings)
        if firings:
            log.info(
                "playbook.fired playbook=%s as_of=%s runs=%s",
                playbook.name,
                day.as_of,
                len(firings),
            )

    by_id = {state.id: state for state in states}
    report = advance(
        session, work.sequences, by_id, day.as_of, emails, tools.unsubscribe_url
    )
    outcome.tasks, outcome.messages = work.tasks, work.messages + report.emails
    outcome.sequence_emails = report.emails
    outcome.stage_moves = len(work.stage_moves)
    _share_stage_moves(day.facts, work.stage_moves)
    return outcome


def _share_stage_moves(facts: AccountFacts, moves: dict[int, str]) -> None:
    # The snapshot step applies the lifecycle rules to the stages it was
    # given; it must see the stages playbooks set (recovery, expansion), or
    # it would move the account straight back.
    if not moves:
        return
    accounts = facts.accounts
    moved = accounts["id"].map(moves)
    accounts.loc[moved.notna(), "lifecycle_stage"] = moved[moved.notna()]


def _known(session: Session) -> Any:
    def known(keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            found.update(
                session.scalars(
                    select(PlaybookRun.occurrence_key).where(
                        PlaybookRun.occurrence_key.in_(chunk)
                    )
                )
            )
        return found

    return known


def _enrolled(session: Session) -> set[int]:
    """Accounts with a sequence running: advancing it reads their state."""
    query = select(SequenceEnrolment.account_id).where(
        SequenceEnrolment.status == "active"
    )
    return set(session.scalars(query.distinct()))


def _unsubscribed(session: Session) -> set[str]:
    return set(
        session.scalars(
            select(EmailEvent.address).where(EmailEvent.kind == "unsubscribe")
        )
    )


def _inputs(
    session: Session,
    workspace: Workspace,
    day: Day,
    playbooks: list[Playbook],
    automation: AutomationSettings,
    expansion: readiness.ExpansionConfig,
) -> tuple[Inputs, pd.DataFrame]:
    as_of = day.as_of
    accounts = reads.account_frame(day.facts)
    ids = pd.Series(accounts.index, index=accounts["external_id"])
    live_ids = ids.reindex(day.live.index).dropna().astype(int)
    accounts = accounts.loc[live_ids.to_numpy()]
    accounts["arr"] = day.live["arr"].to_numpy()
    accounts["seats"] = day.live["seats"].to_numpy()
    accounts["renewal_on"] = accounts["external_id"].map(
        reads.renewal_days(day.facts, as_of)
    )
    opening = reads.stages_at_start(session, as_of)
    if opening:
        stages = accounts["stage"].to_numpy(dtype=object, copy=True)
        where = accounts.index.get_indexer(list(opening))
        stages[where[where >= 0]] = [
            stage for stage, at in zip(opening.values(), where, strict=True) if at >= 0
        ]
        accounts["stage"] = stages

    metrics = _metrics(session, day, automation, expansion, live_ids)
    ready = _readiness(expansion, metrics)
    scores = pd.DataFrame(index=metrics.index)
    scores["health"] = day.scores["score"].astype("Float64").to_numpy(na_value=None)
    scores["band"] = day.scores["band"].astype(object).to_numpy()
    scores["expansion"] = ready["score"]
    # Tags as the day opened, and changes up to yesterday: a tag put on today
    # (by hand or by a playbook) is news for tomorrow's run, and a second run
    # of today sees what the first saw.
    history = reads.tag_history(session)
    yesterday = as_of - dt.timedelta(days=1)
    tags = reads.tags_on(history, yesterday)
    _previous(session, as_of, scores)
    _band_since(session, as_of, scores, playbooks, tags)

    lookback = max([LOOKBACK_DAYS, *_windows(playbooks)])
    first = as_of - dt.timedelta(days=lookback)
    inputs = Inputs(
        accounts=accounts,
        metrics=metrics,
        scores=scores,
        people=reads.people(session),
        tags=tags,
        milestones=reads.milestone_facts(day.journey_states, _titles(workspace)),
        nps=reads.dated_nps(session, first, as_of),
        incidents=reads.dated_incidents(session, first, as_of),
        tag_changes=reads.dated_tag_changes(history, first, yesterday),
        contacts=reads.contacts(session),
    )
    return inputs, ready


def expansion_readiness(
    session: Session, workspace: Workspace, day: Day
) -> pd.DataFrame:
    """The day's expansion readiness by account database id, as the playbook
    step scores it, with nothing fired: for a day stored after a later one."""
    accounts = reads.account_frame(day.facts)
    ids = pd.Series(accounts.index, index=accounts["external_id"])
    live_ids = ids.reindex(day.live.index).dropna().astype(int)
    automation = load_automation_settings(workspace.automation_path())
    expansion = load_expansion(workspace)
    metrics = _metrics(session, day, automation, expansion, live_ids)
    return _readiness(expansion, metrics)


def _readiness(
    expansion: readiness.ExpansionConfig, metrics: pd.DataFrame
) -> pd.DataFrame:
    """``score``, ``points.<key>`` and ``value.<key>`` per account."""
    scored = readiness.expansion_frame(expansion, metrics)
    values = readiness.component_values(expansion, metrics).add_prefix("value.")
    return pd.concat([scored, values], axis=1)


def _metrics(
    session: Session,
    day: Day,
    automation: AutomationSettings,
    expansion: readiness.ExpansionConfig,
    live_ids: pd.Series,
) -> pd.DataFrame:
    names = [name for name in CATALOGUE if name in day.live.columns]
    metrics = day.live[names].apply(pd.to_numeric, errors="coerce").astype(float)
    metrics.index = live_ids.to_numpy()
    steps = reads.portal_steps(
        day.con, day.events, automation.portal, day_number(day.as_of)
    )
    share = reads.portal_completion(
        steps, day_number(day.as_of), automation.portal, day.live.index
    )
    metrics["portal_completion"] = share.to_numpy()
    days = expansion.sponsor_engagement_days
    since = day.as_of - dt.timedelta(days=days)
    engaged = reads.engaged_on(
        reads.sponsor_engagement(session, since), day.as_of, days
    )
    metrics["sponsor_engaged"] = engaged.reindex(metrics.index).fillna(0.0).to_numpy()
    return metrics


def _previous(session: Session, as_of: dt.date, scores: pd.DataFrame) -> None:
    """The scores of the last stored day before ``as_of`` (an index lookup).

    An account not scored that day (not live then) has no previous score.
    """
    columns = {
        "score": "previous_health",
        "band": "previous_band",
        "expansion": "previous_expansion",
    }
    model = HealthScore
    day = session.scalar(select(func.max(model.as_of)).where(model.as_of < as_of))
    fields = [getattr(model, name) for name in columns]
    rows = plain_rows(
        session, select(model.account_id, *fields).where(model.as_of == day)
    )
    ids, health, band, expansion = zip(*rows, strict=True) if rows else ([],) * 4
    found = pd.DataFrame(
        {
            "previous_health": np.array(health, dtype="float64"),
            "previous_band": np.array(band, dtype=object),
            "previous_expansion": np.array(expansion, dtype="float64"),
        },
        index=np.array(ids, dtype="int64"),
    ).reindex(scores.index)
    for column in columns.values():
        scores[column] = found[column].astype(object).to_numpy()


def _band_since(
    session: Session,
    as_of: dt.date,
    scores: pd.DataFrame,
    playbooks: list[Playbook],
    tags: dict[int, dict[str, dt.date]],
) -> None:
    """First day of the current run in its band, for band_held triggers.

    Only accounts that could fire are looked up: in the band today and, when
    every such trigger counts from a tag, carrying one of those tags.
    """
    held = [p.trigger for p in playbooks if p.trigger.kind == "band_held"]
    scores["band_since"] = None
    for band in {trigger.band for trigger in held}:
        wanted = {t.counting_from_tag for t in held if t.band == band}
        candidates = scores.index[scores["band"] == band]
        if None not in wanted:
            names = {tag.casefold() for tag in wanted if tag}
            candidates = [
                account_id
                for account_id in candidates
                if names & {tag.casefold() for tag in tags.get(account_id, {})}
            ]
        since = _streak_starts(session, as_of, band, list(candidates))
        last_band = scores["previous_band"]
        for account_id in candidates:
            kept = last_band.get(account_id) == band and account_id in since
            scores.at[account_id, "band_since"] = since[account_id] if kept else as_of


def _streak_starts(
    session: Session, as_of: dt.date, band: str, accounts: list[int]
) -> dict[int, dt.date]:
    """Per account, the first stored day in ``band`` after its last other band."""
    found: dict[int, dt.date] = {}
    model = HealthScore
    for start in range(0, len(accounts), 500):
        chunk = [int(account_id) for account_id in accounts[start : start + 500]]
        other = (
            select(model.account_id, func.max(model.as_of).label("day"))
            .where(model.as_of < as_of, model.band != band, model.account_id.in_(chunk))
            .group_by(model.account_id)
            .subquery()
        )
        rows = session.execute(
            select(model.account_id, func.min(model.as_of))
            .outerjoin(other, other.c.account_id == model.account_id)
            .where(
                model.as_of < as_of,
                model.band == band,
                model.account_id.in_(chunk),
                or_(other.c.day.is_(None), model.as_of > other.c.day),
            )
            .group_by(model.account_id)
        ).all()
        found.update(rows)
    return found


def _windows(playbooks: list[Playbook]) -> list[int]:
    return [getattr(playbook.trigger, "within_days", 0) + 1 for playbook in playbooks]


def _titles(workspace: Workspace) -> dict[tuple[str, str], str]:
    titles = {}
    for path in workspace.journey_paths():
        journey = load_journey(path)
        for milestone in journey.milestones:
            titles[(journey.name, milestone.key)] = milestone.title
    return titles
