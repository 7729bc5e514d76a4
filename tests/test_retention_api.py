"""Reports and benchmarks through the API and the web app, in-process.

The company (tests/web_company.py): double's contract started on 13 Nov 2024
(20,000 ARR), late's and good's on 2 Dec (12,000 and 8,000); good's users
logged in on 3 Dec, completed a core workflow on 4 Dec and were both active
by 5 Dec (2 seats); good answered NPS 4 on 12 Dec. Scored on 23 Dec.
"""

import csv
import io
import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from steward.cli.main import app as cli
from steward.store.models import HealthScore
from tests.web_company import page

DECEMBER = "from=2024-12-01&to=2024-12-23"


def _get(company, path: str, email: str = "lead@x.example"):
    response = company.client.get(path, headers=company.token(email))
    assert response.status_code == 200, response.text
    return response.json()


def test_retention_for_a_period_by_csm(company):
    # On 1 Dec only double (csm2) pays; it still pays on 23 Dec. late and good
    # (csm1) are new customers, their ninetieth day after today's data.
    body = _get(company, f"/api/v1/reports/retention?{DECEMBER}&by=csm")

    rows = {row["group"]: row for row in body["rows"]}
    assert (body["from"], body["to"], body["by"]) == ("2024-12-01", "2024-12-23", "csm")
    assert list(rows) == ["Cam One", "Cat Two", "All"]
    assert (rows["Cat Two"]["arr_start"], rows["Cat Two"]["nrr"]) == (20000, 1.0)
    assert rows["Cam One"]["accounts_start"] == 0
    assert rows["Cam One"]["grr"] is None
    assert rows["Cam One"]["new_customers"] == 2
    assert rows["All"]["new_customers"] == 2
    # Their ninetieth days (2 March 2025) come after the latest run: not judged.
    assert (rows["All"]["new_judged"], rows["All"]["churn_90d"]) == (0, None)
    assert [c["key"] for c in body["columns"]][:6] == [
        "group",
        "accounts_start",
        "arr_start",
        "arr_end",
        "grr",
        "nrr",
    ]


def test_a_csm_reports_on_their_own_book(company):
    body = _get(
        company, f"/api/v1/reports/retention?{DECEMBER}&by=csm", "csm1@x.example"
    )

    assert [row["group"] for row in body["rows"]] == ["Cam One", "All"]
    assert body["rows"][-1]["accounts_start"] == 0


def test_time_to_value_and_nps_from_the_daily_run(company):
    ttv = _get(company, "/api/v1/reports/ttv?from=2024-11-01&to=2024-12-23")
    nps = _get(company, f"/api/v1/reports/nps?{DECEMBER}")

    # good reached each milestone, 1, 2 and 3 days after its 2 Dec start; late
    # and double reached none.
    rows = [
        (r["milestone"], r["accounts"], r["reached"], r["median_days"])
        for r in ttv["rows"]
    ]
    assert rows == [
        ("first_login", 3, 1, 1.0),
        ("first_core_workflow", 3, 1, 2.0),
        ("seat_activation", 3, 1, 3.0),
    ]
    assert all(r["waiting"] + r["missed"] == 2 for r in ttv["rows"])
    months = {
        r["month"]: (r["answers"], r["detractors"], r["nps"]) for r in nps["rows"]
    }
    assert months == {"2024-12": (1, 1, -100.0), "all": (1, 1, -100.0)}


def test_cohorts_on_contracts_by_signing_month(company):
    body = _get(company, "/api/v1/reports/cohorts?from=2024-11-01&to=2024-12-31")

    # By 31 December, November's cohort (double) has months 0 and 1 (month 1
    # is 13 December, when its contract still runs); December's (late and
    # good) has month 0 only.
    assert body["notes"] == ["basis: contracts"]
    rows = [(r["cohort"], r["accounts"], r["month"], r["share"]) for r in body["rows"]]
    assert rows == [
        ("2024-11", 1, 0, 1.0),
        ("2024-11", 1, 1, 1.0),
        ("2024-12", 2, 0, 1.0),
    ]


def test_csv_export_quotes_cells_that_would_run_as_formulas(company, tmp_path: Path):
    path = tmp_path / "segments.csv"
    path.write_text("external_id,name,segment\ndouble,Double Inc,=HYPERLINK(1)\n")
    imported = CliRunner().invoke(cli, ["import", str(path), "--kind", "accounts"])
    assert imported.exit_code == 0, imported.output
    headers = company.token("lead@x.example")

    response = company.client.get(
        f"/api/v1/reports/retention/export?{DECEMBER}&by=segment", headers=headers
    )

    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # late and good, new customers without a segment, make the "(none)" row.
    assert [row["group"] for row in rows] == ["(none)", "'=HYPERLINK(1)", "All"]
    assert rows[1]["arr_start"] == "20000.0"


def test_an_unknown_grouping_is_refused(company):
    headers = company.token("lead@x.example")

    response = company.client.get("/api/v1/reports/nps?by=region", headers=headers)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "by"


def test_benchmark_widens_a_small_peer_group_and_says_so(company):
    body = _get(company, "/api/v1/accounts/good/benchmark")

    # Three scored accounts, no industries: fewer than 5 peers anywhere.
    assert (body["peer_group"], body["peers"]) == ("every account", 2)
    assert body["size_band"] == "1-10 seats"
    standings = {s["metric"]: s for s in body["standings"]}
    health = standings["health_score"]
    with company.workspace.store.session() as session:
        stored = session.scalars(select(HealthScore.score)).all()
    # good's score is the only one above 0: above both peers.
    assert sorted(stored)[:2] == [0.0, 0.0]
    assert (health["value"], health["peer_median"]) == (max(stored), 0.0)
    assert (health["percentile"], health["better_than"]) == (100.0, 100.0)


def test_the_reports_page_has_a_chart_and_a_csv_link_per_report(sqlite_company):
    client = sqlite_company.sign_in("lead@x.example")

    html = page(client.get(f"/reports?{DECEMBER}&by=csm").text)
    download = client.get(f"/reports/nps.csv?{DECEMBER}")

    sections = [s["id"] for s in html.select("section.report")]
    assert sections == [
        "report-retention",
        "report-cohorts",
        "report-ttv",
        "report-nps",
        "report-effort",
    ]
    links = [a["href"] for a in html.select("section.report a[download]")]
    assert links[0] == f"/reports/retention.csv?{DECEMBER}&by=csm"
    # Twenty columns read better turned round: a column per group.
    wide = html.select_one("#report-retention table.transposed")
    assert [th.get_text() for th in wide.select("thead th")] == [
        "",
        "Cam One",
        "Cat Two",
        "All",
    ]
    grr = wide.select_one("tr[data-key=grr]")
    # Cam One had no customer on 1 December: no GRR. Cat Two's is everyone's.
    assert [td.get_text() for td in grr.select("td")] == ["", "100.0%", "100.0%"]
    chart = json.loads(html.select_one("#report-retention canvas")["data-chart"])
    assert chart["labels"] == ["Cam One", "Cat Two", "All"]
    assert [s["key"] for s in chart["series"]] == [
        "grr",
        "nrr",
        "logo_churn",
        "revenue_churn",
        "churn_90d",
    ]
    # Cat Two kept double's 20,000: GRR and NRR 100%, no churn.
    assert [s["data"][1] for s in chart["series"]][:4] == [100.0, 100.0, 0.0, 0.0]
    assert download.status_code == 200
    assert download.text.splitlines() == [
        "group,month,answers,promoters,passives,detractors,nps",
        # A negative NPS is a number, not text behind a quote.
        "All,2024-12,1,0,0,1,-100.0",
        "All,all,1,0,0,1,-100.0",
    ]
