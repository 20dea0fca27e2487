"""The admin's matching pages: start a run, watch its progress, read the runs' figures and
the match rates by gender and archetype beside the overall rate."""

from __future__ import annotations

import re
import threading

import pytest

from marketplace.credit import run_report, runs
from marketplace.credit.archetypes import archetype_label
from marketplace.extensions import db
from marketplace.models import AuditLog, Match, MatchingRun, RunStatus
from tests.conftest import run_matching
from tests.integration.pages import html_of
from tests.integration.test_admin import count_queries


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Ana Administradora")


@pytest.fixture
def as_admin(admin, login):
    return login(admin)


def _join_run_thread(run_id: int) -> None:
    for thread in threading.enumerate():
        if thread.name == f"matching-run-{run_id}":
            thread.join(timeout=120)


def test_the_admin_starts_a_run_from_the_page(app, admin, as_admin, make_group):
    make_group(5)
    response = as_admin.post("/admin/emparejamiento/iniciar")
    assert response.status_code == 302 and response.location.endswith("/admin/emparejamiento")
    run = db.session.scalars(db.select(MatchingRun)).one()
    _join_run_thread(run.id)
    db.session.expire_all()
    assert run.started_by_id == admin.id and run.backend == "thread"
    assert run.status == RunStatus.SUCCEEDED, run.error
    started = db.session.scalars(
        db.select(AuditLog).where(AuditLog.action.like("matching_run.%")).order_by(AuditLog.id)
    )
    assert [(a.action, a.actor_id) for a in started] == [
        ("matching_run.started", admin.id),
        ("matching_run.succeeded", None),
    ]
    page = as_admin.get("/admin/emparejamiento").get_data(as_text=True)
    assert f"Corrida {run.id} iniciada" in page
    assert "Ana Administradora" in page and "Terminada" in page


def test_a_second_start_shows_why_and_changes_nothing(app, as_admin):
    running = runs.start_run(None, backend="cli")
    response = as_admin.post("/admin/emparejamiento/iniciar", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ya hay una corrida en curso; espere a que termine para iniciar otra." in page
    assert db.session.scalars(db.select(MatchingRun.id)).all() == [running.id]
    db.session.refresh(running)
    assert running.status == RunStatus.QUEUED and running.active_slot == 1


def test_a_running_run_shows_a_progress_bar_that_updates(app, as_admin):
    run = runs.start_run(None, backend="cli")
    run.status, run.stage, run.progress = RunStatus.RUNNING, "PE:archetypes", 0.3127
    db.session.commit()
    page = as_admin.get("/admin/emparejamiento").get_data(as_text=True)
    assert '<progress max="100" value="31"' in page
    assert "Perú: tipología de productores calculada" in page
    assert f'data-progress-url="/admin/matching/runs/{run.id}/progress"' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "run-progress.js" in page
    detail = as_admin.get(f"/admin/emparejamiento/corridas/{run.id}").get_data(as_text=True)
    assert '<progress max="100" value="31"' in detail and "http-equiv" in detail


def test_the_progress_json(app, as_admin):
    run = runs.start_run(None, backend="cli")
    run.status, run.stage, run.progress = RunStatus.RUNNING, "MX:groups", 0.5
    db.session.commit()
    response = as_admin.get(f"/admin/matching/runs/{run.id}/progress")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "id": run.id,
        "status": "running",
        "status_label": "En curso",
        "stage": "MX:groups",
        "stage_label": "México: grupos de crédito formados",
        "progress": 0.5,
        "percent": 50,
        "error": None,
        "stale": False,
    }


def test_a_run_silent_for_long_is_shown_as_stopped(app, as_admin):
    run = runs.start_run(None, backend="cli")  # nobody runs it
    run.heartbeat_at = run.created_at = run.created_at - runs.STALE_AFTER * 2
    db.session.commit()
    assert as_admin.get(f"/admin/matching/runs/{run.id}/progress").get_json()["stale"]
    page = as_admin.get("/admin/emparejamiento").get_data(as_text=True)
    assert "no da señales de vida desde hace más de 10 minutos" in page


def test_a_finished_run_page_neither_refreshes_nor_polls(app, as_admin, make_group):
    make_group(5)
    run = run_matching()
    for url in ("/admin/emparejamiento", f"/admin/emparejamiento/corridas/{run.id}"):
        page = as_admin.get(url).get_data(as_text=True)
        assert "<progress" not in page and "http-equiv" not in page
        assert "run-progress.js" not in page


def test_the_history_shows_each_runs_figures(app, as_admin, make_group, make_credit_product):
    make_group(6)
    make_group(2, consent=False)
    make_credit_product()
    run = run_matching()
    used = db.session.scalar(db.select(Match.amount_minor).where(Match.rank == 0))
    page = html_of(as_admin.get("/admin/emparejamiento")).replace("\xa0", " ")
    facts = {
        "Productores evaluados": 8,
        "Productores elegibles": 6,
        "Grupos de crédito": 1,
        "Grupos emparejados": 1,
        "Productores con financiamiento": 6,
    }
    for name, value in facts.items():
        assert f"<dt>{name}</dt><dd>{value}</dd>" in page
    assert f"S/ {used / 100:,.2f} / S/ 500,000.00" in page
    assert "<dt>Tasa de emparejamiento</dt><dd>100 %</dd>" in page
    assert "Línea de comandos" in page and "Tabla de puntaje (scorecard-1)" in page
    types = run.metrics["countries"]["PE"]["n_types"]
    assert "Perú:" in page and f"{types} tipo" in page


def test_the_run_page_shows_how_pure_the_groups_are(app, as_admin, make_group, make_credit_product):
    members = make_group(6)
    make_credit_product(coverage_districts=[members[0].farms[0].district_code])
    run = run_matching()
    page = html_of(as_admin.get(f"/admin/emparejamiento/corridas/{run.id}")).replace("\xa0", " ")
    assert "<dt>Grupos de un solo tipo de productor</dt><dd>100 %</dd>" in page
    assert "<dt>Grupos de una sola cooperativa</dt><dd>100 %</dd>" in page
    name = "Miembros fuera de la cobertura del producto (sin financiamiento)"
    assert f"<dt>{name}</dt><dd>0</dd>" in page


def test_a_failed_runs_message_is_shown(app, as_admin, make_group, monkeypatch):
    make_group(5)

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr("matching.pipeline.run", broken)
    run = run_matching()
    for url in ("/admin/emparejamiento", f"/admin/emparejamiento/corridas/{run.id}"):
        page = as_admin.get(url).get_data(as_text=True)
        assert "Falló" in page and "RuntimeError: solver exploded" in page


def test_the_run_page_shows_fairness_beside_the_overall_rate(
    app, as_admin, make_group, make_credit_product, make_producer, make_farm
):
    group = make_group(6)
    for producer in group[:2]:
        producer.gender = "male"
    far = make_group(5, value_chain="cafe")  # no product for coffee
    for producer in far:
        producer.gender = "male"
    db.session.commit()
    make_credit_product()
    run = run_matching()
    page = as_admin.get(f"/admin/emparejamiento/corridas/{run.id}").get_data(as_text=True)
    fairness = page[page.index("Equidad") :]
    # 11 eligible, 6 matched; women 4 of 4, men 2 of 7
    by_gender = _rows(fairness[: fairness.index("Por tipo de productor")])
    assert by_gender == [("Todos", "11", "54.5"), ("Hombre", "7", "28.6"), ("Mujer", "4", "100")]
    assert '<meter min="0" max="1" value="0.2857' in fairness
    archetypes = run.metrics["match_rate_by_archetype"]
    assert sum(v["n"] for v in archetypes.values()) == 11
    for code in archetypes:
        assert archetype_label(code) in fairness


def test_the_history_runs_a_constant_number_of_queries(app, as_admin, make_user):
    def queries_for(count: int) -> int:
        for _ in range(count):
            starter = make_user("admin")
            db.session.add(
                MatchingRun(status="failed", backend="thread", started_by_id=starter.id, error="x")
            )
        db.session.commit()
        with count_queries(db) as statements:
            assert as_admin.get("/admin/emparejamiento").status_code == 200
        return len(statements)

    assert queries_for(2) == queries_for(8)


def _rows(html: str) -> list[tuple[str, str, str]]:
    """(label, eligible, matched %) of each row of a rate table."""
    pattern = (
        r'<th scope="row">([^<]+)<br><span class="muted">(\d+) elegibles?</span></th>'
        r"\s*<td>([\d.]+) %"
    )
    return re.findall(pattern, html)


def test_stage_labels():
    assert run_report.stage_label("PE:archetypes") == "Perú: tipología de productores calculada"
    assert run_report.stage_label("saving") == "Guardando los resultados"
    assert run_report.stage_label("") == "Esperando su turno"
    assert run_report.stage_label("CO:new_stage") == "Colombia: new_stage"


def test_budgets_are_summed_per_currency(app, make_credit_product):
    soles = make_credit_product()
    dollars = make_credit_product(currency="USD")
    run = MatchingRun(
        status="succeeded",
        backend="cli",
        metrics={
            "countries": {
                "PE": {
                    "budget_used": {
                        str(soles.id): {"used": 300, "budget": 1_000},
                        str(dollars.id): {"used": 50, "budget": 200},
                    }
                },
                "MX": {"budget_used": {"999999": {"used": 10, "budget": 40}}},  # deleted product
            }
        },
    )
    db.session.add(run)
    db.session.commit()
    (figures,) = run_report.run_figures([run])
    budgets = {(b.currency, b.used_minor, b.budget_minor) for b in figures.budgets}
    assert budgets == {("PEN", 300, 1_000), ("USD", 50, 200), ("MXN", 10, 40)}
    assert [c.country for c in figures.countries] == ["MX", "PE"]
    assert figures.duration is None and figures.totals == {}


def test_the_run_page_shows_the_gap_to_the_lp_bound(app, as_admin, make_group, make_credit_product):
    make_group(6)
    make_credit_product()
    run = run_matching()
    solver = run.metrics["countries"]["PE"]["allocation"]
    assert solver["bound"] >= solver["objective"] > 0
    page = as_admin.get(f"/admin/emparejamiento/corridas/{run.id}").get_data(as_text=True)
    peru = page[page.index("<h2>Perú</h2>") :]
    assert "Asignación" in peru
    assert re.search(r"Relajación lineal redondeada|Programa entero sobre el núcleo", peru)
    assert re.search(r"a [\d.,]+ % de la cota", peru)


def test_the_gap_reads_from_the_stored_figures_and_old_runs_show_none(app, as_admin):
    figures = {"status": "core_milp", "objective": 995.0, "bound": 1_000.0, "gap": 0.005}
    new = MatchingRun(
        status="succeeded", backend="cli", metrics={"countries": {"PE": {"allocation": figures}}}
    )
    old_solver = {"status": "Optimization terminated", "gap": 0.0, "objective": 5.0}
    old = MatchingRun(
        status="succeeded", backend="cli", metrics={"countries": {"PE": {"allocation": old_solver}}}
    )
    db.session.add_all([new, old])
    db.session.commit()
    (country,) = run_report.run_figures([new])[0].countries
    assert country.allocation == run_report.Allocation("core_milp", 995.0, 1_000.0, 0.005)
    page = as_admin.get(f"/admin/emparejamiento/corridas/{new.id}").get_data(as_text=True)
    assert "Programa entero sobre el núcleo, a 0.5 % de la cota" in page
    assert "Puntaje 995 de una cota de 1,000" in page
    assert run_report.run_figures([old])[0].countries[0].allocation is None
    page = as_admin.get(f"/admin/emparejamiento/corridas/{old.id}").get_data(as_text=True)
    assert "de la cota" not in page


def test_the_run_page_shows_how_farm_types_were_decided(app, as_admin, make_group):
    make_group(8)
    run = run_matching()
    pe = run.metrics["countries"]["PE"]
    assert set(pe["silhouettes"]) and pe["typology_clear"] is False  # 8 alike farms
    page = html_of(as_admin.get(f"/admin/emparejamiento/corridas/{run.id}"))
    assert "Silueta según el número de tipos" in page
    assert "No hay una tipología clara" in page
    for k, value in pe["silhouettes"].items():
        if value is not None:
            assert f"<title>k = {k}: " in page
    assert "Sin tipología clara (cacao)" in page  # the fairness table's type


def test_a_run_stored_before_the_silhouette_curve_still_shows(app, as_admin):
    old = {"k": 5, "silhouette": 0.17, "n_producers": 10, "n_eligible": 8}
    run = MatchingRun(
        status=RunStatus.SUCCEEDED,
        backend="cli",
        metrics={
            "countries": {"PE": old},
            "n_eligible": 8,
            "match_rate": 0.5,
            "match_rate_by_archetype": {
                "emerging_associated:cacao:2": {"rate": 0.5, "n": 4},
                "agroforestry:cacao:high": {"rate": 0.5, "n": 4},
            },
        },
    )
    db.session.add(run)
    db.session.commit()
    page = html_of(as_admin.get(f"/admin/emparejamiento/corridas/{run.id}"))
    assert "Silueta según el número de tipos" not in page
    assert "Emergente asociado (cacao) 2" in page
    assert "Diversificado agroforestal (cacao), mayor rendimiento" in page


def _stored_run(countries: dict) -> MatchingRun:
    run = MatchingRun(
        status="succeeded", backend="cli", progress=1.0, metrics={"countries": countries}
    )
    db.session.add(run)
    db.session.commit()
    return run


def test_the_run_page_shows_the_out_of_time_validation_and_calibration(app, as_admin):
    bins = [{"predicted": 0.5 + 0.04 * i, "observed": 0.45 + 0.05 * i, "n": 12} for i in range(10)]
    figures = {"auc": 0.71, "auc_ci": [0.62, 0.8], "brier": 0.11, "brier_ci": [0.09, 0.13],
               "n": 120, "reliability": bins}  # fmt: skip
    run = _stored_run(
        {
            "PE": {
                "model_kind": "trained",
                "model_version": "lr-500-abc",
                "auc": 0.71,
                "brier": 0.11,
                "readiness_reason": None,
                "readiness_validation": {
                    **figures,
                    "scorecard": {**figures, "auc": 0.69, "auc_ci": [0.6, 0.78]},
                    "n_train": 380,
                    "n_test": 120,
                    "n_later": 3,
                    "n_snapshot": 500,
                    "test_campaign": 2025,
                },
            },
            "MX": {
                "model_kind": "scorecard",
                "readiness_reason": "few_test_outcomes",
                "readiness_validation": None,
            },  # fmt: skip
        }
    )
    page = as_admin.get(f"/admin/emparejamiento/corridas/{run.id}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "entrenado con 380 créditos de campañas anteriores" in text
    assert "probado con los 120 de la campaña 2025" in text
    assert "0.71 (0.62–0.8)" in text and "0.69 (0.6–0.78)" in text
    assert "3 créditos de campañas posteriores" in text
    assert page.count("<circle") == 10  # one dot per decile
    assert "Ninguna campaña tiene suficientes créditos cerrados" in text  # Mexico: why not


def test_the_run_page_shows_the_funnel_by_gender_with_the_gap_at_equal_size(app, as_admin):
    def stage(name, women, men, gap, adjusted):
        return {
            "stage": name,
            "by_gender": {"female": {"n": 100, "reached": int(100 * women), "rate": women},
                          "male": {"n": 200, "reached": int(200 * men), "rate": men}},
            "gap": gap,
            "adjusted_gap": adjusted,
            "by_band": {},
        }  # fmt: skip

    run = _stored_run(
        {
            "PE": {
                "fairness": [
                    stage("eligible", 0.28, 0.45, -0.17, 0.017),
                    stage("repaid", 0.85, 0.86, -0.01, None),
                ]
            }
        }  # fmt: skip
    )
    page = as_admin.get(f"/admin/emparejamiento/corridas/{run.id}").get_data(as_text=True)
    table = page[page.index("Equidad en cada etapa") :]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    assert cells[0] == (
        "Elegibles (de todos los productores) 28 % de 100 45 % de 200 -17 pts +1.7 pts"
    )
    assert cells[1].endswith("85 % de 100 86 % de 200 -1 pts —")


def test_a_real_run_reports_the_pipeline_stages(app, as_admin, make_group, make_credit_product):
    make_group(6)
    make_credit_product()
    run = run_matching()
    stages = [row["stage"] for row in run.metrics["countries"]["PE"]["fairness"]]
    assert stages == ["eligible", "grouped", "matched", "approved", "repaid"]
    page = as_admin.get(f"/admin/emparejamiento/corridas/{run.id}").get_data(as_text=True)
    assert "Aún no hay créditos cerrados para aprender de ellos." in page
    assert "Pagó a tiempo su último crédito" in page
