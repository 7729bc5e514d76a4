"""Voice of the customer: the monthly report against counts worked out here, the
accounts gone quiet this quarter, formula-safe CSV and the signed webhook.

Notes are drawn at random (seeded) over eight months; the expected figures are
counted from that list with plain Python, not through the report's code.
"""

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import random
from collections import defaultdict

import pytest
from sqlalchemy import select

from steward.accounts.notes import add_note
from steward.config import Settings
from steward.errors import ConfigInvalid
from steward.notify.deliver import deliver_due
from steward.reports.voice import VoiceConfig, load_voice_config, report_csv
from steward.reports.voice_service import quiet_accounts, send_report, voice_report
from steward.store.models import Account, Note, User
from tests.servers import running_receiver

MONTH = dt.date(2026, 6, 1)
CONFIG = VoiceConfig(
    categories={
        "feature_gap": "Feature gap",
        "documentation_confusion": "Documentation confusion",
        "integration_friction": "Integration friction",
        "pricing_pushback": "Pricing pushback",  # the team's own
    },
    trend_months=4,
    quotes=2,
)
# Tags that are not customer voice, mixed in to check they are left out.
OTHER = ["renewal", "champion_left"]
SECRET = "product-team-secret"


def _accounts(session) -> list[Account]:
    csm = User(email="cam@x.example", name="Cam", role="csm")
    session.add(csm)
    session.flush()
    accounts = [
        Account(
            external_id=f"acc-{n:02d}",
            name='=HYPERLINK("http://x")' if n == 0 else f"Account {n}",
            arr=1000.0 * (n + 1),
            csm_id=csm.id,
            lifecycle_stage="churned" if n == 11 else "adoption",
        )
        for n in range(12)
    ]
    session.add_all(accounts)
    session.flush()
    return accounts


def _draw_notes(accounts: list[Account]) -> list[dict]:
    rng = random.Random(20260601)
    names = [*CONFIG.categories, *OTHER]
    notes = []
    for n in range(240):
        # Accounts 9 and 10 get no note at all; 8 only before April.
        account = accounts[rng.randrange(9)]
        day = dt.date(2025, 11, 1) + dt.timedelta(days=rng.randrange(242))
        if account.external_id == "acc-08" and day >= dt.date(2026, 4, 1):
            continue
        tags = rng.sample(names, rng.choice([0, 1, 1, 2]))
        at = dt.datetime.combine(day, dt.time(rng.randrange(24)), dt.UTC)
        notes.append(dict(account=account, at=at, tags=tags, body=f"note {n} said"))
    return notes


@pytest.fixture
def voice_store(store):
    with store.session() as session:
        accounts = _accounts(session)
        notes = _draw_notes(accounts)
        for note in notes:
            session.add(
                Note(
                    account_id=note["account"].id,
                    body=note["body"],
                    kind="call",
                    categories=note["tags"],
                    created_at=note["at"],
                )
            )
        expected = [
            dict(
                key=n["account"].external_id,
                name=n["account"].name,
                arr=n["account"].arr,
                at=n["at"],
                tags=n["tags"],
                body=n["body"],
            )
            for n in notes
        ]
    return store, expected


def _months_back(month: dt.date, count: int) -> list[dt.date]:
    months = []
    for _ in range(count):
        months.insert(0, month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


def test_monthly_report_matches_counts_worked_out_by_hand(voice_store):
    store, notes = voice_store
    counts = defaultdict(int)
    accounts = defaultdict(dict)
    bodies = defaultdict(list)
    for note in notes:
        month = note["at"].date().replace(day=1)
        for tag in set(note["tags"]) & set(CONFIG.categories):
            counts[tag, month] += 1
            if month == MONTH:
                accounts[tag][note["key"]] = note["arr"]
                bodies[tag].append((note["at"], note["body"]))
    months = _months_back(MONTH, 4)

    with store.session() as session:
        report = voice_report(session, MONTH, CONFIG)

    assert [row.category for row in report.rows] == list(CONFIG.categories)
    for row in report.rows:
        assert row.notes == counts[row.category, MONTH]
        assert row.previous == counts[row.category, months[-2]]
        assert row.trend == [(m, counts[row.category, m]) for m in months]
        assert row.accounts == len(accounts[row.category])
        assert row.arr == sum(accounts[row.category].values())
        newest = [body for _, body in sorted(bodies[row.category], reverse=True)][:2]
        assert [quote.text for quote in row.quotes] == newest
    voice_in_month = [
        n
        for n in notes
        if n["at"].date().replace(day=1) == MONTH
        and set(n["tags"]) & set(CONFIG.categories)
    ]
    assert report.notes == len(voice_in_month)
    assert report.accounts == len({n["key"] for n in voice_in_month})
    assert sum(row.notes for row in report.rows) > report.notes  # some have two tags


def test_accounts_without_a_voice_note_this_quarter_are_listed(voice_store):
    store, notes = voice_store
    today = dt.date(2026, 6, 20)
    quarter = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    heard = {
        n["key"]
        for n in notes
        if n["at"] >= quarter and set(n["tags"]) & set(CONFIG.categories)
    }
    expected = {f"acc-{n:02d}" for n in range(11)} - heard  # acc-11 has churned

    with store.session() as session:
        quiet = quiet_accounts(session, today, CONFIG)

    assert {row.key for row in quiet} == expected
    assert {"acc-08", "acc-09", "acc-10"} <= expected
    assert [row.arr for row in quiet] == sorted(
        (row.arr for row in quiet), reverse=True
    )
    last = {row.key: row.last_voice_on for row in quiet}
    assert last["acc-09"] is None


def test_the_csv_export_never_starts_a_cell_with_a_formula(voice_store):
    store, _ = voice_store
    with store.session() as session:
        note_month = dt.datetime(2026, 6, 30, 23, tzinfo=dt.UTC)
        account = session.scalar(select(Account).where(Account.external_id == "acc-00"))
        session.add(
            Note(
                account_id=account.id,
                body="-1 for the export",
                kind="call",
                categories=["feature_gap"],
                created_at=note_month,
            )
        )
    with store.session() as session:
        report = voice_report(session, MONTH, CONFIG)

    rows = list(csv.reader(io.StringIO("".join(report_csv(report)))))

    assert rows[0][:4] == ["month", "category", "label", "notes"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    gap = next(row for row in rows if row[1] == "feature_gap")
    assert gap[8].startswith('\'=HYPERLINK("http://x"): -1 for the export')


def test_the_report_goes_to_the_product_webhook_once_signed(voice_store, tmp_path):
    store, _ = voice_store
    with running_receiver() as receiver:
        settings = Settings(
            home=tmp_path,
            webhooks={"product": {"url": f"{receiver.url}/voc", "secret": SECRET}},
        )
        with store.session() as session:
            report = voice_report(session, MONTH, CONFIG)
            first = send_report(session, report, "product", "cam@x.example")
            again = send_report(session, report, "product", "cam@x.example")

        delivered = deliver_due(store, settings)

    assert (first, again) == (True, False)
    assert delivered.sent == 1
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["event"] == "voice_of_customer.monthly"
    assert body["month"] == "2026-06"
    assert [c["notes"] for c in body["categories"]] == [r.notes for r in report.rows]
    stamp, mac = (
        p.split("=", 1)[1] for p in request.headers["X-Steward-Signature"].split(",")
    )
    expected = hmac.new(
        SECRET.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert mac == expected
    assert request.headers["X-Steward-Idempotency-Key"] == "voice:2026-06:product"


def test_notes_tagged_on_the_account_page_count_in_the_report(store):
    with store.session() as session:
        _accounts(session)
        cam = session.scalar(select(User))
        note = add_note(
            session,
            cam,
            "acc-03",
            body="No Salesforce sync",
            kind="call",
            categories=["Integration friction"],
        )
        month = note.created_at.date().replace(day=1)

        report = voice_report(session, month, CONFIG)

    row = next(r for r in report.rows if r.category == "integration_friction")
    assert (row.notes, row.accounts, row.arr) == (1, 1, 4000.0)
    assert row.quotes[0].text == "No Salesforce sync"


def test_a_bad_category_in_the_voice_file_is_named(tmp_path):
    path = tmp_path / "voice.yaml"
    path.write_text("categories:\n  Pricing Pushback: Pricing\n")

    with pytest.raises(ConfigInvalid) as refused:
        load_voice_config(path)

    assert str(refused.value) == (
        f"{path}: categories: category 'Pricing Pushback' must be 2 to 40 lower-case "
        "letters, digits or underscores, starting with a letter, e.g. pricing_pushback"
    )
