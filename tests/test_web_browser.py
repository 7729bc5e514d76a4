"""A CSM's morning in a real browser: Debian's Chromium driven by Playwright.

Sign in, open the most at-risk account, read why, complete a task, add a
note. A screenshot of every page goes to test-artifacts/ (kept by CI).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from steward.web.app import create_app
from tests.web_company import PASSWORD

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "Debian's chromium is not installed: apt-get install -y chromium "
            "(.ci/run does this when it is missing)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def server(sqlite_company) -> Iterator[str]:
    """The company's app served over loopback by uvicorn in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(sqlite_company.workspace)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}
    )
    opened = context.new_page()
    opened.errors = []  # console errors and CSP violations, checked at the end
    opened.on(
        "console",
        lambda message: message.type == "error" and opened.errors.append(message.text),
    )
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    shot(page, "01-sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Portfolio")).to_be_visible()


def test_a_csm_signs_in_reads_why_completes_a_task_and_adds_a_note(page: Page):
    sign_in(page, "csm1@x.example")
    expect(page.locator("canvas[data-chart]").first).to_have_attribute(
        "data-drawn", "true"
    )
    shot(page, "02-dashboard")

    # The most at-risk account is the first row of the list.
    page.get_by_role("link", name="Accounts", exact=True).click()
    first = page.locator("table.accounts tbody a").first
    expect(first).to_have_text("Late Ltd")
    shot(page, "03-accounts")
    first.click()
    expect(page.get_by_role("heading", name="Late Ltd")).to_be_visible()

    # Why: the factors, lowest points first, and the usage chart loaded by htmx.
    why = page.locator("#why")
    expect(why.get_by_role("heading", name="Why: each factor's points")).to_be_visible()
    points = [
        float(cell)
        for cell in why.locator("tbody tr td:nth-child(3)").all_inner_texts()
    ]
    assert points and points == sorted(points)
    expect(page.locator("#usage h2")).to_have_text("Usage")
    shot(page, "04-account-360")

    # Complete the account's task from the inbox.
    page.get_by_role("link", name="Tasks", exact=True).click()
    task = page.locator(
        "article.task", has_text="Late Ltd: onboarding milestone missed"
    )
    expect(task).to_have_class("task task-open overdue")
    shot(page, "05-tasks")
    task.get_by_role("button", name="Complete").click()
    expect(task.locator(".status")).to_have_text("Done")
    shot(page, "06-task-done")

    # Add a note with a voice-of-customer category; the form clears itself.
    page.goto("/accounts/late")
    page.get_by_label("Add a note").fill("Champion on leave until January")
    page.get_by_label("Feature gap").check()
    page.get_by_role("button", name="Add note").click()
    newest = page.locator("#timeline li").first
    expect(newest).to_contain_text("Champion on leave until January")
    expect(newest.locator("mark.category")).to_have_text("Feature gap")
    expect(page.get_by_label("Add a note")).to_have_value("")
    shot(page, "07-note-added")

    assert page.errors == []


def test_an_admin_issues_an_api_token_in_the_browser(page: Page):
    sign_in(page, "admin@x.example")

    page.get_by_role("link", name="Admin").click()
    page.get_by_label("Token name").fill("warehouse sync")
    page.get_by_role("button", name="Issue token").click()

    expect(page.locator("#issued-token")).to_contain_text("stw_")
    shot(page, "08-admin")
    assert page.errors == []
