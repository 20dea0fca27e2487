"""The plot page's review section through the client: opening a dispute, the two reviews,
who is refused (403 for the wrong role, 404 for a plot out of reach), CSRF, the queue."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Farm, ForestDispute
from marketplace.traceability import disputes, evidence
from tests.conftest import PASSWORD, signed_in_client
from tests.integration.test_disputes import LAT, LON, at_risk, fresh
from tests.integration.test_forest_risk import PLOT
from tests.integration.test_plots import pledge_from


@pytest.fixture
def world(db, make_user, make_org, make_producer, make_farm, make_commitment, tmp_path):
    coop = make_org("cooperative")
    owner = make_user("producer")
    producer = make_producer(user_id=owner.id, cooperative_id=coop.id)
    farm = make_farm(producer, polygon_geojson=PLOT, cleared_after_cutoff="unknown")
    tech = make_user("technician", organization=coop)
    buyer_org = make_org("buyer")
    buyer = make_user("buyer", organization=buyer_org)
    pledge_from(db, farm, make_commitment, buyer_org)
    item = evidence.record_evidence(
        tech,
        farm,
        note="Cacao bajo sombra",
        observed_on=date(2026, 3, 1),
        photo=b"",
        instance_path=tmp_path,
        position=evidence.Position(LAT + 0.01, LON, 9.0),
        today=date(2026, 3, 2),
    )
    farm = at_risk(tmp_path, farm)
    return {
        "farm": farm,
        "owner": owner,
        "tech": tech,
        "buyer": buyer,
        "admin": make_user("admin"),
        "other_tech": make_user("technician"),
        "other_buyer": make_user("buyer"),
        "evidence": item,
    }


def open_form(world) -> dict:
    return {
        "ground": "map_error",
        "claim": "La mancha es una nube sobre el cacao.",
        "evidence": [str(world["evidence"].id)],
    }


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_whole_review_through_the_pages(app, world):
    farm = world["farm"]
    url = f"/fincas/{farm.id}/parcela"
    tech = signed_in_client(app, world["tech"])
    page = text(tech.get(url))
    assert "Revisión" in page and "Abrir una disputa" in page
    assert "tomada lejos de la parcela" in page  # the evidence is ~1 km away
    response = tech.post(f"/fincas/{farm.id}/disputas", data=open_form(world))
    assert response.status_code == 302
    dispute = db.session.scalar(select(ForestDispute))

    buyer = signed_in_client(app, world["buyer"])
    assert "La Esperanza" in text(buyer.get("/revisiones"))
    assert "Primera revisión" in text(buyer.get(url))
    response = buyer.post(
        f"/disputas/{dispute.id}/propuesta",
        data={"outcome": "upheld", "reason": "La imagen de 2022 tiene nubes."},
    )
    assert response.status_code == 302
    page = text(buyer.get(url))
    assert "Otra persona debe dar el siguiente paso" in page
    assert buyer.post(f"/disputas/{dispute.id}/confirmar").status_code == 302
    db.session.expire_all()
    assert db.session.get(ForestDispute, dispute.id).status == "proposed"  # own proposal

    admin = signed_in_client(app, world["admin"])
    assert "Segunda revisión" in text(admin.get(url))
    assert admin.post(f"/disputas/{dispute.id}/confirmar").status_code == 302
    assert fresh(farm.id).risk_status == "free"
    page = text(tech.get(url))
    assert f"Disputa n.º {dispute.id} aceptada" in page
    assert "Historial de evaluaciones" in page and "(actual)" in page
    assert "No hay disputas pendientes" in text(admin.get("/revisiones"))
    audit = text(admin.get("/admin/auditoria"))
    assert "Confirmó la decisión de una disputa (segunda revisión)" in audit
    assert "Propuso la decisión de una disputa (primera revisión)" in audit
    assert "Motivo del reclamo" in audit and "Disputa" in audit


def test_a_bad_dispute_form_re_renders_with_the_message(app, world):
    tech = signed_in_client(app, world["tech"])
    response = tech.post(
        f"/fincas/{world['farm'].id}/disputas", data=open_form(world) | {"evidence": []}
    )
    assert response.status_code == 200
    assert "Elija al menos una evidencia de campo" in text(response)
    assert db.session.scalar(select(func.count(ForestDispute.id))) == 0


def test_a_proposal_without_a_reason_re_renders_with_the_message(app, world):
    dispute = disputes.open_dispute(
        world["tech"],
        world["farm"],
        ground="map_error",
        claim="Nube.",
        evidence_ids=[world["evidence"].id],
    )
    admin = signed_in_client(app, world["admin"])
    response = admin.post(f"/disputas/{dispute.id}/propuesta", data={"outcome": "upheld"})
    assert response.status_code == 200
    assert "Escriba por qué" in text(response)
    assert db.session.get(ForestDispute, dispute.id).status == "open"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 403), ("tech", 403), ("other_tech", 403), ("other_buyer", 404)],
)
def test_reviews_are_refused_to_the_wrong_people(app, world, who, expected):
    dispute = disputes.open_dispute(
        world["tech"],
        world["farm"],
        ground="map_error",
        claim="Nube.",
        evidence_ids=[world["evidence"].id],
    )
    client = signed_in_client(app, world[who])
    data = {"outcome": "upheld", "reason": "Sí.", "note": "No."}
    for action in ("propuesta", "confirmar", "devolver"):
        assert client.post(f"/disputas/{dispute.id}/{action}", data=data).status_code == expected
    db.session.expire_all()
    assert db.session.get(ForestDispute, dispute.id).status == "open"


@pytest.mark.parametrize(("who", "expected"), [("other_tech", 404), ("admin", 403), ("buyer", 403)])
def test_disputes_are_opened_only_by_the_producers_side(app, world, who, expected):
    client = signed_in_client(app, world[who])
    response = client.post(f"/fincas/{world['farm'].id}/disputas", data=open_form(world))
    assert response.status_code == expected
    assert db.session.scalar(select(func.count(ForestDispute.id))) == 0


def test_a_buyer_sees_only_the_disputes_of_farms_pledged_to_it(app, world):
    disputes.open_dispute(
        world["tech"],
        world["farm"],
        ground="map_error",
        claim="Nube.",
        evidence_ids=[world["evidence"].id],
    )
    assert "La Esperanza" in text(signed_in_client(app, world["buyer"]).get("/revisiones"))
    other = text(signed_in_client(app, world["other_buyer"]).get("/revisiones"))
    assert "La Esperanza" not in other and "No hay disputas pendientes" in other
    assert signed_in_client(app, world["tech"]).get("/revisiones").status_code == 403


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_forms_need_their_csrf_token(make_app, world):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = _csrf(client.get("/ingresar").get_data(as_text=True))
    login = {"identifier": world["tech"].login, "password": PASSWORD, "csrf_token": token}
    assert client.post("/ingresar", data=login).status_code == 302
    url = f"/fincas/{world['farm'].id}/disputas"
    response = client.post(url, data=open_form(world))
    assert response.status_code in (200, 400)
    assert db.session.scalar(select(func.count(ForestDispute.id))) == 0
    page = client.get(f"/fincas/{world['farm'].id}/parcela").get_data(as_text=True)
    assert client.post(url, data=open_form(world) | {"csrf_token": _csrf(page)}).status_code == 302
    assert db.session.scalar(select(func.count(ForestDispute.id))) == 1


def test_the_evidence_form_stores_the_phones_position(app, world):
    tech = signed_in_client(app, world["tech"])
    farm: Farm = world["farm"]
    response = tech.post(
        f"/fincas/{farm.id}/evidencias",
        data={
            "note": "Visita",
            "observed_on": "2026-03-01",
            "lat": str(LAT),
            "lon": str(LON),
            "accuracy_m": "7",
        },
    )
    assert response.status_code == 302
    page = text(tech.get(f"/fincas/{farm.id}/parcela"))
    assert "dentro de la parcela" in page and "GPS del teléfono" in page


def test_a_bad_position_re_renders_the_evidence_form_in_spanish(app, world):
    tech = signed_in_client(app, world["tech"])
    response = tech.post(
        f"/fincas/{world['farm'].id}/evidencias",
        data={"note": "Visita", "observed_on": "2026-03-01", "lat": "95", "lon": str(LON)},
    )
    assert response.status_code == 200
    assert "La latitud debe estar entre -90 y 90 grados" in text(response)
