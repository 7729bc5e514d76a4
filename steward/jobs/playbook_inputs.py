"""Reading what playbooks see from the store and the event store.

Shared by the daily run (one day) and the dry run (many weeks): functions
here return plain frames and mappings that :mod:`steward.playbooks.assemble`
joins into account states.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.metrics.catalogue import day_number, from_day_numbers, with_day
from steward.metrics.facts import AccountFacts
from steward.playbooks.settings import Portal
from steward.playbooks.state import ContactInfo, Dated, MilestoneFact, Person
from steward.store.automation import AccountTagChange, Incident
from steward.store.models import (
    AccountTag,
    Contact,
    LifecycleChange,
    Note,
    NpsResponse,
    User,
)

SPONSOR_ROLES = {"executive_sponsor", "executive sponsor", "sponsor", "exec_sponsor"}
ENGAGEMENT_NOTES = ("meeting", "call", "email")


def account_frame(facts: AccountFacts) -> pd.DataFrame:
    """Every account by database id, with what conditions and templates read.

    Tier and coverage are as the coverage step left them, if it ran.
    """
    frame = facts.accounts.rename(
        columns={"account_id": "external_id", "lifecycle_stage": "stage"}
    ).set_index("id")
    starts = facts.start_days
    frame["started_on"] = from_day_numbers(frame["external_id"].map(starts))
    return frame


def stages_at_start(session: Session, as_of: dt.date) -> dict[int, str]:
    """Each account's stage before any change dated ``as_of`` or later.

    Playbooks see the day as it opened, so a second run of the same day sees
    what the first saw, not the stages the first run moved.
    """
    rows = session.execute(
        select(LifecycleChange.account_id, LifecycleChange.from_stage)
        .where(LifecycleChange.changed_on >= as_of)
        .order_by(LifecycleChange.changed_on.desc(), LifecycleChange.id.desc())
    ).all()
    # Newest first, so the oldest change on or after the day wins.
    return {account_id: stage for account_id, stage in rows if stage is not None}


def renewal_days(facts: AccountFacts, as_of: dt.date) -> pd.Series:
    """The end of each account's running contract on ``as_of``, by external id."""
    ends = pd.Series(
        facts.renewal_days(day_number(as_of)), index=facts.accounts["account_id"]
    ).dropna()
    return pd.Series(from_day_numbers(ends), index=ends.index, dtype=object)


def people(session: Session) -> dict[int, Person]:
    return {
        user_id: Person(name, email)
        for user_id, name, email in session.execute(
            select(User.id, User.name, User.email)
        ).all()
    }


def contacts(session: Session) -> dict[int, tuple[ContactInfo, ...]]:
    found: dict[int, list[ContactInfo]] = defaultdict(list)
    rows = session.execute(
        select(
            Contact.account_id, Contact.name, Contact.email, Contact.role, Contact.title
        )
        .where(Contact.email.is_not(None))
        .order_by(Contact.id)
    ).all()
    for account_id, name, email, role, title in rows:
        found[account_id].append(ContactInfo(name, email, _role(role), title))
    return {key: tuple(value) for key, value in found.items()}


def _role(role: str | None) -> str | None:
    """'Executive Sponsor' and 'executive-sponsor' are executive_sponsor."""
    if role is None:
        return None
    return "_".join(role.strip().casefold().replace("-", " ").split())


def tag_history(session: Session) -> pd.DataFrame:
    """Every tag change ever recorded, oldest first."""
    return pd.DataFrame(
        session.execute(
            select(
                AccountTagChange.id,
                AccountTagChange.account_id,
                AccountTagChange.tag,
                AccountTagChange.change,
                AccountTagChange.changed_on,
            ).order_by(AccountTagChange.changed_on, AccountTagChange.id)
        ).all(),
        columns=["id", "account_id", "tag", "change", "changed_on"],
    )


def observe_tag_changes(session: Session, as_of: dt.date, actor: str) -> int:
    """Log tags put on or taken off since the history last saw them.

    Tags changed by hand (the web app, an import) are not in the history
    until this notices them: a tag added on an earlier day is dated that day
    (so the first run does not treat every old tag as news), a removal on
    ``as_of``.
    """
    current = {
        (account_id, tag): added_at
        for account_id, tag, added_at in session.execute(
            select(AccountTag.account_id, AccountTag.tag, AccountTag.added_at)
        ).all()
    }
    history = tag_history(session)
    last = history.drop_duplicates(["account_id", "tag"], keep="last")
    present = {
        (row.account_id, row.tag) for row in last.itertuples() if row.change == "added"
    }
    changes = []
    for (account_id, tag), added_at in current.items():
        if (account_id, tag) not in present:
            day = min(added_at.date(), as_of) if added_at else as_of
            changes.append((account_id, tag, "added", day))
    for account_id, tag in present - set(current):
        changes.append((account_id, tag, "removed", as_of))
    for account_id, tag, change, day in changes:
        session.add(
            AccountTagChange(
                account_id=account_id,
                tag=tag,
                change=change,
                changed_on=day,
                changed_by=actor,
            )
        )
    session.flush()
    return len(changes)


def tags_on(history: pd.DataFrame, day: dt.date) -> dict[int, dict[str, dt.date]]:
    """Each account's tags on ``day`` and when each went on, from the history."""
    upto = history[history["changed_on"] <= day]
    last = upto.drop_duplicates(["account_id", "tag"], keep="last")
    added = upto[upto["change"] == "added"].drop_duplicates(
        ["account_id", "tag"], keep="last"
    )
    since = {(r.account_id, r.tag): r.changed_on for r in added.itertuples()}
    tags: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for row in last.itertuples():
        if row.change == "added":
            tags[int(row.account_id)][row.tag] = since[(row.account_id, row.tag)]
    return dict(tags)


def dated_tag_changes(
    history: pd.DataFrame, first: dt.date, last: dt.date
) -> dict[int, tuple[Dated, ...]]:
    window = history[(history["changed_on"] >= first) & (history["changed_on"] <= last)]
    return _group(
        (int(r.account_id), Dated(str(r.id), r.changed_on, r.change, r.tag))
        for r in window.itertuples()
    )


def dated_incidents(
    session: Session, first: dt.date, last: dt.date
) -> dict[int, tuple[Dated, ...]]:
    rows = session.execute(
        select(
            Incident.account_id,
            Incident.external_id,
            Incident.occurred_on,
            Incident.kind,
            Incident.summary,
        )
        .where(Incident.occurred_on >= first, Incident.occurred_on <= last)
        .order_by(Incident.occurred_on, Incident.id)
    ).all()
    return _group((row[0], Dated(row[1], row[2], row[3], row[4])) for row in rows)


def dated_nps(
    session: Session, first: dt.date, last: dt.date
) -> dict[int, tuple[Dated, ...]]:
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    rows = session.execute(
        select(
            NpsResponse.account_id,
            NpsResponse.id,
            NpsResponse.responded_at,
            NpsResponse.score,
        )
        .where(NpsResponse.responded_at >= start, NpsResponse.responded_at < end)
        .order_by(NpsResponse.responded_at)
    ).all()
    return _group(
        (account_id, Dated(str(answer_id), at.astimezone(dt.UTC).date(), "nps", score))
        for account_id, answer_id, at, score in rows
    )


def _group(pairs: Any) -> dict[int, tuple[Dated, ...]]:
    grouped: dict[int, list[Dated]] = defaultdict(list)
    for account_id, item in pairs:
        grouped[int(account_id)].append(item)
    return {key: tuple(value) for key, value in grouped.items()}


def milestone_facts(
    states: Mapping[str, Sequence[Any]], titles: dict[tuple[str, str], str]
) -> dict[int, tuple[MilestoneFact, ...]]:
    """The journey step's milestone state rows (as columns), as facts per account.

    ``titles`` maps (journey, milestone key) to the milestone's title.
    """
    grouped: dict[int, list[MilestoneFact]] = defaultdict(list)
    rows = zip(
        *(
            states[name]
            for name in (
                "account_id",
                "journey",
                "milestone",
                "position",
                "started_on",
                "due_on",
                "achieved_on",
                "status",
                "overdue_business_days",
            )
        ),
        strict=True,
    )
    for (
        account_id,
        journey,
        key,
        position,
        started,
        due,
        achieved,
        status,
        late,
    ) in rows:
        grouped[int(account_id)].append(
            MilestoneFact(
                journey=journey,
                key=key,
                title=titles.get((journey, key), key),
                position=int(position),
                started_on=started,
                due_on=due,
                achieved_on=achieved,
                status=status,
                overdue_business_days=int(late),
            )
        )
    return {key: tuple(value) for key, value in grouped.items()}


def sponsor_engagement(session: Session, since: dt.date) -> pd.DataFrame:
    """Days from ``since`` an account's executive sponsor was engaged.

    Engaged means a meeting, call or email noted on an account that has an
    executive sponsor on record, or an NPS answer from the sponsor. Returns
    (account_id, day) rows.
    """
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    sponsors = pd.DataFrame(
        session.execute(select(Contact.id, Contact.account_id, Contact.role)).all(),
        columns=["id", "account_id", "role"],
    )
    sponsors = sponsors[sponsors["role"].map(_role).isin(SPONSOR_ROLES)]
    if sponsors.empty:
        return pd.DataFrame(columns=["account_id", "day"])
    with_sponsor = set(sponsors["account_id"])
    notes = session.execute(
        select(Note.account_id, Note.created_at).where(
            Note.kind.in_(ENGAGEMENT_NOTES), Note.created_at >= start
        )
    ).all()
    answers = session.execute(
        select(NpsResponse.account_id, NpsResponse.responded_at).where(
            NpsResponse.contact_id.in_([int(i) for i in sponsors["id"]]),
            NpsResponse.responded_at >= start,
        )
    ).all()
    rows = [
        (account_id, at.astimezone(dt.UTC).date())
        for account_id, at in [*notes, *answers]
        if account_id in with_sponsor
    ]
    return pd.DataFrame(rows, columns=["account_id", "day"])


def engaged_on(engagement: pd.DataFrame, day: dt.date, days: int) -> pd.Series:
    """1.0 for accounts engaged within ``days`` up to ``day``, by database id."""
    if engagement.empty:
        return pd.Series(dtype="float64")
    recent = engagement[
        (engagement["day"] <= day) & (engagement["day"] > day - dt.timedelta(days=days))
    ]
    return pd.Series(1.0, index=pd.Index(recent["account_id"].unique()))


def portal_steps(
    con: ibis.BaseBackend, events: ibis.Table, portal: Portal, last_day: int
) -> pd.DataFrame | None:
    """The first day each account completed each portal step (external ids).

    Reads the ``portal.lookback_days`` before ``last_day``. None when no event
    there is a portal event at all: the portal is then not measured, which is
    not the same as nobody using it.
    """
    dated = with_day(events)
    first = last_day - portal.lookback_days
    done = dated.filter(
        dated.event.isin(portal.events) & (dated.day <= last_day) & (dated.day > first)
    )
    step = done.feature.fill_null(done.event)
    firsts = done.group_by(["account_id", step.name("step")]).aggregate(
        first_day=done.day.min()
    )
    frame = con.execute(firsts)
    return None if frame.empty else frame


def portal_completion(
    steps: pd.DataFrame | None, day: int, portal: Portal, account_ids: pd.Index
) -> pd.Series:
    """Share of portal steps each account had completed by ``day``."""
    if steps is None:
        return pd.Series(float("nan"), index=account_ids)
    counts = steps[steps["first_day"] <= day].groupby("account_id")["step"].nunique()
    share = (counts / portal.steps).clip(upper=1.0)
    return share.reindex(account_ids).fillna(0.0)
