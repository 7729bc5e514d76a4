"""The task inbox through the API: overdue first, and what is done with a task."""

import datetime as dt

from sqlalchemy import select

from steward.store.models import AuditEntry, Task, User

MISSED = "milestone_missed"


def _task(company, account: str, kind: str) -> Task:
    with company.workspace.store.session() as session:
        return session.scalars(
            select(Task)
            .join(Task.account)
            .where(Task.kind == kind, Task.account.has(external_id=account))
        ).one()


def _user_id(company, email: str) -> int:
    with company.workspace.store.session() as session:
        return session.scalar(select(User.id).where(User.email == email))


def _mine(company, headers) -> list[tuple[str, str]]:
    response = company.client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 200, response.text
    return [(task["account"], task["kind"]) for task in response.json()]


def test_each_person_sees_their_own_tasks(company):
    csm1 = company.token("csm1@x.example")
    csm2 = company.token("csm2@x.example")
    lead = company.token("lead@x.example")

    assert (("late", MISSED)) in _mine(company, csm1)
    assert ("double", MISSED) in _mine(company, csm2)
    assert ("double", "escalation") in _mine(company, lead)
    assert ("double", MISSED) not in _mine(company, csm1)


def test_the_inbox_lists_overdue_tasks_first(company):
    lead = company.token("lead@x.example")
    csm2 = _user_id(company, "csm2@x.example")

    response = company.client.get(f"/api/v1/tasks?assignee_id={csm2}", headers=lead)

    due = [task["due_on"] for task in response.json()]
    assert due == sorted(due)
    assert response.json()[0]["due_on"] < dt.date.today().isoformat()


def test_completing_a_task_takes_it_out_of_the_inbox_and_audits_it(company):
    csm1 = company.token("csm1@x.example")
    task = _task(company, "late", MISSED)

    done = company.client.post(f"/api/v1/tasks/{task.id}/complete", headers=csm1)
    open_now = _mine(company, csm1)
    everything = company.client.get("/api/v1/tasks?include_done=true", headers=csm1)

    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    assert done.json()["completed_at"] is not None
    assert ("late", MISSED) not in open_now
    assert task.id in [t["id"] for t in everything.json()]
    with company.workspace.store.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "task.completed")
        ).one()
    assert (entry.actor, entry.entity_id) == ("csm1@x.example", str(task.id))


def test_a_snoozed_task_leaves_the_inbox_until_its_day(company):
    csm1 = company.token("csm1@x.example")
    task = _task(company, "late", MISSED)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()

    snoozed = company.client.post(
        f"/api/v1/tasks/{task.id}/snooze", json={"until": tomorrow}, headers=csm1
    )

    assert snoozed.json()["status"] == "snoozed"
    assert snoozed.json()["snoozed_until"] == tomorrow
    assert ("late", MISSED) not in _mine(company, csm1)


def test_snoozing_into_the_past_names_the_field(company):
    csm1 = company.token("csm1@x.example")
    task = _task(company, "late", MISSED)
    today = dt.date.today().isoformat()

    response = company.client.post(
        f"/api/v1/tasks/{task.id}/snooze", json={"until": today}, headers=csm1
    )

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid",
        "message": f"snooze until a day after today ({today}), not {today}",
        "field": "until",
    }


def test_a_manager_reassigns_a_task_and_it_moves_inboxes(company):
    lead = company.token("lead@x.example")
    task = _task(company, "double", MISSED)
    csm1 = _user_id(company, "csm1@x.example")

    moved = company.client.post(
        f"/api/v1/tasks/{task.id}/reassign", json={"assignee_id": csm1}, headers=lead
    )

    assert moved.json()["assignee"] == "csm1@x.example"
    assert ("double", MISSED) in _mine(company, company.token("csm1@x.example"))


def test_tasks_go_to_people_who_may_work_on_them_only(company):
    lead = company.token("lead@x.example")
    task = _task(company, "double", MISSED)
    viewer = _user_id(company, "viewer@x.example")

    response = company.client.post(
        f"/api/v1/tasks/{task.id}/reassign",
        json={"assignee_id": viewer},
        headers=lead,
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        f"no active user with id {viewer} who may work on tasks"
    )


def test_a_comment_is_stored_with_its_author(company):
    csm1 = company.token("csm1@x.example")
    task = _task(company, "late", MISSED)

    response = company.client.post(
        f"/api/v1/tasks/{task.id}/comments",
        json={"body": "Called the champion, no answer"},
        headers=csm1,
    )

    assert response.status_code == 201, response.text
    assert response.json()["task_id"] == task.id


def test_another_csms_task_is_not_found_and_read_only_may_not_change_one(company):
    task = _task(company, "double", MISSED)

    by_csm1 = company.client.post(
        f"/api/v1/tasks/{task.id}/complete", headers=company.token("csm1@x.example")
    )
    by_viewer = company.client.post(
        f"/api/v1/tasks/{task.id}/complete", headers=company.token("viewer@x.example")
    )

    assert by_csm1.status_code == 404
    assert by_csm1.json()["error"]["message"] == f"no task with id {task.id}"
    assert by_viewer.status_code == 403
    assert _task(company, "double", MISSED).status == "open"
