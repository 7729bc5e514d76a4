"""A manager's revenue pages in a real browser: Debian's Chromium by Playwright.

Reports with their charts drawn, an outcome logged in place on the renewals
page, capacity and an account's peer benchmark. Screenshots go to
test-artifacts/ like the other browser tests'.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

# The browser, the served web company and the page with its error log.
from tests.test_web_browser import browser, page, server, shot, sign_in  # noqa: F401

PERIOD = "from=2024-11-01&to=2024-12-31"


def _all_drawn(page: Page) -> int:  # noqa: F811 - the fixture's page
    charts = page.locator("canvas[data-chart]")
    for index in range(charts.count()):
        expect(charts.nth(index)).to_have_attribute("data-drawn", "true")
    return charts.count()


def test_a_manager_reads_reports_logs_a_renewal_and_checks_capacity(
    page: Page,  # noqa: F811 - the fixture
):
    sign_in(page, "lead@x.example")

    page.goto(f"/reports?{PERIOD}&by=csm")
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    # A chart per report with rows: retention, cohorts, ttv, nps, effort.
    assert _all_drawn(page) == 5
    # The 20-column retention table is turned round and the page fits.
    expect(page.locator("#report-retention table.transposed")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
    shot(page, "20-reports")

    page.goto("/renewals?within=90")
    row = page.locator("tr[data-contract='c-double']")
    assert _all_drawn(page) == 1
    row.get_by_label("Outcome").select_option("expanded")
    row.get_by_label("New ARR").fill("26000")
    row.get_by_label("Reason").select_option("seat_growth")
    row.get_by_label("Closed on").fill("2024-12-20")
    row.get_by_role("button", name="Log").click()
    expect(page.locator("tr[data-contract='c-double'] td.outcome")).to_have_text(
        "Expanded at 26,000"
    )
    # The forecast and its chart follow the outcome without a reload.
    within_90 = page.locator("article.forecast[data-days='90'] .expected")
    expect(within_90).to_have_text("26,000")
    assert _all_drawn(page) == 1
    shot(page, "21-renewals")

    page.goto("/capacity")
    assert _all_drawn(page) == 2
    expect(page.locator("table.loads tbody tr")).to_have_count(2)
    shot(page, "22-capacity")

    page.goto("/accounts/good/benchmark")
    expect(page.locator(".peer-group")).to_contain_text("every account")
    assert _all_drawn(page) == 1
    shot(page, "23-benchmark")

    assert page.errors == []
