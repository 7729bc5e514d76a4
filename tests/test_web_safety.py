"""The web app's safety rules, each with the bad input it guards against."""

import csv
import io

import numpy as np
import pytest
from sqlalchemy import func, select

from steward.store.models import Note, Task
from tests.web_company import invoke, page

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> <b>bold</b>'


def _add_note(company, body: str, account: str = "good"):
    token = company.csrf("/")
    return company.client.post(
        f"/accounts/{account}/notes",
        data={"body": body, "kind": "note", "csrf_token": token},
        follow_redirects=False,
    )


def _notes(company) -> int:
    with company.workspace.store.session() as session:
        return session.scalar(select(func.count(Note.id)))


def test_a_note_with_html_is_shown_as_text_never_run(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")

    _add_note(company, XSS)
    html = company.client.get("/accounts/good").text

    timeline = page(html).find(id="timeline")
    assert timeline.find("script") is None
    assert timeline.find("img") is None
    assert timeline.find("b") is None
    assert XSS in timeline.get_text()


def test_only_http_https_and_mailto_become_links(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    body = (
        "docs https://docs.example/a?b=1&c=2, mail mailto:ops@x.example; "
        "not javascript:alert(1) nor JaVaScRiPt:alert(2) nor "
        "data:text/html;base64,PHNjcmlwdD4= nor vbscript:msgbox"
    )

    _add_note(company, body)
    html = company.client.get("/accounts/good").text

    links = page(html).find(id="timeline").find_all("a")
    assert [link["href"] for link in links] == [
        "https://docs.example/a?b=1&c=2",
        "mailto:ops@x.example",
    ]
    assert all(link["rel"] == ["noopener", "noreferrer", "nofollow"] for link in links)
    assert "javascript:alert(1)" in page(html).find(id="timeline").get_text()


def test_a_form_post_without_the_csrf_token_changes_nothing(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    before = _notes(company)

    missing = company.client.post("/accounts/good/notes", data={"body": "hi"})
    wrong = company.client.post(
        "/accounts/good/notes", data={"body": "hi", "csrf_token": "guess"}
    )
    wrong_header = company.client.post(
        "/accounts/good/notes",
        data={"body": "hi"},
        headers={"HX-Request": "true", "X-CSRF-Token": "guess"},
    )

    assert missing.status_code == wrong.status_code == wrong_header.status_code == 403
    assert "security token is missing or out of date" in page(missing.text).get_text()
    assert _notes(company) == before


def test_the_csrf_token_of_another_session_is_refused(sqlite_company):
    company = sqlite_company
    company.sign_in("csm2@x.example")
    stolen = company.csrf("/")
    company.client.cookies.clear()
    company.sign_in("csm1@x.example")

    response = company.client.post(
        "/accounts/good/notes", data={"body": "hi", "csrf_token": stolen}
    )

    assert response.status_code == 403


def test_htmx_sends_the_token_as_a_header_and_gets_a_fragment(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    token = company.csrf("/accounts/good")

    response = company.client.post(
        "/accounts/good/notes",
        data={"body": "Renewal call booked"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )

    fragment = page(response.text)
    assert response.status_code == 200
    assert fragment.find("html") is None
    assert "Renewal call booked" in fragment.find(id="timeline").get_text()


@pytest.mark.parametrize(
    "path",
    [
        "/tasks/1/complete",
        "/tasks/1/snooze",
        "/accounts/good/notes",
        "/accounts/good/stage",
        "/accounts/good/tags",
        "/admin/users",
        "/logout",
    ],
)
def test_nothing_changes_state_on_get(sqlite_company, path):
    company = sqlite_company
    company.sign_in("admin@x.example")

    response = company.client.get(path, follow_redirects=False)

    assert response.status_code == 405
    assert company.client.get("/tasks?who=3").status_code == 200


def test_completing_a_task_by_get_leaves_it_open(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    with company.workspace.store.session() as session:
        task = session.scalars(select(Task).where(Task.status == "open")).first()

    company.client.get(f"/tasks/{task.id}/complete")

    with company.workspace.store.session() as session:
        assert session.get(Task, task.id).status == "open"


def test_another_csms_account_answers_404_on_pages_and_forms(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    before = _notes(company)

    shown = company.client.get("/accounts/double")
    usage = company.client.get("/accounts/double/usage")
    posted = _add_note(company, "sneaky", account="double")

    assert shown.status_code == usage.status_code == posted.status_code == 404
    assert "no account with id 'double'" in page(shown.text).get_text()
    assert _notes(company) == before


def test_a_read_only_user_gets_no_forms_and_is_refused_when_posting(sqlite_company):
    company = sqlite_company
    company.sign_in("viewer@x.example")
    before = _notes(company)

    html = page(company.client.get("/accounts/good").text)
    posted = _add_note(company, "I am read-only")

    assert html.find("form", {"action": "/accounts/good/notes"}) is None
    assert posted.status_code == 403
    assert "viewer@x.example is read-only" in page(posted.text).get_text()
    assert _notes(company) == before


def test_csv_exports_neutralise_spreadsheet_formulas(sqlite_company, tmp_path):
    company = sqlite_company
    evil = tmp_path / "evil.csv"
    evil.write_text(
        "external_id,name,csm_email\n"
        'evil,"=HYPERLINK(""https://x.example"",""click"")",csm1@x.example\n'
        "minus,-2+3+cmd|' /C calc'!A0,csm1@x.example\n"
    )
    invoke("import", str(evil), "--kind", "accounts")
    company.sign_in("csm1@x.example")
    token = company.token("csm1@x.example")

    page_csv = company.client.get("/accounts.csv?sort=name")
    api_csv = company.client.get("/api/v1/accounts/export?sort=name", headers=token)

    for response in (page_csv, api_csv):
        rows = {r["external_id"]: r for r in csv.DictReader(io.StringIO(response.text))}
        assert rows["evil"]["name"] == '\'=HYPERLINK("https://x.example","click")'
        assert rows["minus"]["name"] == "'-2+3+cmd|' /C calc'!A0"
        assert rows["good"]["name"] == "Good Co"


def test_sign_in_never_redirects_off_site(sqlite_company):
    company = sqlite_company
    token = company.csrf("/login")

    response = company.client.post(
        "/login",
        data={
            "email": "csm1@x.example",
            "password": "correct horse battery",
            "csrf_token": token,
            "next": "//evil.example/steal",
        },
        follow_redirects=False,
    )

    assert response.headers["location"] == "/"


def test_a_wrong_password_says_so_without_telling_which_part(sqlite_company):
    company = sqlite_company
    token = company.csrf("/login")

    wrong = company.client.post(
        "/login",
        data={"email": "csm1@x.example", "password": "nope", "csrf_token": token},
    )
    unknown = company.client.post(
        "/login",
        data={"email": "who@x.example", "password": "nope", "csrf_token": token},
    )

    assert wrong.status_code == unknown.status_code == 401
    assert "wrong email or password" in page(wrong.text).get_text()
    assert "wrong email or password" in page(unknown.text).get_text()


def test_pages_forbid_inline_scripts_and_framing(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")

    response = company.client.get("/accounts/good")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert page(response.text).find("script", src=None) is None


def test_the_session_cookie_is_http_only_and_same_site(sqlite_company):
    company = sqlite_company
    token = company.csrf("/login")

    response = company.client.post(
        "/login",
        data={
            "email": "csm1@x.example",
            "password": "correct horse battery",
            "csrf_token": token,
        },
        follow_redirects=False,
    )

    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("steward_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_a_negative_number_in_a_csv_stays_a_number_but_text_is_neutralised():
    from steward.reports.spreadsheet import safe_cell

    assert [safe_cell(v) for v in (-21.4, -3, np.int64(-7), True)] == [
        "-21.4",
        "-3",
        "-7",
        "True",
    ]
    assert safe_cell("-2+3+cmd|' /C calc'!A0") == "'-2+3+cmd|' /C calc'!A0"
    assert safe_cell("=1+1") == "'=1+1"
