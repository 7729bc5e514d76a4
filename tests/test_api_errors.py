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
