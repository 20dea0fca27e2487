"""Producers, farms and consents: services directly, pages through the client."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.errors import DomainError, InvalidInput
from marketplace.models import AuditLog, Consent, Farm, Producer
from marketplace.producers import services
from tests.integration.form_html import field_error, input_attributes, input_value

JUANJUI = {
    "country": "PE",
    "region": "San Martín",
    "district_code": "220601",
    "lat": -7.176667,
    "lon": -76.723889,
}


def profile(**overrides) -> services.ProfileData:
    values = {
        "first_name": "Rosa",
        "last_name": "Quispe",
        "gender": "female",
        "country": "PE",
        "national_id": "41234567",
    }
    values.update(overrides)
    return services.ProfileData(**values)


def farm_data(**overrides) -> services.FarmData:
    values = {
        "name": "La Esperanza",
        **JUANJUI,
        "total_ha": 5.0,
        "productive_ha": 3.0,
        "forest_ha": 1.0,
        "value_chain": "cacao",
    }
    values.update(overrides)
    return services.FarmData(**values)


def test_producer_creates_own_profile(db, make_user):
    user = make_user("producer")
    producer = services.save_profile(user, profile(phone="987654321"))
    assert producer.user_id == user.id
    assert producer.phone == "+51987654321"
    assert services.producer_of(user) == producer
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert "producer.created" in actions


def test_technician_registers_into_their_cooperative(db, make_user):
    tech = make_user("technician")
    producer = services.save_profile(tech, profile(cooperative_id=None))
    assert producer.user_id is None
    assert producer.cooperative_id == tech.organization_id
    assert producer.registered_by_id == tech.id


@pytest.mark.parametrize(
    ("country", "national_id"),
    [("PE", "1234567"), ("CO", "12345"), ("MX", "ABCD123456HDFRRR01")],
)
def test_national_id_is_checked_per_country(db, make_user, country, national_id):
    with pytest.raises(DomainError) as error:
        services.save_profile(
            make_user("producer"), profile(country=country, national_id=national_id)
        )
    assert error.value.field == "national_id"


def test_same_national_id_cannot_be_registered_twice(db, make_user):
    services.save_profile(make_user("technician"), profile())
    with pytest.raises(DomainError, match="documento"):
        services.save_profile(make_user("technician"), profile(national_id="4123-4567"))


def test_mexican_producer_with_curp(db, make_user):
    producer = services.save_profile(
        make_user("producer"), profile(country="MX", national_id="hegg560427mvzrrl04")
    )
    assert producer.national_id == "HEGG560427MVZRRL04"


def test_farm_is_saved_and_audited(db, make_user, make_producer):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    farm = services.save_farm(user, producer, farm_data(certifications=["organic"]))
    assert farm.id and farm.certifications == ["organic"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "farm.created"))


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"productive_ha": 4.0, "forest_ha": 2.0}, {"productive_ha"}),
        ({"total_ha": -1.0}, {"total_ha"}),
        ({"total_ha": 20_000.0}, {"total_ha"}),
        ({"total_ha": 0.0, "productive_ha": 0.0, "forest_ha": 0.0}, {"total_ha"}),
        ({"region": "Junín"}, {"district_code"}),
        ({"district_code": "999999"}, {"district_code"}),
        ({"lat": -12.046, "lon": -77.043}, {"lat"}),  # Lima, not Juanjuí
        ({"lat": 40.4, "lon": -3.7}, {"lat"}),  # Madrid
        ({"productive_ha": 9.0, "lat": -12.046, "lon": -77.043}, {"productive_ha", "lat"}),
    ],
)
def test_farm_rules_report_every_problem(db, make_user, make_producer, overrides, fields):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    with pytest.raises(InvalidInput) as error:
        services.save_farm(user, producer, farm_data(**overrides))
    assert set(error.value.errors) == fields
    assert db.session.scalar(select(Farm.id)) is None


def test_colombian_farm(db, make_user, make_producer):
    user = make_user("producer", country="CO")
    producer = make_producer(user_id=user.id, country="CO", national_id="1061234567")
    farm = services.save_farm(
        user,
        producer,
        farm_data(
            country="CO",
            region="Cauca",
            district_code="19001",
            lat=2.45,
            lon=-76.6,
            value_chain="cafe",
        ),
    )
    assert farm.region == "Cauca"


def test_consent_is_granted_revoked_and_logged(db, make_user, make_producer):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    assert services.consent_states(producer) == {"lenders": None, "buyers": None}
    first = services.set_consent(user, producer, "lenders", True)
    granted_at = first.changed_at
    services.set_consent(user, producer, "lenders", False)
    states = services.consent_states(producer)
    assert states["lenders"].granted is False
    assert states["lenders"].changed_at >= granted_at
    assert states["buyers"] is None
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "consent").order_by(AuditLog.id)
    ).all()
    assert actions == ["consent.granted", "consent.revoked"]
    assert db.session.scalar(select(Consent).where(Consent.scope == "lenders")).granted is False


def test_unknown_consent_scope_is_refused(db, make_user, make_producer):
    user = make_user("producer")
    with pytest.raises(DomainError):
        services.set_consent(user, make_producer(user_id=user.id), "everyone", True)


def test_cooperative_list_searches_and_pages(db, make_user, make_producer, make_farm):
    tech = make_user("technician")
    for i in range(30):
        make_farm(make_producer(cooperative_id=tech.organization_id, first_name=f"Ana{i:02d}"))
    make_producer(first_name="Ajena")  # another cooperative's: never listed
    page = services.cooperative_producers(tech.organization_id, page=2, per_page=25)
    assert page.total == 30 and len(page.items) == 5
    found = services.cooperative_producers(tech.organization_id, search="ana07")
    assert [p.first_name for p in found.items] == ["Ana07"]
    assert services.cooperative_producers(tech.organization_id, search="Ajena").total == 0


# --- pages ---------------------------------------------------------------------------------


def test_producer_journey_through_pages(client, login, make_user, db):
    login(make_user("producer"))
    assert client.get("/mis-fincas").location.endswith("/mis-datos")
    response = client.post(
        "/mis-datos",
        data={
            "first_name": "Rosa",
            "last_name": "Quispe",
            "gender": "female",
            "country": "PE",
            "national_id": "41234567",
        },
    )
    assert "/fincas/nueva" in response.location
    form = {
        "name": "La Esperanza",
        **{k: str(v) for k, v in JUANJUI.items()},
        "total_ha": "5",
        "productive_ha": "3",
        "forest_ha": "1",
        "value_chain": "cacao",
        "cleared_after_cutoff": "no",
        "certifications": ["organic", "spp"],
        "agroforestry": "y",
    }
    response = client.post(response.location, data=form)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "La Esperanza" in page and "Juanjuí" in page
    farm = db.session.scalar(select(Farm))
    assert farm.certifications == ["organic", "spp"] and farm.agroforestry


def test_farm_form_keeps_input_and_shows_spanish_errors(client, login, make_user, make_producer):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    login(user)
    form = {
        "name": "Mi chacra",
        **{k: str(v) for k, v in JUANJUI.items()},
        "lat": "-12.046",
        "lon": "-77.043",
        "total_ha": "5",
        "productive_ha": "4",
        "forest_ha": "2",
        "value_chain": "cacao",
        "cleared_after_cutoff": "no",
    }
    page = client.post(f"/productores/{producer.id}/fincas/nueva", data=form).get_data(as_text=True)
    assert "no puede superar el área total" in page
    assert "lejos del distrito Juanjuí" in page
    assert 'value="Mi chacra"' in page and 'value="-12.046' in page


def test_farm_form_refresh_lists_districts_without_javascript(
    client, login, make_user, make_producer
):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    login(user)
    page = client.post(
        f"/productores/{producer.id}/fincas/nueva",
        data={"name": "X", "country": "PE", "region": "Junín", "refresh": "1"},
    ).get_data(as_text=True)
    assert "Pichanaqui" in page and "Revise los datos" not in page


def test_technician_records_consent_only_in_person(client, login, make_user, make_producer, db):
    tech = make_user("technician")
    producer = make_producer(cooperative_id=tech.organization_id)
    login(tech)
    url = f"/productores/{producer.id}/consentimientos"
    page = client.post(url, data={"scope": "lenders", "granted": "y"}).get_data(as_text=True)
    assert "Confirme que la persona dio su consentimiento" in page
    assert db.session.scalar(select(Consent)) is None
    client.post(url, data={"scope": "lenders", "granted": "y", "in_person": "y"})
    assert db.session.scalar(select(Consent)).granted is True
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "consent.granted"))
    assert entry.actor_id == tech.id and entry.detail["on_behalf"] is True


def test_producer_deletes_a_farm_after_confirming(
    client, login, make_user, make_producer, make_farm, db
):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    farm = make_farm(producer)
    login(user)
    url = f"/productores/{producer.id}/fincas/{farm.id}/eliminar"
    assert "¿Eliminar la finca" in client.get(url).get_data(as_text=True)
    assert client.post(url).status_code == 302
    assert db.session.get(Producer, producer.id).farms == []


def test_gazetteer_api(client):
    assert "San Martín" in client.get("/api/gazetteer/regions?country=PE").json["regions"]
    districts = client.get("/api/gazetteer/districts?country=PE&region=San Martín").json
    assert {"code": "220601", "label": "Juanjuí (Mariscal Cáceres)"} in districts["districts"]
    response = client.get("/api/gazetteer/regions?country=XX")
    assert response.status_code == 400 and "error" in response.json


def test_list_pages_keep_the_search(client, login, make_user, make_producer):
    tech = make_user("technician")
    for i in range(30):
        make_producer(cooperative_id=tech.organization_id, first_name=f"Ana{i:02d}")
    login(tech)
    page = client.get("/productores?q=ana").get_data(as_text=True)
    assert 'href="/productores?q=ana&amp;page=2"' in page
    assert "Página 1 de 2" in page


# --- numbers typed in the farm form --------------------------------------------------------

NUMBER_FIELDS = ("lat", "lon", "total_ha", "productive_ha", "forest_ha", "yield_kg_ha")


def farm_form(**overrides) -> dict:
    """The farm form as a person fills it in Juanjuí, with `overrides` typed instead."""
    return {
        "name": "La Esperanza",
        **{key: str(value) for key, value in JUANJUI.items()},
        "total_ha": "6",
        "productive_ha": "4",
        "forest_ha": "1",
        "value_chain": "cacao",
        "cleared_after_cutoff": "no",
        **overrides,
    }


@pytest.fixture
def rosa(client, login, make_user, make_producer):
    """A signed-in producer without farms, and the URL of her new farm form."""
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    login(user)
    return producer, f"/productores/{producer.id}/fincas/nueva"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("4,5", 4.5), ("4.5", 4.5), ("1.500", 1.5), ("1,500", 1.5), ("0,25", 0.25)],
)
def test_hectares_are_read_with_a_decimal_comma_or_point(db, client, rosa, typed, stored):
    response = client.post(rosa[1], data=farm_form(productive_ha=typed))
    assert response.status_code == 302
    assert db.session.scalar(select(Farm)).productive_ha == stored


def test_coordinates_are_read_with_a_decimal_comma(db, client, rosa):
    response = client.post(rosa[1], data=farm_form(lat="-7,176667", lon="-76,723889"))
    assert response.status_code == 302
    farm = db.session.scalar(select(Farm))
    assert (farm.lat, farm.lon) == (-7.176667, -76.723889)


def test_coordinates_pasted_from_a_map_are_rounded_not_refused(db, client, rosa):
    response = client.post(rosa[1], data=farm_form(lat="-7.17666712", lon="-76.7238886"))
    assert response.status_code == 302
    farm = db.session.scalar(select(Farm))
    assert (farm.lat, farm.lon) == (-7.176667, -76.723889)


def test_the_farm_form_has_no_number_inputs(client, rosa):
    page = client.get(rosa[1]).get_data(as_text=True)
    assert 'type="number"' not in page
    for name in NUMBER_FIELDS:
        attributes = input_attributes(page, name)
        assert attributes["type"] == "text", name
    assert input_attributes(page, "total_ha")["inputmode"] == "decimal"
    assert input_attributes(page, "plant_age_years")["inputmode"] == "numeric"


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("total_ha", "12a", "Escriba un número, por ejemplo 4,5 o 4.5."),
        ("total_ha", "-3", "Escriba un número mayor o igual que 0."),
        ("total_ha", "4,56789", "Use como máximo 4 decimales."),
        ("plant_age_years", "8a", "Escriba un número entero, por ejemplo 12."),
        ("plant_age_years", "8,5", "Escriba un número entero, sin decimales."),
        ("total_ha", "20000", "Escriba un número entre 0 y 10 000."),
    ],
)
def test_a_wrong_number_gets_one_message_and_keeps_what_was_typed(
    db, client, rosa, field, typed, message
):
    response = client.post(rosa[1], data=farm_form(**{field: typed}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, field) == message  # the reader's, without WTForms' or the range's
    assert input_value(page, field) == typed
    assert db.session.scalar(select(Farm)) is None


PLACES = {
    "PE": {"region": "San Martín", "district_code": "220601", "lat": -7.176667, "lon": -76.723889},
    "CO": {"region": "Cauca", "district_code": "19001", "lat": 2.45, "lon": -76.6},
}


@pytest.mark.parametrize(
    ("country", "shown"),
    [
        (
            "PE",
            {
                "total_ha": "7.25",
                "productive_ha": "4.5",
                "lat": "-7.176667",
                "yield_kg_ha": "1,200",
            },
        ),
        ("CO", {"total_ha": "7,25", "productive_ha": "4,5", "lat": "2,45", "yield_kg_ha": "1.200"}),
    ],
)
def test_the_edit_form_shows_the_farm_in_the_viewers_way_and_saving_it_unchanged_keeps_it(
    db, client, login, make_user, make_producer, make_farm, country, shown
):
    user = make_user("producer", country=country)
    producer = make_producer(user_id=user.id, country=country, national_id="1061234567")
    place = PLACES[country]
    farm = make_farm(
        producer,
        country=country,
        **place,
        total_ha=7.25,
        productive_ha=4.5,
        forest_ha=1.5,
        yield_kg_ha=1200.0,
        plant_age_years=8,
    )
    before = {name: getattr(farm, name) for name in (*NUMBER_FIELDS, "plant_age_years")}
    login(user)
    url = f"/productores/{producer.id}/fincas/{farm.id}/editar"

    page = client.get(url).get_data(as_text=True)
    for name, text in shown.items():
        assert input_value(page, name) == text, name
    typed = {name: input_value(page, name) for name in (*NUMBER_FIELDS, "plant_age_years")}
    response = client.post(url, data=farm_form(country=country, **{**place, **typed}))

    assert response.status_code == 302
    db.session.refresh(farm)
    assert {name: getattr(farm, name) for name in before} == before


def test_the_profile_form_shows_the_birth_year_without_a_thousands_mark(
    client, login, make_user, make_producer
):
    user = make_user("producer")
    producer = make_producer(user_id=user.id, birth_year=1985)
    login(user)
    page = client.get(f"/productores/{producer.id}/editar").get_data(as_text=True)
    assert input_value(page, "birth_year") == "1985"
    assert input_attributes(page, "birth_year")["inputmode"] == "numeric"
