"""Writing a firing's effects in the daily run's transaction, and logging the run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.tasks import TaskSpec, manager_of, raise_tasks
from steward.notify import sequences as sequence_store
from steward.notify.outbox import enqueue
from steward.playbooks import actions as fx
from steward.playbooks.engine import Firing
from steward.playbooks.state import AccountState
from steward.store.automation import AccountTagChange, PlaybookRun
from steward.store.models import (
    Account,
    AccountTag,
    AuditEntry,
    LifecycleChange,
    Note,
    User,
    utcnow,
)


@dataclass
class Applying:
    """What applying needs beyond the firing, and what it has done so far."""

    as_of: dt.date
    sequences: Mapping[str, sequence_store.Sequence]
    unsubscribed: set[str]
    tasks: int = 0
    messages: int = 0
    stage_moves: dict[int, str] = field(default_factory=dict)
    # Each CSM's manager, looked up once a run: nothing in it changes users.
    managers: dict[int | None, int | None] = field(default_factory=dict)


def apply_firing(session: Session, firing: Firing, work: Applying) -> PlaybookRun:
    """Log the firing as a playbook run, then carry out its effects in order."""
    actor = f"playbook:{firing.playbook.name}"
    occurrence = firing.occurrence
    run = PlaybookRun(
        playbook=firing.playbook.name,
        occurrence_key=firing.key,
        account_id=firing.state.id if firing.state else None,
        as_of=work.as_of,
        trigger=firing.playbook.trigger.kind,
        actor=actor,
        inputs={
            "trigger": {
                "kind": firing.playbook.trigger.kind,
                "occurrence": occurrence.key,
                "event_on": occurrence.event_on.isoformat(),
                **occurrence.facts,
            },
            "account": firing.state.inputs() if firing.state else None,
            "accounts": list(firing.accounts),
        },
    )
    session.add(run)
    session.flush()
    done = [
        _apply(session, effect, firing, run, actor, work) for effect in firing.effects
    ]
    run.actions = done
    session.add(
        AuditEntry(
            actor=actor,
            action="playbook.fired",
            entity="playbook_run",
            entity_id=str(run.id),
            detail={"key": firing.key, "actions": len(done)},
        )
    )
    return run


def _apply(
    session: Session,
    effect: fx.Effect,
    firing: Firing,
    run: PlaybookRun,
    actor: str,
    work: Applying,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": effect.type, "action": effect.index}
    state = firing.state
    if isinstance(effect, fx.Skipped):
        entry["result"] = f"skipped: {effect.reason}"
    elif isinstance(effect, fx.TaskEffect):
        entry.update(_task(session, effect, state, actor, work))
    elif isinstance(effect, fx.EmailEffect):
        entry.update(_email(session, effect, state, run, work))
    elif isinstance(effect, fx.SlackEffect | fx.WebhookEffect):
        entry.update(_message(session, effect, state, run, work))
    elif isinstance(effect, fx.NoteEffect):
        assert state is not None
        session.add(Note(account_id=state.id, kind="playbook", body=effect.text))
        entry["result"] = "noted on the timeline"
    elif isinstance(effect, fx.ChangeEffect):
        assert state is not None
        entry["result"] = _change(session, effect, state, actor, work)
    return entry


def _task(
    session: Session,
    effect: fx.TaskEffect,
    state: AccountState | None,
    actor: str,
    work: Applying,
) -> dict[str, Any]:
    assignee_id, role, note = _assignee(session, effect.assignee, state, work)
    spec = TaskSpec(
        occurrence_key=effect.key,
        kind=effect.kind,
        title=effect.title[:300],
        body=effect.body,
        account_id=state.id if state else None,
        assignee_id=assignee_id,
        role=role,
        due_on=effect.due_on,
        priority=effect.priority,
        source=actor[:100],
    )
    created = raise_tasks(session, [spec], work.as_of, actor)
    if not created:
        return {"result": "already raised", "key": effect.key}
    work.tasks += 1
    result = f"task #{created[0].id} due {effect.due_on.isoformat()}"
    return {"result": result + note, "task": created[0].id, "key": effect.key}


def _assignee(
    session: Session, who: str, state: AccountState | None, work: Applying
) -> tuple[int | None, str | None, str]:
    """(user id, role, a note when nobody fits) for csm, ae, manager or an email."""
    csm_id = state.csm_id if state else None
    if who == "csm":
        return csm_id, "csm", "" if csm_id else " (no CSM assigned)"
    if who == "ae":
        ae_id = state.ae_id if state else None
        return ae_id, "ae", "" if ae_id else " (no AE assigned)"
    if who == "manager":
        if csm_id not in work.managers:
            work.managers[csm_id] = manager_of(session, csm_id)
        manager = work.managers[csm_id]
        return manager, "manager", "" if manager else " (no manager in the store)"
    user = session.scalar(select(User.id).where(User.email == who))
    return user, None, "" if user else f" (no user {who}: unassigned)"


def _email(
    session: Session,
    effect: fx.EmailEffect,
    state: AccountState | None,
    run: PlaybookRun,
    work: Applying,
) -> dict[str, Any]:
    if effect.address.casefold() in work.unsubscribed:
        return {"result": f"skipped: {effect.address} has unsubscribed"}
    message = enqueue(
        session,
        key=effect.key,
        channel="email",
        target=effect.address,
        subject=effect.subject[:300],
        payload={
            "text": effect.text,
            "html": effect.html,
            "unsubscribe_url": effect.unsubscribe_url,
        },
        account_id=state.id if state else None,
        playbook_run_id=run.id,
    )
    return _queued(message, effect, work, effect.address)


def _message(
    session: Session,
    effect: fx.SlackEffect | fx.WebhookEffect,
    state: AccountState | None,
    run: PlaybookRun,
    work: Applying,
) -> dict[str, Any]:
    if isinstance(effect, fx.SlackEffect):
        channel, target, payload = "slack", effect.channel, {"text": effect.text}
    else:
        channel, target, payload = "webhook", effect.endpoint, effect.body
    message = enqueue(
        session,
        key=effect.key,
        channel=channel,
        target=target,
        payload=payload,
        account_id=state.id if state else None,
        playbook_run_id=run.id,
    )
    return _queued(message, effect, work, target)


def _queued(
    message: Any, effect: fx.Effect, work: Applying, target: str
) -> dict[str, Any]:
    if message is None:
        return {"result": "already queued", "key": effect.key}
    work.messages += 1
    return {
        "result": f"queued message #{message.id} to {target}",
        "message": message.id,
    }


def _change(
    session: Session,
    effect: fx.ChangeEffect,
    state: AccountState,
    actor: str,
    work: Applying,
) -> str:
    if effect.type == "tag":
        return _tag(session, effect.change, effect.value, state, actor, work.as_of)
    if effect.type == "stage":
        return _stage(session, effect.value, state, actor, work)
    sequence = work.sequences.get(effect.value)
    if effect.change == "stop":
        why = f"stopped by {actor}"
        return sequence_store.stop(session, state.id, effect.value, work.as_of, why)
    if sequence is None:
        return f"skipped: no sequence {effect.value!r} in config/sequences"
    return sequence_store.enrol(session, sequence, state, work.as_of, effect.key, actor)


def _tag(
    session: Session,
    change: str,
    tag: str,
    state: AccountState,
    actor: str,
    on: dt.date,
) -> str:
    row = session.scalar(
        select(AccountTag).where(
            AccountTag.account_id == state.id, AccountTag.tag == tag
        )
    )
    if change == "add" and row is None:
        session.add(AccountTag(account_id=state.id, tag=tag, added_by=actor))
    elif change == "remove" and row is not None:
        session.delete(row)
    else:
        return f"tag {tag} {'already on' if change == 'add' else 'not on'} the account"
    logged = "added" if change == "add" else "removed"
    session.add(
        AccountTagChange(
            account_id=state.id, tag=tag, change=logged, changed_on=on, changed_by=actor
        )
    )
    session.add(
        AuditEntry(
            actor=actor,
            action=f"tag.{logged}",
            entity="account",
            entity_id=state.external_id,
            detail={"tag": tag},
        )
    )
    return f"tag {tag} {logged}"


def _stage(
    session: Session, stage: str, state: AccountState, actor: str, work: Applying
) -> str:
    account = session.get(Account, state.id)
    assert account is not None
    if account.lifecycle_stage == stage:
        return f"stage already {stage}"
    previous = account.lifecycle_stage
    account.lifecycle_stage = stage
    account.updated_at = utcnow()
    session.add(
        LifecycleChange(
            account_id=state.id,
            from_stage=previous,
            stage=stage,
            changed_on=work.as_of,
            changed_by=actor,
            reason=f"set by {actor}",
        )
    )
    session.add(
        AuditEntry(
            actor=actor,
            action="lifecycle.changed",
            entity="account",
            entity_id=state.external_id,
            detail={"from": previous, "to": stage, "why": f"set by {actor}"},
        )
    )
    work.stage_moves[state.id] = stage
    return f"stage {previous} -> {stage}"
