"""A cooperative reaches producers only once an admin verified it: a look-alike (pending,
rejected or suspended) is not offered to producers, cannot be chosen, and its technicians
see no producer's data, register nobody and probe no national id."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.models import Consent, Producer
from marketplace.models.base import utcnow
from marketplace.permissions import serving_cooperative_id
from marketplace.producers import services
from tests.conftest import signed_in_client

NAME = "Cooperativa Agroindustrial Juanjuí Cacao Fino"
UNVERIFIED_TEXT = "Su cooperativa aún no está verificada"


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


@pytest.fixture
def real_coop(make_org):
    return make_org("cooperative", name=NAME)


@pytest.fixture(params=["pending", "rejected", "suspended"])
def lookalike(request, make_org):
    """A cooperative with the same name that no admin let reach producers."""
    org = make_org("cooperative", verified=request.param == "suspended", name=NAME)
    if request.param == "rejected":
        org.rejected_at, org.rejection_reason = utcnow(), "Nombre de otra cooperativa"
    if request.param == "suspended":
        org.suspended_at = utcnow()
    return org


def test_an_unverified_cooperative_is_not_offered_to_producers(db, real_coop, lookalike):
    offered = services.cooperatives()
    assert real_coop in offered and lookalike not in offered
    assert [org.name for org in offered].count(NAME) == 1


def test_the_producers_form_does_not_list_it(app, db, make_user, real_coop, lookalike):
    client = signed_in_client(app, make_user("producer"))
    page = client.get("/mis-datos").get_data(as_text=True)
    assert f'value="{real_coop.id}"' in page
    assert f'value="{lookalike.id}"' not in page


def test_a_producer_cannot_choose_it_even_by_posting_its_id(db, make_user, lookalike):
    producer_user = make_user("producer")
    with pytest.raises(DomainError) as refused:
        services.save_profile(producer_user, profile(cooperative_id=lookalike.id))
    assert refused.value.field == "cooperative_id"
    assert db.session.scalar(select(Producer)) is None


def test_a_producer_keeps_the_cooperative_she_has_when_it_is_suspended(db, make_user, make_org):
    coop = make_org("cooperative")
    rosa = make_user("producer")
    producer = services.save_profile(rosa, profile(cooperative_id=coop.id))
    coop.suspended_at = utcnow()
    db.session.commit()
    services.save_profile(rosa, profile(cooperative_id=coop.id, first_name="Rosa María"), producer)
    assert producer.cooperative_id == coop.id and producer.first_name == "Rosa María"


def test_the_rule_lives_in_one_place(db, make_user, lookalike, real_coop):
    assert serving_cooperative_id(make_user("technician", organization=lookalike)) is None
    assert serving_cooperative_id(make_user("technician", organization=real_coop)) == real_coop.id
    assert serving_cooperative_id(make_user("buyer", organization=real_coop)) is None


def test_its_technician_cannot_register_producers(app, db, make_user, lookalike):
    tech = make_user("technician", organization=lookalike)
    with pytest.raises(DomainError) as refused:
        services.save_profile(tech, profile())
    assert UNVERIFIED_TEXT in str(refused.value.message)
    client = signed_in_client(app, tech)
    for response in (
        client.get("/productores/nuevo"),
        client.post("/productores/nuevo", data={"national_id": "41234567"}),
        client.get("/productores"),
    ):
        assert response.status_code == 200  # a page that says why, like "no organization"
        assert UNVERIFIED_TEXT in response.get_data(as_text=True)
        assert 'name="national_id"' not in response.get_data(as_text=True)
    assert db.session.scalar(select(Producer)) is None


def test_its_technician_reaches_no_producer_who_picked_it(
    app, db, make_user, make_producer, make_farm, lookalike
):
    """The finding: once a producer picked the look-alike, its technician opened her profile
    and edit form (full national id) and recorded consent for her."""
    tech = make_user("technician", organization=lookalike)
    rosa = make_producer(cooperative_id=lookalike.id, national_id="41234567")
    farm = make_farm(rosa)
    client = signed_in_client(app, tech)
    for path in (
        f"/productores/{rosa.id}",
        f"/productores/{rosa.id}/editar",
        f"/productores/{rosa.id}/consentimientos",
        f"/fincas/{farm.id}/parcela",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "41234567" not in response.get_data(as_text=True)
    client.post(
        f"/productores/{rosa.id}/consentimientos",
        data={"scope": "lenders", "granted": "y", "in_person": "y"},
    )
    assert db.session.scalar(select(Consent)) is None
    home = client.get("/").get_data(as_text=True)
    assert UNVERIFIED_TEXT in home and rosa.last_name not in home


def test_a_verified_cooperatives_technician_still_works(
    app, db, make_user, make_producer, real_coop
):
    tech = make_user("technician", organization=real_coop)
    rosa = make_producer(cooperative_id=real_coop.id)
    client = signed_in_client(app, tech)
    assert client.get(f"/productores/{rosa.id}").status_code == 200
    assert rosa.last_name in client.get("/productores").get_data(as_text=True)


@pytest.fixture
def limited(make_app):
    return make_app(RATELIMIT_ENABLED=True, MINKA_NATIONAL_ID_LIMIT="3 per hour")


def test_probing_national_ids_is_limited_per_technician(app, limited, make_user, make_producer):
    """Whether an id is registered shows in the refusal: a technician tries a few, not a list."""
    for n in range(4):
        make_producer(national_id=f"4123456{n}")
    tech, colleague = make_user("technician"), make_user("technician")
    client = signed_in_client(limited, tech)
    form = {"first_name": "X", "last_name": "Y", "gender": "female", "country": "PE"}

    def probe(who, n: int) -> int:
        return who.post("/productores/nuevo", data=form | {"national_id": f"4123456{n}"})

    registered = client.post("/productores/nuevo", data=form | {"national_id": "41234599"})
    assert registered.status_code == 302  # a registration is not a refusal: it is not counted
    answers = [probe(client, n) for n in range(3)]
    assert all("Ya hay un productor" in a.get_data(as_text=True) for a in answers)
    assert probe(client, 3).status_code == 429
    assert probe(signed_in_client(limited, colleague), 3).status_code == 200
