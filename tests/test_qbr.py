"""QBR decks for a demo account and a RavenStack account, read back with python-pptx,
with the PDF rendered to images.

Each account's plan links KPIs to metrics the daily run stored on the day of
the last review and on the review day; the test reads those rows itself and
checks that every goal sits beside its result.
"""

import datetime as dt
from pathlib import Path

import pytest
from pptx import Presentation
from typer.testing import CliRunner

from steward.cli.main import app
from steward.config import Settings
from steward.demo import generate_company
from steward.ingest import import_mapping
from steward.jobs.run import run_daily
from steward.reports.qbr import FIRST_TITLE
from steward.reports.review import make_review
from steward.workspace import Workspace
from tests.qbr_helpers import (
    check_goals,
    first_slide_rows,
    make_plan,
    measured,
    pdf_pages,
    scored_twice,
    slide_titles,
)

ROOT = Path(__file__).parents[1] / "steward"
SLIDES = [
    FIRST_TITLE,
    "Health trend",
    "Adoption trend",
    "Milestones reached and missed",
    "Support and NPS",
    "Agreed next steps",
]
runner = CliRunner()


def _company(home: Path, source: Path, mapping: Path, days: list[dt.date]) -> Workspace:
    workspace = Workspace(Settings(home=home, database_url=None))
    workspace.init()
    import_mapping(workspace.store, workspace.events, mapping, source)
    for day in days:
        run_daily(workspace, day)
    return workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("qbr-demo")
    review, day = dt.date(2026, 3, 31), dt.date(2026, 6, 30)
    generate_company(root / "source", as_of=day, seed=7, accounts=40)
    workspace = _company(
        root / "home", root / "source", ROOT / "demo" / "mapping.yaml", [review, day]
    )
    yield workspace, review, day
    workspace.close()


@pytest.fixture(scope="module")
def ravenstack(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("qbr-ravenstack")
    review, day = dt.date(2024, 9, 30), dt.date(2024, 12, 31)
    workspace = _company(
        root / "home",
        shared_data / "saas_ravenstack",
        ROOT / "ingest" / "mappings" / "ravenstack.yaml",
        [review, day],
    )
    yield workspace, review, day
    workspace.close()


def _deck_for(workspace, review, day, metrics, out: Path, strategic=False):
    with workspace.store.session() as session:
        key = scored_twice(session, review, day, metrics)
        goals = make_plan(session, key, review - dt.timedelta(days=60), review, metrics)
    with workspace.store.session() as session:
        then = {m: measured(session, key, review, m) for m in metrics}
        now = {m: measured(session, key, day, m) for m in metrics}
    files = make_review(workspace, key, as_of=day, out_dir=out, strategic=strategic)
    return files, goals, then, now


def test_a_demo_accounts_deck_opens_with_its_goals_beside_their_results(demo, tmp_path):
    workspace, review, day = demo
    metrics = ["seat_utilisation", "active_users", "logins"]

    files, goals, then, now = _deck_for(workspace, review, day, metrics, tmp_path)

    title, rows = first_slide_rows(files.pptx)
    assert title == FIRST_TITLE
    check_goals(rows, goals, then, now)
    assert slide_titles(files.pptx) == SLIDES
    pages = pdf_pages(files.pdf)
    assert len(pages) == len(SLIDES)
    assert all(page.convert("L").getextrema()[0] < 128 for page in pages)


def test_the_deck_measures_since_the_last_review_held(demo, tmp_path):
    workspace, review, day = demo
    metrics = ["seat_utilisation"]

    files, *_ = _deck_for(workspace, review, day, metrics, tmp_path)

    table = Presentation(str(files.pptx)).slides[0].shapes
    header = next(s.table for s in table if s.has_table).cell(0, 1).text
    assert header == f"Your result since the last review on {review}"


def test_trends_are_charts_and_next_steps_come_from_the_plan(demo, tmp_path):
    workspace, review, day = demo

    files, *_ = _deck_for(workspace, review, day, ["active_users"], tmp_path)

    slides = Presentation(str(files.pptx)).slides
    pictures = [sum(1 for s in slide.shapes if s.shape_type == 13) for slide in slides]
    assert pictures == [0, 1, 1, 0, 0, 0]
    steps = next(s.table for s in slides[5].shapes if s.has_table)
    assert [steps.cell(1, c).text for c in range(4)] == [
        "Invite every analyst",
        "Dana",
        "Customer",
        str(review + dt.timedelta(days=60)),
    ]
    milestones = next(s.table for s in slides[3].shapes if s.has_table)
    assert milestones.cell(1, 0).text == "Reporting live"
    assert milestones.cell(1, 1).text == "Missed"


def test_the_strategic_value_review_adds_roi_and_the_peer_benchmark(demo, tmp_path):
    workspace, review, day = demo

    files, *_ = _deck_for(
        workspace, review, day, ["seat_utilisation"], tmp_path, strategic=True
    )

    slides = Presentation(str(files.pptx)).slides
    titles = [slide.shapes.title.text for slide in slides]
    assert titles == [
        *SLIDES,
        "Return on investment",
        "How you compare with your peers",
    ]
    value = next(s.table for s in slides[6].shapes if s.has_table)
    # Hours saved went from a baseline of 0 to 25, at 40 a unit.
    assert [value.cell(1, c).text for c in range(4)] == [
        "Hours saved",
        "25.0",
        "40.00",
        "1,000",
    ]
    assert len(pdf_pages(files.pdf)) == len(titles)


def test_a_ravenstack_accounts_deck_opens_with_its_goals_beside_their_results(
    ravenstack, tmp_path
):
    workspace, review, day = ravenstack
    metrics = ["feature_breadth", "events_total"]

    files, goals, then, now = _deck_for(workspace, review, day, metrics, tmp_path)

    title, rows = first_slide_rows(files.pptx)
    assert title == FIRST_TITLE
    check_goals(rows, goals, then, now)
    pages = pdf_pages(files.pdf)
    assert len(pages) == len(SLIDES)
    assert all(page.width > page.height for page in pages)


def test_qbr_command_writes_the_deck_and_refuses_an_account_without_a_plan(
    demo, tmp_path, monkeypatch
):
    workspace, review, day = demo
    monkeypatch.setenv("STEWARD_HOME", str(workspace.settings.home))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    with workspace.store.session() as session:
        key = scored_twice(session, review, day, ["active_users"])
        make_plan(session, key, review, review, ["active_users"])
    args = ["qbr", key, "--as-of", str(day), "--out", str(tmp_path), "--no-pdf"]

    made = runner.invoke(app, args)
    refused = runner.invoke(app, ["qbr", "A0001", "--out", str(tmp_path)])

    assert made.exit_code == 0, made.output
    assert made.output.strip() == str(tmp_path / f"qbr-{key}-{day}.pptx")
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "Error: account 'A0001' has no active success plan, and a review opens with "
        "the customer's goals: create one with `steward plan create A0001 --title "
        "...` or on the account's Plans page"
    )
