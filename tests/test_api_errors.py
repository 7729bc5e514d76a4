"""API error bodies say what was wrong, and where."""

from __future__ import annotations


def test_a_body_that_is_not_json_is_called_that_not_a_field(company):
    headers = {**company.token("csm1@x.example"), "Content-Type": "application/json"}

    answer = company.client.post(
        "/api/v1/accounts/late/notes", content=b'{"body":', headers=headers
    )

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] is None
    assert error["message"].startswith("the body is not valid JSON (at character 8")


def test_text_with_a_nul_character_is_refused_on_every_store(company):
    headers = company.token("csm1@x.example")

    note = company.client.post(
        "/api/v1/accounts/late/notes",
        json={"body": "x\u0000y", "categories": ["ok"]},
        headers=headers,
    )
    category = company.client.post(
        "/api/v1/accounts/late/notes",
        json={"body": "fine", "categories": ["a\u0000"]},
        headers=headers,
    )

    assert note.status_code == category.status_code == 422
    assert note.json()["error"]["field"] == "body"
    assert category.json()["error"]["field"] == "categories"
    assert note.json()["error"]["message"] == (
        "body: the text holds a NUL character (\\0); remove it"
    )


def test_a_number_that_is_not_finite_is_called_that(company):
    headers = company.token("csm1@x.example")

    answer = company.client.post(
        "/api/v1/accounts/late/effort", json={"hours": "NaN"}, headers=headers
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "hours"
    assert answer.json()["error"]["message"] == (
        "hours: Input should be a finite number"
    )
