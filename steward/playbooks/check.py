"""``steward playbook check``: a playbook file, its templates and sequences, tried out.

Beyond the file's own rules, every template the playbook would render is
rendered for a made-up account on which the trigger fires, so a misspelt
name fails here and not in a customer's inbox; the sequences it enrols in and
the journey and milestones its trigger names must exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from steward.errors import JourneyInvalid, PlaybookInvalid
from steward.journeys.calendar import calendar_for
from steward.journeys.journey import Journey, load_journey
from steward.metrics.catalogue import CATALOGUE
from steward.notify.sequences import load_sequences
from steward.notify.templates import EmailTemplates, load_email_template, render_checked
from steward.playbooks import actions_model as am
from steward.playbooks.actions import PlanContext, context_for
from steward.playbooks.model import Playbook, load_playbook
from steward.playbooks.state import (
    AccountState,
    ContactInfo,
    Dated,
    MilestoneFact,
    Person,
)
from steward.playbooks.triggers import Occurrence, occurrences
from steward.playbooks.triggers_model import WEEKDAYS

SAMPLE_DAY = dt.date(2025, 3, 3)  # a Monday
BANDS = ("healthy", "neutral", "at_risk", "insufficient_data")


def check_playbook(
    path: Path, emails_dir: Path, sequences_dir: Path, journeys_dir: Path
) -> Playbook:
    """Validate ``path`` fully; raises PlaybookInvalid naming file, field and rule.

    The folders are those the daily run reads: email templates, sequences and
    journeys (a journey is known by the name field of its file).
    """
    playbook = load_playbook(path)
    _check_journey(playbook, path, journeys_dir)
    day, state = sample(playbook)
    calendar = calendar_for(state.country)
    found = occurrences(playbook.trigger, state, day, calendar)
    # Every trigger fires on its sample; this guards templates all the same.
    occurrence = found[0] if found else Occurrence("sample", day, day)
    portfolio = (
        playbook.trigger.kind == "schedule" and playbook.trigger.per == "portfolio"
    )
    emails = EmailTemplates(emails_dir)
    ctx = PlanContext(
        day,
        calendar,
        emails,
        lambda address: f"https://steward.example/unsubscribe/{address}",
        accounts=[state.template_view()] if portfolio else [],
    )
    context = context_for(
        playbook, None if portfolio else state, occurrence, playbook.trigger.kind, ctx
    )
    sequences = _sequences(sequences_dir, path)
    for index, action in enumerate(playbook.actions):
        where = f"{path}: actions[{index}]"
        _check_action(action, where, context, emails_dir, sequences, state)
    return playbook


def _check_action(
    action: Any,
    where: str,
    context: dict[str, Any],
    emails_dir: Path,
    sequences: dict[str, Any],
    state: AccountState,
) -> None:
    if isinstance(action, am.TaskAction | am.EscalateAction):
        view = {**context, "repeat": {"index": 1, "times": 2}}
        render_checked(action.title, view, f"{where}.title")
        render_checked(action.body, view, f"{where}.body")
    elif isinstance(action, am.SlackAction | am.TimelineAction):
        render_checked(action.text, context, f"{where}.text")
    elif isinstance(action, am.EmailAction):
        _check_email(action.template, where, context, emails_dir, state)
    elif isinstance(action, am.SequenceAction) and action.enrol:
        if action.enrol not in sequences:
            known = ", ".join(sorted(sequences)) or "none"
            raise PlaybookInvalid(
                f"{where}.enrol: no sequence named {action.enrol!r} in the sequences "
                f"folder (known: {known})"
            )
        sequence = sequences[action.enrol]
        view = {
            **context,
            "params": sequence.params,
            "step": {"number": 2, "of": len(sequence.steps)},
        }
        for step in sequence.steps:
            _check_email(step.template, f"{where}.enrol", view, emails_dir, state)


def _check_email(
    name: str,
    where: str,
    context: dict[str, Any],
    emails_dir: Path,
    state: AccountState,
) -> None:
    try:
        template = load_email_template(emails_dir, name)
    except PlaybookInvalid as error:
        raise PlaybookInvalid(f"{where}.template: {error}") from error
    contact = state.contacts[0]
    view = {
        **context,
        "contact": {
            "name": contact.name,
            "first_name": contact.first_name,
            "email": contact.email,
            "role": contact.role,
            "title": contact.title,
        },
        "unsubscribe_url": "https://steward.example/unsubscribe/sample",
    }
    file = emails_dir / f"{name}.yaml"
    for field in ("subject", "text", "html"):
        source = getattr(template, field)
        if source is not None:
            render_checked(source, view, f"{where}.template: {file}: {field}")


def _check_journey(playbook: Playbook, path: Path, folder: Path) -> None:
    """A trigger naming a journey or milestone no file defines would never fire."""
    name = getattr(playbook.trigger, "journey", None)
    wanted = getattr(playbook.trigger, "milestones", None)
    if name is None and not wanted:
        return
    journeys = _journeys(folder, path)
    if name is not None and name not in journeys:
        raise PlaybookInvalid(
            f"{path}: trigger.journey: no journey named {name!r} in {folder} "
            f"(known: {', '.join(sorted(journeys)) or 'none'})"
        )
    # Without a journey named, the trigger watches every journey's milestones.
    keys = sorted(
        {
            milestone.key
            for journey in ([journeys[name]] if name else journeys.values())
            for milestone in journey.milestones
        }
    )
    for index, key in enumerate(wanted or []):
        if key not in keys:
            where = f"journey {name!r}" if name else f"any journey in {folder}"
            raise PlaybookInvalid(
                f"{path}: trigger.milestones[{index}]: no milestone {key!r} in "
                f"{where} (known: {', '.join(keys) or 'none'})"
            )


def _journeys(folder: Path, path: Path) -> dict[str, Journey]:
    """The journeys of ``folder`` by their name field."""
    try:
        journeys = [load_journey(file) for file in sorted(folder.glob("*.yaml"))]
    except JourneyInvalid as error:
        raise PlaybookInvalid(f"{path}: a journey file is broken: {error}") from error
    return {journey.name: journey for journey in journeys}


def _sequences(folder: Path, path: Path) -> dict[str, Any]:
    try:
        return load_sequences(folder)
    except PlaybookInvalid as error:
        raise PlaybookInvalid(f"{path}: a sequence file is broken: {error}") from error


def sample(playbook: Playbook) -> tuple[dt.date, AccountState]:
    """A made-up day and account on which the playbook's trigger fires."""
    trigger = playbook.trigger
    day = SAMPLE_DAY
    if trigger.kind == "schedule" and trigger.weekday:
        day += dt.timedelta(days=WEEKDAYS.index(trigger.weekday))
    calendar = calendar_for("GB")
    late = getattr(trigger, "more_than_business_days", 5) + 1
    due = calendar.add(day, -late)
    started = day - dt.timedelta(days=getattr(trigger, "day", 40))
    held = getattr(trigger, "counting_from_tag", None)
    long_ago = day - relativedelta(months=getattr(trigger, "months", 1) + 1)
    state = AccountState(
        id=1,
        external_id="SAMPLE-1",
        name="Sample Account Ltd",
        industry="FinTech",
        country="GB",
        tier="Tier 2",
        coverage="Tech-Touch",
        segment="SMB",
        stage="onboarding",
        arr=48000.0,
        seats=40.0,
        csm_id=1,
        ae_id=2,
        csm=Person("Casey Sample", "casey@steward.example"),
        ae=Person("Alex Sample", "alex@steward.example"),
        tags=frozenset({held} if held else set()),
        tag_added_on={held: long_ago} if held else {},
        started_on=started,
        renewal_on=day + dt.timedelta(days=min(30, getattr(trigger, "days", 30))),
        health=55.0,
        band=getattr(trigger, "band", "healthy"),
        previous_health=55.0,
        previous_band=getattr(trigger, "band", "healthy"),
        expansion=80.0,
        previous_expansion=60.0,
        band_since=long_ago,
        metrics={
            **{name: 0.5 for name in CATALOGUE},
            "portal_completion": 0.3,
            "sponsor_engaged": 1.0,
        },
        milestones=(
            MilestoneFact(
                getattr(trigger, "journey", None) or "onboarding",
                (getattr(trigger, "milestones", None) or ["first_login"])[0],
                "First login",
                0,
                due - dt.timedelta(days=7),
                due,
                None,
                "missed",
                late,
            ),
        ),
        nps=(Dated("1", day, "nps", 0),),
        incidents=(
            Dated("INC-1", day, (getattr(trigger, "kinds", None) or ["outage"])[0]),
        ),
        tag_changes=_tag_changes(playbook, day),
        contacts=tuple(
            ContactInfo(f"Sam {role.title()}", f"{role}@customer.example", role, None)
            for role in ("executive_sponsor", "champion", "admin", "user")
        ),
    )
    return day, _tailor(playbook, state)


def _tag_changes(playbook: Playbook, day: dt.date) -> tuple[Dated, ...]:
    trigger = playbook.trigger
    if trigger.kind != "tag":
        return ()
    change = "added" if trigger.added is not None else "removed"
    return (Dated("1", day, change, trigger.added or trigger.removed),)


def _tailor(playbook: Playbook, state: AccountState) -> AccountState:
    """Scores that cross the threshold, bands that change as the trigger asks."""
    trigger = playbook.trigger
    if trigger.kind == "band_changes":
        to = (trigger.to or ["at_risk"])[0]
        others = [band for band in BANDS if band != to]
        before = (trigger.from_ or others)[0]
        return dataclasses.replace(state, band=to, previous_band=before)
    if trigger.kind != "score_crosses":
        return state
    threshold = trigger.below if trigger.below is not None else trigger.at_least
    assert threshold is not None
    down = trigger.below is not None
    before, now = (threshold + 1, threshold - 1) if down else (threshold - 1, threshold)
    field = "health" if trigger.score == "health" else "expansion"
    return dataclasses.replace(state, **{field: now, f"previous_{field}": before})
