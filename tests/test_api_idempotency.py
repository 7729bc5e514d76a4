"""Retried API writes with an Idempotency-Key are answered once, not redone."""

from __future__ import annotations

from sqlalchemy import func, select

from steward.store.models import Note


def _notes(company) -> int:
    with company.workspace.store.session() as session:
        return session.scalar(select(func.count(Note.id)))


def test_a_retried_note_is_stored_once_and_answered_the_same(company):
    headers = {**company.token("csm1@x.example"), "Idempotency-Key": "note-7f3a"}
    before = _notes(company)
    post = company.client.post

    first = post(
        "/api/v1/accounts/late/notes", json={"body": "Kickoff"}, headers=headers
    )
    again = post(
        "/api/v1/accounts/late/notes", json={"body": "Kickoff"}, headers=headers
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _notes(company) == before + 1


def test_a_key_used_again_for_another_request_is_refused(company):
    headers = {**company.token("csm1@x.example"), "Idempotency-Key": "k-1"}
    post = company.client.post
    post("/api/v1/accounts/late/notes", json={"body": "One"}, headers=headers)
    before = _notes(company)

    other = post("/api/v1/accounts/late/notes", json={"body": "Two"}, headers=headers)

    assert other.status_code == 422
    assert other.json()["error"]["field"] == "Idempotency-Key"
    assert _notes(company) == before


def test_without_a_key_each_request_is_its_own_write(company):
    headers = company.token("csm1@x.example")
    before = _notes(company)

    for _ in range(2):
        company.client.post(
            "/api/v1/accounts/late/notes", json={"body": "Same"}, headers=headers
        )

    assert _notes(company) == before + 2


def test_keys_are_kept_per_credential_and_must_be_printable(company):
    ana = {**company.token("csm1@x.example"), "Idempotency-Key": "shared"}
    lee = {**company.token("lead@x.example"), "Idempotency-Key": "shared"}
    spaced = {**company.token("csm1@x.example"), "Idempotency-Key": "has space"}
    post = company.client.post
    before = _notes(company)

    post("/api/v1/accounts/late/notes", json={"body": "A"}, headers=ana)
    theirs = post("/api/v1/accounts/late/notes", json={"body": "A"}, headers=lee)
    bad = post("/api/v1/accounts/late/notes", json={"body": "A"}, headers=spaced)

    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "Idempotency-Key"
    assert _notes(company) == before + 2
