"""The admin starts the credit matching and watches its progress (Chromium, 360x740)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from marketplace.credit import runs
from marketplace.extensions import db
from marketplace.models import MatchingRun
from tests.browser.conftest import log_in, menu_entry
from tests.browser.test_commitments import check_phone_page


def _set_progress(run, stage: str, progress: float) -> None:
    run.stage, run.progress = stage, progress
    db.session.commit()


def _history_entry(page: Page, run_id: int):
    return page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=f"Corrida {run_id}", exact=True)
    )


def test_admin_watches_a_run_progress_and_its_figures(
    app, page: Page, make_user, make_group, make_credit_product
) -> None:
    make_group(6)
    make_credit_product()
    admin = make_user("admin", name="Ana Administradora")
    run = runs.start_run(None, backend="cli")  # executed below, from the test
    _set_progress(run, "PE:eligibility", 0.1)
    log_in(page, admin)
    menu_entry(page, "Emparejamiento de crédito").click()

    problems: list[str] = []
    box = page.locator("[data-progress-url]")
    expect(box.locator("progress")).to_have_attribute("value", "10")
    check_phone_page(page, "runs page, running", problems)
    expect(box).to_contain_text("Perú: elegibilidad revisada")
    # the page asks the server every 2 s and moves the bar
    _set_progress(run, "PE:groups", 0.4)
    expect(box.locator("progress")).to_have_attribute("value", "40")
    expect(box).to_contain_text("Perú: grupos de crédito formados")
    expect(box).to_contain_text("40 %")

    finished = runs.execute(run.id)
    assert finished.status == "succeeded", finished.error
    # the run ended: the page reloads itself and shows the figures
    expect(page.locator("[data-progress-url]")).to_have_count(0)
    entry = _history_entry(page, run.id)
    expect(entry).to_contain_text("Terminada")
    expect(entry).to_contain_text("Grupos emparejados")
    check_phone_page(page, "runs page", problems)

    entry.get_by_role("link", name=f"Corrida {run.id}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Corrida {run.id}")
    expect(page.get_by_role("table", name="Por género", exact=True)).to_contain_text("Mujer")
    check_phone_page(page, "run page", problems)
    assert not problems, "\n".join(problems)


def test_the_progress_refreshes_without_javascript(app, no_js_page: Page, make_user) -> None:
    page = no_js_page
    admin = make_user("admin", name="Beto Admin")
    run = runs.start_run(None, backend="cli")
    _set_progress(run, "MX:archetypes", 0.2)
    log_in(page, admin)
    page.goto("/admin/emparejamiento")
    expect(page.locator("progress")).to_have_attribute("value", "20")
    _set_progress(run, "MX:readiness", 0.6)
    # <noscript><meta http-equiv="refresh" content="5">: the next load shows the new stage
    expect(page.locator("progress")).to_have_attribute("value", "60", timeout=12_000)
    expect(page.get_by_text("México: preparación para el crédito estimada")).to_be_visible()


def test_admin_starts_a_run_with_the_button(app, page: Page, make_user, make_group) -> None:
    make_group(5)
    admin = make_user("admin", name="Carla Admin")
    log_in(page, admin)
    page.goto("/admin/emparejamiento")
    page.get_by_role("button", name="Iniciar corrida").click()
    expect(page.get_by_role("status").first).to_contain_text("iniciada")
    run_id = db.session.scalars(db.select(MatchingRun.id)).one()
    # runs in a thread of the live app; the page follows it until it ends
    expect(_history_entry(page, run_id)).to_contain_text("Terminada", timeout=60_000)
    expect(_history_entry(page, run_id)).to_contain_text("Carla Admin")
