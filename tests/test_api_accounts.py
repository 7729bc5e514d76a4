"""The accounts API in-process, on SQLite and PostgreSQL."""

from sqlalchemy import select

from steward.store.models import AuditEntry, HealthScore, LifecycleChange, Note
from steward.store.scores import details_of
from tests.web_company import invoke


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["external_id"] for item in response.json()["items"]]


def test_the_list_is_riskiest_first_and_a_csm_sees_only_their_book(company):
    manager = company.token("lead@x.example")
    csm = company.token("csm1@x.example")

    everyone = company.client.get("/api/v1/accounts", headers=manager)
    own = company.client.get("/api/v1/accounts", headers=csm)

    # Scores 0, 0 and 25: ties are broken by external id.
    assert _ids(everyone) == ["double", "late", "good"]
    assert _ids(own) == ["late", "good"]


def test_a_filter_value_no_account_has_is_an_error_naming_it(company):
    manager = company.token("lead@x.example")
    get = company.client.get

    tier = get("/api/v1/accounts?tier=Tier 9", headers=manager)
    csm = get("/api/v1/accounts?csm=nobody@x.example", headers=manager)

    assert tier.status_code == csm.status_code == 422
    assert tier.json()["error"]["field"] == "tier"
    assert tier.json()["error"]["message"].startswith(
        "no account has tier 'Tier 9'; the tiers in use are: "
    )
    assert csm.json()["error"]["field"] == "csm"


def test_filters_combine_and_search_matches_part_of_the_name(company):
    manager = company.token("lead@x.example")
    get = company.client.get

    tier_2 = get("/api/v1/accounts?band=at_risk&tier=Tier 2", headers=manager)
    digital = get("/api/v1/accounts?coverage=Digital-Led", headers=manager)
    search = get("/api/v1/accounts?q=ood", headers=manager)
    renewing = get("/api/v1/accounts?renewal_within_days=60", headers=manager)
    by_csm = get("/api/v1/accounts?csm=csm2@x.example", headers=manager)
    onboarding = get("/api/v1/accounts?stage=onboarding&sort=name", headers=manager)

    assert _ids(tier_2) == ["late", "good"]
    assert _ids(digital) == ["good"]
    assert _ids(search) == ["good"]
    for typed in ("%", "_", "o_d", "\\"):
        # Typed characters, not wildcards: no account name holds them.
        found = get("/api/v1/accounts", params={"q": typed}, headers=manager)
        assert _ids(found) == [], typed
    assert _ids(renewing) == ["double"]
    assert _ids(by_csm) == ["double"]
    assert _ids(onboarding) == ["double", "late"]


def test_pages_say_where_the_next_one_starts(company):
    manager = company.token("lead@x.example")

    first = company.client.get("/api/v1/accounts?limit=2", headers=manager)
    last = company.client.get("/api/v1/accounts?limit=2&offset=2", headers=manager)

    assert _ids(first) == ["double", "late"]
    assert first.json()["next_offset"] == 2
    assert _ids(last) == ["good"]
    assert last.json()["next_offset"] is None


def test_account_360_explains_the_score_factor_by_factor(company):
    csm = company.token("csm1@x.example")

    response = company.client.get("/api/v1/accounts/good", headers=csm)

    assert response.status_code == 200, response.text
    body = response.json()
    with company.workspace.store.session() as session:
        stored = session.scalars(select(HealthScore)).all()
        good = next(s for s in stored if s.account_id == _account_id(session, "good"))
        explained = details_of(session, good.account_id, [good.as_of])[good.as_of]
    assert body["score"]["band"] == good.band == "at_risk"
    assert body["score"]["score"] == good.score
    points = [factor["points"] for factor in body["factors"]]
    assert points == sorted(points)
    assert {f["metric"] for f in body["factors"]} == set(explained.contributions)

    assert [m["status"] for m in body["milestones"]] == ["achieved"] * 3
    assert [c["name"] for c in body["contacts"]] == ["Gil Good"]
    assert [(n["score"], n["comment"]) for n in body["nps"]] == [(4, "Slow exports")]
    assert [t["subject"] for t in body["tickets"]] == ["Export fails on large files"]
    assert body["renewal_on"] == "2025-12-01"


def test_another_csms_account_is_not_found_like_one_that_does_not_exist(company):
    csm = company.token("csm1@x.example")

    theirs = company.client.get("/api/v1/accounts/double", headers=csm)
    missing = company.client.get("/api/v1/accounts/nope", headers=csm)

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == {
        "error": {
            "code": "not_found",
            "message": "no account with id 'double'",
            "field": None,
        }
    }
    assert missing.json()["error"]["message"] == "no account with id 'nope'"


def test_a_note_with_categories_goes_on_the_timeline_and_in_the_audit_log(company):
    csm = company.token("csm1@x.example")
    note = {
        "body": "Asked again for SSO with Okta",
        "kind": "call",
        "categories": ["feature_gap", "Integration friction", "feature_gap"],
    }

    created = company.client.post("/api/v1/accounts/good/notes", json=note, headers=csm)
    timeline = company.client.get("/api/v1/accounts/good/timeline", headers=csm)

    assert created.status_code == 201, created.text
    assert created.json()["categories"] == ["feature_gap", "integration_friction"]
    first = timeline.json()[0]
    assert (first["kind"], first["body"], first["who"]) == (
        "call",
        "Asked again for SSO with Okta",
        "Cam One",
    )
    with company.workspace.store.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "note.added")
        ).one()
        note = session.scalars(
            select(Note).where(Note.body == "Asked again for SSO with Okta")
        ).one()
    assert entry.detail["note"] == note.id
    assert (entry.actor, entry.entity, entry.entity_id) == (
        "csm1@x.example",
        "account",
        "good",
    )


def test_a_read_only_user_may_read_but_not_write(company):
    viewer = company.token("viewer@x.example")

    read = company.client.get("/api/v1/accounts/double", headers=viewer)
    write = company.client.post(
        "/api/v1/accounts/double/notes", json={"body": "hello"}, headers=viewer
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert write.json()["error"] == {
        "code": "forbidden",
        "message": "viewer@x.example is read-only and may not change account 'double'",
        "field": None,
    }


def test_a_stage_change_is_kept_in_the_lifecycle_history(company):
    manager = company.token("lead@x.example")

    response = company.client.put(
        "/api/v1/accounts/late/stage",
        json={"stage": "training_setup", "reason": "kick-off done"},
        headers=manager,
    )

    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "training_setup"
    with company.workspace.store.session() as session:
        move = session.scalars(
            select(LifecycleChange).order_by(LifecycleChange.id.desc())
        ).first()
    assert (move.from_stage, move.stage, move.changed_by, move.reason) == (
        "onboarding",
        "training_setup",
        "lead@x.example",
        "kick-off done",
    )


def test_an_unknown_stage_names_the_field_and_the_choices(company):
    manager = company.token("lead@x.example")

    response = company.client.put(
        "/api/v1/accounts/late/stage", json={"stage": "happy"}, headers=manager
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid", "stage")
    assert error["message"].startswith("unknown lifecycle stage 'happy'; use one of ")


def test_tags_are_added_once_and_removed(company):
    csm = company.token("csm1@x.example")
    post = company.client.post

    post("/api/v1/accounts/good/tags", json={"tag": "Recovery"}, headers=csm)
    again = post("/api/v1/accounts/good/tags", json={"tag": "Recovery"}, headers=csm)
    removed = company.client.delete("/api/v1/accounts/good/tags/Recovery", headers=csm)

    assert again.json() == {"stage": "renewal_risk", "tags": ["Recovery"]}
    assert removed.json()["tags"] == []


def test_a_tag_with_a_slash_is_removed_like_any_other(company):
    csm = company.token("csm1@x.example")
    company.client.post(
        "/api/v1/accounts/good/tags", json={"tag": "EU/DE"}, headers=csm
    )

    removed = company.client.delete("/api/v1/accounts/good/tags/EU%2FDE", headers=csm)

    assert removed.status_code == 200
    assert removed.json()["tags"] == []


def test_validation_errors_have_the_one_error_shape(company):
    csm = company.token("csm1@x.example")

    empty = company.client.post(
        "/api/v1/accounts/good/notes", json={"body": ""}, headers=csm
    )
    bad_limit = company.client.get("/api/v1/accounts?limit=0", headers=csm)

    assert empty.status_code == bad_limit.status_code == 422
    assert empty.json()["error"]["field"] == "body"
    assert empty.json()["error"]["code"] == "invalid"
    assert bad_limit.json()["error"]["field"] == "limit"


def test_no_token_or_a_bad_one_is_401(company):
    nothing = company.client.get("/api/v1/accounts")
    wrong = company.client.get(
        "/api/v1/accounts", headers={"Authorization": "Bearer stw_not-a-token"}
    )

    assert nothing.status_code == wrong.status_code == 401
    assert nothing.json()["error"]["code"] == "unauthorized"
    assert wrong.json()["error"]["message"] == "the API token is unknown or revoked"


def test_the_portfolio_counts_what_the_caller_may_see(company):
    manager = company.token("lead@x.example")
    csm = company.token("csm2@x.example")

    everyone = company.client.get("/api/v1/portfolio", headers=manager).json()
    own = company.client.get("/api/v1/portfolio", headers=csm).json()

    assert everyone["by_band"] == {"at_risk": 3}
    assert everyone["arr_at_risk"] == 12000 + 20000 + 8000
    assert (everyone["renewals_due"], everyone["renewals_arr"]) == (1, 20000)
    assert own["by_band"] == {"at_risk": 1}
    assert own["arr_at_risk"] == 20000
    assert sum(everyone["distribution"]) == 3


def _account_id(session, key: str) -> int:
    from steward.store.models import Account

    return session.scalar(select(Account.id).where(Account.external_id == key))


def test_accounts_without_a_score_come_last_on_every_page(company, tmp_path):
    unscored = tmp_path / "unscored.csv"
    unscored.write_text("external_id,name\nzed,Zed AG\nabc,Abc BV\n")
    invoke("import", str(unscored), "--kind", "accounts")
    manager = company.token("lead@x.example")
    get = company.client.get

    pages = [
        _ids(get(f"/api/v1/accounts?limit=2&offset={offset}", headers=manager))
        for offset in (0, 2, 4)
    ]
    past_the_scored = _ids(get("/api/v1/accounts?limit=1&offset=4", headers=manager))
    riskiest_last = _ids(get("/api/v1/accounts?desc=true", headers=manager))
    searched = _ids(get("/api/v1/accounts?q=a", headers=manager))

    assert pages == [["double", "late"], ["good", "abc"], ["zed"]]
    assert past_the_scored == ["zed"]
    assert riskiest_last == ["good", "double", "late", "abc", "zed"]
    assert searched == ["late", "abc", "zed"]
