"""Browser journeys: a live Minka (CSRF on) served from a thread, driven by Chromium.

The live app is a second app on the same database as the session test app, so rows made by
the factories (which commit) are visible to it, and the per-test `app` fixture still empties
every table after each test. Pages are 360x740, in Spanish (es-PE), like a cheap phone.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db as _db
from marketplace.models import User
from marketplace.models.base import DEFAULT_TIMEZONE
from tests.conftest import PASSWORD, app_config

_ROOT = Path(__file__).resolve().parents[2]

WIDTH, HEIGHT = 360, 740
TIMEOUT_MS = 10_000
CHROMIUM = "/usr/bin/chromium"
RESULTS = _ROOT / "test-results"
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test (`-m "not browser"` skips them)."""
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    setattr(item, f"_minka_{report.when}", report)
    return report


# --- the live server ---------------------------------------------------------------------


class LiveServer:
    """The URL of the running app, and the exceptions it raised while serving."""

    def __init__(self, app: Flask, url: str) -> None:
        self.app = app
        self.url = url
        self.errors: list[str] = []

    def record(self, sender: Flask, exception: BaseException, **extra) -> None:
        self.errors.append(f"{type(exception).__name__}: {exception}")


@pytest.fixture(scope="session")
def live(db_url: str, _schema_app: Flask) -> Iterator[LiveServer]:
    """Minka with CSRF protection on, served on 127.0.0.1 (a free port) from a daemon thread."""
    app = create_app(app_config(db_url, WTF_CSRF_ENABLED=True))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    got_request_exception.connect(live.record, app)
    thread = threading.Thread(target=server.serve_forever, name="minka-live", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        got_request_exception.disconnect(live.record, app)
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live: LiveServer) -> str:
    """The base URL of the live app, e.g. http://127.0.0.1:41234."""
    return live.url


# --- pytest-playwright settings ------------------------------------------------------------


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Replaces pytest-playwright's fallback `base_url` (an instance-method fixture, which
    pytest 9 deprecates: an error under filterwarnings=error)."""
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, live_server: str) -> dict:
    return {
        **browser_context_args,
        "viewport": {"width": WIDTH, "height": HEIGHT},
        "locale": "es-PE",
        # a phone in Peru: its dates are Lima's (from midnight UTC to 05:00 UTC a browser on
        # UTC dated a visit tomorrow, and Minka refused it as a future date)
        "timezone_id": DEFAULT_TIMEZONE,
        "extra_http_headers": {"Accept-Language": "es-PE,es;q=0.9"},
        "base_url": live_server,
    }


@pytest.fixture
def browser_problems() -> list[str]:
    """JavaScript errors and console errors seen in this test's pages."""
    return []


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext], browser_problems: list[str]
) -> Callable[..., BrowserContext]:
    """pytest-playwright's factory, with short timeouts and an ear for JavaScript errors."""

    def on_console(message: ConsoleMessage) -> None:
        # Failed loads (4xx/5xx), CSP violations, uncaught errors...
        if message.type == "error":
            browser_problems.append(f"console error: {message.text} {message.location['url']}")

    def make(**kwargs) -> BrowserContext:
        ctx = new_context(**kwargs)
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.on("weberror", lambda error: browser_problems.append(f"JS error: {error.error}"))
        ctx.on("console", on_console)
        return ctx

    return make


@pytest.fixture
def context(new_context: Callable[..., BrowserContext]) -> BrowserContext:
    """A fresh browser context (cookies and all) per test."""
    return new_context()


@pytest.fixture
def no_js_page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page in a context with JavaScript switched off."""
    return new_context(java_script_enabled=False).new_page()


@pytest.fixture(autouse=True)
def _watch(
    request: pytest.FixtureRequest,
    live: LiveServer,
    new_context: Callable[..., BrowserContext],
    browser_problems: list[str],
    browser: Browser,
) -> Iterator[None]:
    """Fail on server exceptions and browser errors; screenshot every page on failure.

    Depends on `new_context`, so its teardown runs while the test's pages are still open.
    """
    live.errors.clear()
    expect.set_options(timeout=TIMEOUT_MS)
    yield
    problems = live.errors + browser_problems
    report = getattr(request.node, "_minka_call", None)
    if report is not None and report.failed:
        if problems:
            print("server or browser errors during the test:", *problems, sep="\n  ")
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "-", request.node.name)
        for c, ctx in enumerate(browser.contexts):
            for p, pg in enumerate(ctx.pages):
                # A failed screenshot must not hide the real failure.
                with contextlib.suppress(Exception):
                    pg.screenshot(path=str(RESULTS / f"{name}-{c}-{p}.png"), full_page=True)
        return
    assert not problems, f"server or browser errors during the test: {problems}"


# --- helpers used by the journeys -------------------------------------------------------------


def log_in(page: Page, user: User, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the home page."""
    page.goto("/ingresar")
    page.get_by_label("Correo o celular").fill(user.login)
    page.get_by_label("Contraseña", exact=True).fill(password)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hola, {user.name}")


def nav(page: Page):
    """The main menu."""
    return page.get_by_role("navigation", name="Menú principal")


def menu_entry(page: Page, name: str, role: str = "link"):
    """An entry of the main menu, as a person reaches it: on the first row, or behind "Más"
    (opened first when the entry is there)."""
    entry = nav(page).get_by_role(role, name=name, exact=True)
    more = nav(page).locator("details")
    if more.count() and not entry.is_visible():
        more.locator("summary").click()
    return entry


def notices_link(page: Page):
    """The "Avisos" link of the header bar (with its unread count)."""
    return page.get_by_role("banner").get_by_role("link", name=re.compile("^Avisos"))
