"""Every page of every role at 360x740 in Spanish: the menu leaves at least 60 % of the first
screen to the page, and nothing is wider than the phone.

The demo world (a small one) is built once; each demo account's pages are found by walking
its menu and the pages a click or two away with a test client (tests/integration/pages.py),
then Chromium opens each of them signed in as that account and measures it.
"""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select

from marketplace.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.models import User
from tests.browser.conftest import HEIGHT, log_in
from tests.browser.test_journeys import overflow
from tests.integration.pages import walk

CONTENT_SHARE = 0.60  # of the first screen, left below the header and the menu
PRODUCERS = 400


def _pages_of(app: Flask, email: str | None) -> list[str]:
    client = app.test_client()
    if email is not None:
        data = {"identifier": email, "password": DEMO_PASSWORD}
        assert client.post("/ingresar", data=data).status_code == 302
    start = ["/"] if email else ["/", "/catalogo", "/impacto"]
    return [
        page.url
        for page in walk(app, client, start, per_endpoint=1)
        if page.mimetype == "text/html"
    ]


def _content_top(page: Page) -> float:
    return page.evaluate("() => document.getElementById('main').getBoundingClientRect().top")


def test_every_page_of_every_role_leaves_the_screen_to_its_content(app, page: Page) -> None:
    result = app.test_cli_runner().invoke(
        args=["demo-data", "--seed", "2026", "--producers", str(PRODUCERS)]
    )
    assert result.exit_code == 0, result.output
    problems, measured = [], 0
    for email in [None, *(account.email for account in DEMO_ACCOUNTS)]:
        urls = _pages_of(app, email)
        page.context.clear_cookies()
        if email is not None:
            log_in(page, db.session.scalar(select(User).where(User.email == email)), DEMO_PASSWORD)
        for url in urls:
            page.goto(url)
            measured += 1
            top = _content_top(page)
            if top > (1 - CONTENT_SHARE) * HEIGHT:
                problems.append(f"{email} {url}: the page starts at {top:.0f} px")
            if (wide := overflow(page)) is not None:
                problems.append(f"{email} {url}: {wide}")
    print(f"\n{measured} pages measured")
    assert measured > 100  # a changed link must not quietly shrink the walk
    assert not problems, "\n".join(problems)
