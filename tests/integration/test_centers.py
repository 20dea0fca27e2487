"""Collection centres: cooperatives and admins manage them; producers see the ones near them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.centers import services
from marketplace.centers.services import CenterData
from marketplace.errors import DomainError, InvalidInput
from marketplace.models import AuditLog, CollectionCenter
from marketplace.models.base import utcnow
from tests.conftest import signed_in_client

JUANJUI_SEAT = (-7.176667, -76.723889)


def data(**overrides) -> CenterData:
    values = {
        "name": "Centro de acopio Juanjuí",
        "operator_name": "Marleni Sangama",
        "country": "PE",
        "region": "San Martín",
        "district_code": "220601",
        "opening_hours": "Lunes a sábado, de 7:00 a 16:00",
    }
    values.update(overrides)
    return CenterData(**values)


def count(db) -> int:
    return db.session.scalar(select(func.count(CollectionCenter.id)))


# --- services ---------------------------------------------------------------------------------


def test_technician_registers_a_centre_of_their_cooperative_at_the_district_seat(db, make_user):
    technician = make_user("technician")
    center = services.save_center(technician, data(organization_id=123456))
    assert center.organization_id == technician.organization_id  # their own, whatever is sent
    assert (center.lat, center.lon) == JUANJUI_SEAT
    assert center.active
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "center.created"))
    assert (audit.entity_type, audit.entity_id) == ("collection_center", center.id)


def test_admin_chooses_the_cooperative_and_may_give_coordinates(db, make_user, make_org):
    coop = make_org("cooperative")
    admin = make_user("admin")
    center = services.save_center(
        admin, data(organization_id=coop.id, lat=-7.19, lon=-76.74, name="  Acopio Norte ")
    )
    assert center.organization_id == coop.id
    assert (center.lat, center.lon, center.name) == (-7.19, -76.74, "Acopio Norte")
    with pytest.raises(DomainError, match="cooperativa"):
        services.save_center(admin, data(organization_id=None))
    supplier_org = make_org("supplier")
    with pytest.raises(DomainError, match="cooperativa"):
        services.save_center(admin, data(organization_id=supplier_org.id))


def test_centres_are_checked_like_farms(db, make_user):
    technician = make_user("technician")
    wrong = [
        ({"district_code": "999999"}, "district_code"),
        ({"region": "Cusco"}, "district_code"),
        ({"lat": -12.05, "lon": -77.04}, "lat"),  # Lima: far from Juanjuí
        ({"lat": 40.0, "lon": -3.7}, "lat"),  # Madrid
        ({"lat": -7.18, "lon": None}, "lat"),
        ({"name": "  "}, "name"),
        ({"opening_hours": "x" * 201}, "opening_hours"),
    ]
    for overrides, field_name in wrong:
        with pytest.raises(InvalidInput) as refused:
            services.save_center(technician, data(**overrides))
        assert field_name in refused.value.errors, overrides
    assert count(db) == 0


def test_unverified_or_foreign_cooperatives_cannot_run_centres(db, make_user, make_org):
    pending = make_user("technician", organization=make_org("cooperative", verified=False))
    with pytest.raises(DomainError, match="verificada"):
        services.save_center(pending, data())
    colombian = make_user("technician", organization=make_org("cooperative", country="CO"))
    with pytest.raises(DomainError, match="país de la cooperativa"):
        services.save_center(colombian, data())
    assert count(db) == 0


def test_editing_and_deactivating_are_audited(db, make_user):
    technician = make_user("technician")
    center = services.save_center(technician, data())
    services.save_center(technician, data(name="Acopio Juanjuí Centro"), center)
    services.set_active(technician, center, False)
    services.set_active(technician, center, False)  # no change, no row
    services.set_active(technician, center, True)
    actions = db.session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity_type == "collection_center")
        .order_by(AuditLog.id)  # PostgreSQL returns rows in no promised order without it
    ).all()
    assert actions == [
        "center.created",
        "center.updated",
        "center.deactivated",
        "center.reactivated",
    ]
    assert center.name == "Acopio Juanjuí Centro"


def test_centers_near_sorts_by_distance_and_keeps_to_usable_centres(db, make_center, make_org):
    coop = make_org("cooperative")
    near = make_center(coop, name="Acopio Pajarillo", lat=-7.1767, lon=-76.6886)
    far = make_center(coop, name="Acopio Tocache", district_code="221001", lat=-8.188, lon=-76.509)
    here = make_center(coop, name="Acopio Juanjuí", lat=-7.18, lon=-76.73)
    make_center(coop, name="Cerrado", active=False)
    make_center(make_org("cooperative", suspended_at=utcnow()), name="De una suspendida")
    make_center(
        make_org("cooperative", country="CO"),
        country="CO",
        region="Cauca",
        district_code="19001",
        lat=2.44,
        lon=-76.61,
        name="Popayán",
    )

    found = services.centers_near("PE", -7.18, -76.73)
    assert [c.id for c, _ in found] == [here.id, near.id, far.id]
    kms = [km for _, km in found]
    assert kms[0] < 0.1 and 4 < kms[1] < 5.5 and 100 < kms[2] < 130
    assert len(services.centers_near("PE", -7.18, -76.73, limit=2)) == 2
    by_name = services.centers_near("PE", None, None)
    assert [c.name for c, _ in by_name] == ["Acopio Juanjuí", "Acopio Pajarillo", "Acopio Tocache"]
    assert all(km is None for _, km in by_name)
    assert [c.name for c, _ in services.centers_near("CO", 2.4, -76.6)] == ["Popayán"]


# --- pages ------------------------------------------------------------------------------------


def test_producer_sees_centres_near_their_first_farm(
    client, login, make_user, make_producer, make_farm, make_center
):
    make_center(name="Acopio Tocache", district_code="221001", lat=-8.188, lon=-76.509)
    make_center(name="Acopio Pajarillo", lat=-7.1767, lon=-76.6886)
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    make_farm(producer, name="La Esperanza")
    login(user)
    html = client.get("/centros").get_data(as_text=True)
    assert "desde su finca La Esperanza" in html
    assert html.index("Acopio Pajarillo") < html.index("Acopio Tocache")
    assert "4.6 km" in html or "4,6 km" in html
    assert "Lunes a sábado" in html


def test_producer_without_farm_sees_the_centres_of_their_country(
    client, login, make_user, make_center
):
    make_center(name="Acopio Juanjuí")
    login(make_user("producer"))
    html = client.get("/centros").get_data(as_text=True)
    assert "Acopio Juanjuí" in html and "Registre una finca" in html


def _form(**overrides) -> dict:
    values = {
        "name": "Centro de acopio Campanilla",
        "operator_name": "Equipo Campanilla",
        "country": "PE",
        "region": "San Martín",
        "district_code": "220602",
        "lat": "",
        "lon": "",
        "opening_hours": "Lunes a viernes, de 8:00 a 17:00",
    }
    values.update(overrides)
    return values


def test_technician_manages_centres_through_the_pages(db, client, login, make_user, make_center):
    technician = make_user("technician")
    theirs = make_center(technician.organization, name="Acopio Propio")
    make_center(name="Acopio Ajeno")
    login(technician)
    html = client.get("/centros/gestion").get_data(as_text=True)
    assert "Acopio Propio" in html and "Acopio Ajeno" not in html

    form = client.get("/centros/nuevo").get_data(as_text=True)
    assert 'data-regions-url="/api/gazetteer/regions"' in form
    assert 'name="organization_id"' not in form  # technicians use their own cooperative
    response = client.post("/centros/nuevo", data=_form())
    assert response.status_code == 302 and response.location.endswith("/centros/gestion")
    created = db.session.scalar(
        select(CollectionCenter).where(CollectionCenter.name == "Centro de acopio Campanilla")
    )
    assert created.organization_id == technician.organization_id
    assert (created.lat, created.lon) == (-7.483056, -76.649722)

    response = client.post(
        f"/centros/{theirs.id}/editar", data=_form(name="Acopio Propio Renovado", lat="-7.5")
    )
    assert response.status_code == 200  # half a coordinate: explained, not saved
    assert "Escriba la latitud y la longitud" in response.get_data(as_text=True)
    response = client.post(f"/centros/{theirs.id}/editar", data=_form(name="Acopio Renovado"))
    assert response.status_code == 302
    assert client.post(f"/centros/{theirs.id}/desactivar").status_code == 302
    db.session.refresh(theirs)
    assert theirs.name == "Acopio Renovado" and not theirs.active
    assert "Desactivado" in client.get("/centros/gestion").get_data(as_text=True)
    client.post(f"/centros/{theirs.id}/activar")
    db.session.refresh(theirs)
    assert theirs.active


def test_the_form_reloads_districts_without_javascript(client, login, make_user):
    login(make_user("technician"))
    response = client.post(
        "/centros/nuevo", data=_form(region="Junín", district_code="", refresh="1")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Perené" in html
    assert 'class="error"' not in html  # a refresh is not a failed save


def test_admin_sees_every_centre_and_chooses_the_cooperative(
    db, client, login, make_user, make_org, make_center
):
    coop = make_org("cooperative", name="Cooperativa Río Huayabamba")
    make_center(name="Acopio Uno")
    make_center(name="Acopio Dos")
    login(make_user("admin"))
    html = client.get("/centros/gestion").get_data(as_text=True)
    assert "Acopio Uno" in html and "Acopio Dos" in html
    assert "Cooperativa Río Huayabamba" in client.get("/centros/nuevo").get_data(as_text=True)
    response = client.post("/centros/nuevo", data=_form())
    assert response.status_code == 200 and "Elija una cooperativa" in response.get_data(
        as_text=True
    )
    response = client.post("/centros/nuevo", data=_form(organization_id=str(coop.id)))
    assert response.status_code == 302
    assert count(db) == 3


# --- who may open what ------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "producer",
    "technician",  # of the cooperative that runs the centre
    "other_technician",  # of another cooperative
    "supplier",
    "buyer",
    "lender",
    "admin",
]


def expect(**allowed) -> dict[str, int]:
    return {role: 403 for role in ROLES} | {"anonymous": 302} | allowed


PAGES = [
    ("/centros", expect(producer=200)),
    ("/centros/gestion", expect(technician=200, other_technician=200, admin=200)),
    ("/centros/nuevo", expect(technician=200, other_technician=200, admin=200)),
    ("/centros/{center}/editar", expect(technician=200, other_technician=404, admin=200)),
]
POSTS = [
    ("/centros/{center}/editar", _form(name="Cambiado")),
    ("/centros/{center}/desactivar", {}),
]
CAN_CHANGE = {"technician", "admin"}


@pytest.fixture
def world(make_user, make_org, make_center):
    coop = make_org("cooperative")
    users = {
        "producer": make_user("producer"),
        "technician": make_user("technician", organization=coop),
        "other_technician": make_user("technician"),
        "supplier": make_user("supplier"),
        "buyer": make_user("buyer"),
        "lender": make_user("lender"),
        "admin": make_user("admin"),
    }
    center = make_center(coop, name="Acopio Original")
    return {"users": users, "center": center.id}


def client_as(app, world, role):
    return signed_in_client(app, world["users"].get(role))


@pytest.mark.parametrize("role", ROLES)
def test_every_centre_page_for_every_role(app, world, role):
    client = client_as(app, world, role)
    for template, expected in PAGES:
        url = template.format(**world)
        response = client.get(url)
        assert response.status_code == expected[role], f"{role} GET {url}"
        if response.status_code == 302:
            assert "/ingresar" in response.location


@pytest.mark.parametrize("role", [r for r in ROLES if r not in CAN_CHANGE])
def test_outsiders_cannot_change_a_centre(app, db, world, role):
    client = client_as(app, world, role)
    for template, form in POSTS:
        url = template.format(**world)
        expected = {"anonymous": 302, "other_technician": 404}.get(role, 403)
        assert client.post(url, data=form).status_code == expected, f"{role} POST {url}"
    center = db.session.get(CollectionCenter, world["center"])
    db.session.refresh(center)
    assert center.name == "Acopio Original" and center.active


# --- the demo world ---------------------------------------------------------------------------


def test_demo_cooperatives_run_centres_where_their_members_farm(db, runner):
    from marketplace import gazetteer
    from marketplace.models import Farm, Organization, Producer

    result = runner.invoke(args=["demo-data", "--producers", "200"])
    assert result.exit_code == 0, result.output
    centres = db.session.scalars(select(CollectionCenter)).all()
    assert centres
    per_coop: dict[int, int] = {}
    for centre in centres:
        per_coop[centre.organization_id] = per_coop.get(centre.organization_id, 0) + 1
        assert db.session.get(Organization, centre.organization_id).kind == "cooperative"
        seat = gazetteer.get_district(centre.country, centre.district_code)
        assert (centre.lat, centre.lon, centre.region) == (seat.lat, seat.lon, seat.region)
        assert centre.name.startswith(("Centro de acopio ", "Acopio "))
        assert centre.operator_name and centre.opening_hours
        members_there = db.session.scalar(
            select(func.count(Farm.id))
            .join(Producer)
            .where(
                Producer.cooperative_id == centre.organization_id,
                Farm.district_code == centre.district_code,
            )
        )
        assert members_there > 0, centre.name
    assert set(per_coop.values()) <= {1, 2, 3}
    assert len({c.name for c in centres}) == len(centres)
