"""Users and API tokens through the API: admins only, tokens hashed at rest."""

from sqlalchemy import select

from steward.store.models import ApiToken, User


def test_an_admin_adds_a_user_who_can_then_sign_in(company):
    admin = company.token("admin@x.example")
    new = {
        "email": "New.Person@x.example",
        "name": "New Person",
        "role": "csm",
        "password": "a long enough secret",
    }

    created = company.client.post("/api/v1/users", json=new, headers=admin)
    company.sign_in("new.person@x.example", "a long enough secret")
    home = company.client.get("/")

    assert created.status_code == 201, created.text
    assert created.json()["email"] == "new.person@x.example"
    assert home.status_code == 200


def test_the_same_email_twice_is_a_conflict(company):
    admin = company.token("admin@x.example")
    again = {
        "email": "csm1@x.example",
        "name": "X",
        "role": "csm",
        "password": "a long enough secret",
    }

    response = company.client.post("/api/v1/users", json=again, headers=admin)

    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "a user with email 'csm1@x.example' exists already"
    )


def test_a_short_password_is_refused_with_its_rule(company):
    admin = company.token("admin@x.example")
    short = {"email": "s@x.example", "name": "S", "role": "csm", "password": "short"}

    response = company.client.post("/api/v1/users", json=short, headers=admin)

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "the password has 5 characters; use at least 10",
        "field": "password",
    }


def test_a_password_of_one_repeated_character_is_refused(company):
    admin = company.token("admin@x.example")
    spaces = {"email": "s@x.example", "name": "S", "role": "csm", "password": " " * 12}

    response = company.client.post("/api/v1/users", json=spaces, headers=admin)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "password"
    assert response.json()["error"]["message"].startswith(
        "the password repeats one or two characters"
    )


def test_only_an_admin_manages_users(company):
    lead = company.token("lead@x.example")

    listing = company.client.get("/api/v1/users", headers=lead)

    assert listing.status_code == 403
    assert listing.json()["error"]["message"] == (
        "only an admin manages users and API tokens; lead@x.example is manager"
    )


def test_an_admin_cannot_take_away_their_own_admin_role(company):
    admin = company.token("admin@x.example")
    me = company.client.get("/api/v1/me", headers=admin).json()

    response = company.client.patch(
        f"/api/v1/users/{me['id']}", json={"role": "csm"}, headers=admin
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "role"


def test_a_switched_off_user_loses_their_tokens_and_sessions(company):
    admin = company.token("admin@x.example")
    csm = company.token("csm1@x.example")
    company.sign_in("csm1@x.example")
    csm_id = company.client.get("/api/v1/me", headers=csm).json()["id"]

    company.client.patch(
        f"/api/v1/users/{csm_id}", json={"active": False}, headers=admin
    )
    api = company.client.get("/api/v1/me", headers=csm)
    page = company.client.get("/tasks", follow_redirects=False)

    assert api.status_code == 401
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/tasks"


def test_a_token_is_shown_once_stored_hashed_and_dies_when_revoked(company):
    admin = company.token("admin@x.example")
    lead_id = company.client.get(
        "/api/v1/me", headers=company.token("lead@x.example")
    ).json()["id"]

    issued = company.client.post(
        "/api/v1/tokens", json={"user_id": lead_id, "name": "sync"}, headers=admin
    ).json()
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    before = company.client.get("/api/v1/me", headers=bearer)
    company.client.post(f"/api/v1/tokens/{issued['id']}/revoke", headers=admin)
    after = company.client.get("/api/v1/me", headers=bearer)

    assert before.json()["email"] == "lead@x.example"
    assert after.status_code == 401
    with company.workspace.store.session() as session:
        stored = session.get(ApiToken, issued["id"])
        assert issued["token"] not in (stored.token_hash, stored.prefix, stored.name)
        assert stored.revoked_at is not None
        assert session.scalar(select(User.email).where(User.id == lead_id))
    listed = company.client.get("/api/v1/tokens", headers=admin).json()
    assert all("token" not in token for token in listed)
