"""Purchase commitments and pledges: the services' rules, the pages, and who may see what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from marketplace.commitments import offers, queries, services
from marketplace.errors import DomainError, InvalidInput
from marketplace.models import (
    AuditLog,
    CommitmentRegion,
    Notification,
    Organization,
    Pledge,
    Producer,
    PurchaseCommitment,
    User,
)
from marketplace.models.base import local_today, utcnow
from marketplace.producers.services import set_consent
from tests.conftest import signed_in_client
from tests.integration.form_html import field_error, input_attributes, input_value

TODAY = local_today
DF_REFUSAL = "no puede comprometer volumen libre de deforestación"


def terms(**overrides) -> services.CommitmentData:
    today = TODAY()
    values = {
        "product": "Cacao en grano seco",
        "value_chain": "cacao",
        "country": "PE",
        "volume_kg": 50_000,
        "min_kg_per_producer": 200,
        "max_kg_per_producer": 5_000,
        "price_type": "fixed",
        "price_minor_per_kg": 1150,
        "currency": "PEN",
        "delivery_start": today + timedelta(days=30),
        "delivery_end": today + timedelta(days=90),
        "regions": ["San Martín", "Huánuco"],
    }
    values.update(overrides)
    return services.CommitmentData(**values)


@pytest.fixture
def buyer(make_user):
    return make_user("buyer", name="Diego Ferreyra")


@pytest.fixture
def grower(make_user, make_producer, make_farm, make_org):
    """A producer with a login, in a cooperative, with one cacao farm in Juanjuí (2,800 kg)."""
    coop = make_org("cooperative")
    user = make_user("producer", name="Rosa Tapullima")
    producer = make_producer(
        user_id=user.id, cooperative_id=coop.id, first_name="Rosa", phone="+51942517380"
    )
    farm = make_farm(producer)
    return {"user": user, "producer": producer, "farm": farm, "coop": coop}


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- Buyers: publishing, editing, closing -----------------------------------------------------


def test_a_verified_buyer_publishes_a_commitment(db, buyer):
    commitment = services.create_commitment(buyer, terms(product="  Cacao en grano seco "))
    assert commitment.status == "open" and commitment.pledged_kg == 0
    assert commitment.product == "Cacao en grano seco"
    assert commitment.cutoff_date == date(2020, 12, 31)
    assert [r.region for r in commitment.regions] == ["Huánuco", "San Martín"]
    assert commitment.organization_id == buyer.organization_id
    assert audit_actions(db) == ["commitment.created"]


def test_a_premium_commitment_keeps_the_premium_and_no_price(buyer):
    commitment = services.create_commitment(
        buyer,
        terms(
            price_type="premium",
            price_minor_per_kg=999,
            premium_minor_per_kg=80,
            reference_price="Bolsa de Nueva York (ICE) del mes de entrega",
            deforestation_free=False,
        ),
    )
    assert commitment.price_minor_per_kg is None and commitment.premium_minor_per_kg == 80
    assert commitment.cutoff_date is None


@pytest.mark.parametrize("verified", [False, True])
def test_unverified_or_suspended_organizations_cannot_publish(db, make_user, make_org, verified):
    org = make_org("buyer", verified=verified, suspended_at=utcnow() if verified else None)
    error = refused(services.create_commitment, make_user("buyer", organization=org), terms())
    assert "no puede publicar" in str(error.message)
    assert db.session.scalar(select(func.count(PurchaseCommitment.id))) == 0


def test_only_members_of_buyer_organizations_publish(make_user):
    refused(services.create_commitment, make_user("supplier"), terms())
    refused(services.create_commitment, make_user("buyer", organization=None), terms())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"volume_kg": 0}, "volume_kg"),
        ({"volume_kg": 10_000_001}, "volume_kg"),
        ({"min_kg_per_producer": 6_000}, "min_kg_per_producer"),
        ({"max_kg_per_producer": 50_001}, "max_kg_per_producer"),
        ({"min_kg_per_producer": -5}, "min_kg_per_producer"),
        ({"price_minor_per_kg": None}, "price_minor_per_kg"),
        ({"price_minor_per_kg": 0}, "price_minor_per_kg"),
        ({"price_type": "premium", "premium_minor_per_kg": 50}, "reference_price"),
        ({"price_type": "premium", "reference_price": "ICE"}, "premium_minor_per_kg"),
        ({"price_type": "barter"}, "price_type"),
        ({"currency": "EUR"}, "currency"),
        ({"max_humidity_pct": 100.5}, "max_humidity_pct"),
        ({"min_fermentation_pct": -1.0}, "min_fermentation_pct"),
        ({"product": "   "}, "product"),
        ({"value_chain": "soya"}, "value_chain"),
        # dates as days from today, read when the test runs (collection may be yesterday)
        ({"delivery_end": timedelta(days=-400)}, "delivery_end"),
        ({"delivery_start": timedelta(days=91)}, "delivery_start"),
        ({"cutoff_date": timedelta(days=400)}, "cutoff_date"),
        # far dates: a window ending in year 9999, or opened decades before its end
        ({"delivery_end": date(9999, 12, 31)}, "delivery_end"),
        ({"delivery_start": date(1, 1, 1)}, "delivery_start"),
        ({"cutoff_date": None}, "cutoff_date"),
        ({"regions": []}, "regions"),
        ({"regions": ["Cauca"]}, "regions"),
        ({"country": "AR"}, "country"),
    ],
)
def test_bad_terms_are_refused_by_field(db, buyer, overrides, field):
    today = TODAY()
    overrides = {
        name: today + value if isinstance(value, timedelta) else value
        for name, value in overrides.items()
    }
    with pytest.raises(InvalidInput) as caught:
        services.create_commitment(buyer, terms(**overrides))
    assert field in caught.value.errors
    assert db.session.scalar(select(func.count(PurchaseCommitment.id))) == 0


def test_boundaries_that_are_allowed(buyer):
    today = TODAY()
    one = terms(volume_kg=1, min_kg_per_producer=1, max_kg_per_producer=1)
    assert services.create_commitment(buyer, one).volume_kg == 1
    most = terms(volume_kg=10_000_000, max_kg_per_producer=10_000_000)
    assert services.create_commitment(buyer, most).max_kg_per_producer == 10_000_000
    soon = terms(delivery_start=today, delivery_end=today + timedelta(days=1))
    assert services.create_commitment(buyer, soon).delivery_end == today + timedelta(days=1)
    ended_today = terms(delivery_start=today - timedelta(days=5), delivery_end=today)
    with pytest.raises(InvalidInput):
        services.create_commitment(buyer, ended_today)


def test_collection_centre_must_be_active_and_in_the_country(buyer, make_center):
    centre = make_center()
    made = services.create_commitment(buyer, terms(collection_center_id=centre.id))
    assert made.collection_center == centre
    for other in (make_center(active=False), make_center(country="CO", region="Cauca")):
        with pytest.raises(InvalidInput) as caught:
            services.create_commitment(buyer, terms(collection_center_id=other.id))
        assert "collection_center_id" in caught.value.errors


def test_editing_keeps_what_pledges_rely_on(db, buyer, grower):
    commitment = services.create_commitment(buyer, terms())
    pledge(grower, commitment, 800)
    for overrides, field in [
        ({"volume_kg": 799}, "volume_kg"),
        ({"value_chain": "cafe"}, "value_chain"),
        ({"regions": ["Huánuco"]}, "regions"),
        ({"cutoff_date": date(2014, 12, 31)}, "deforestation_free"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            services.update_commitment(buyer, commitment, terms(**overrides))
        assert field in caught.value.errors
    updated = services.update_commitment(
        buyer,
        commitment,
        terms(
            volume_kg=800, max_kg_per_producer=800, regions=["San Martín"], quality_notes="Sin moho"
        ),
    )
    assert updated.status == "fulfilled" and updated.volume_kg == 800
    assert [r.region for r in updated.regions] == ["San Martín"]
    assert audit_actions(db)[-1] == "commitment.updated"
    detail = db.session.scalar(select(AuditLog.detail).order_by(AuditLog.id.desc()))
    assert detail["fields"] == ["max_kg_per_producer", "quality_notes", "regions", "volume_kg"]
    error = refused(services.update_commitment, buyer, updated, terms(volume_kg=900))
    assert "abiertos" in str(error.message)


def test_other_organizations_cannot_edit_or_close(buyer, make_user):
    commitment = services.create_commitment(buyer, terms())
    intruder = make_user("buyer")
    refused(services.update_commitment, intruder, commitment, terms(volume_kg=1))
    refused(services.close_commitment, intruder, commitment)
    assert commitment.status == "open" and commitment.volume_kg == 50_000


def test_closing_keeps_pledges_and_tells_producers_with_a_login(
    db, buyer, grower, make_user, make_producer, make_farm
):
    commitment = services.create_commitment(buyer, terms())
    pledge(grower, commitment, 500)
    no_login = make_producer(cooperative_id=grower["coop"].id)
    technician = make_user("technician", organization=grower["coop"])
    services.pledge_volume(technician, no_login, commitment.id, make_farm(no_login).id, 400)
    services.close_commitment(buyer, commitment)
    assert commitment.status == "closed" and commitment.pledged_kg == 900
    notices = db.session.scalars(
        select(Notification).where(Notification.kind == "commitment.closed")
    ).all()
    assert [n.user_id for n in notices] == [grower["user"].id]
    assert db.session.scalar(select(func.count()).where(Pledge.status == "active")) == 2
    assert "commitment.closed" in audit_actions(db)
    refused(services.close_commitment, buyer, commitment)
    assert "cerró" in str(refused(pledge, grower, commitment, 300).message)


# -- Pledges -----------------------------------------------------------------------------------


@pytest.fixture
def offer(make_commitment, make_user):
    """An open commitment of 10,000 kg, 100-3,000 kg per producer, from a buyer with a login."""
    buyer = make_user("buyer")
    return make_commitment(buyer.organization, created_by=buyer)


def pledge(grower, commitment, kg, farm=None, **kwargs) -> Pledge:
    farm = farm or grower["farm"]
    return services.pledge_volume(
        grower["user"], grower["producer"], commitment.id, farm.id, kg, **kwargs
    )


def test_a_pledge_takes_volume_notifies_the_buyer_and_is_audited(db, grower, offer):
    made = pledge(grower, offer, 1_200)
    assert made.status == "active" and not made.pending_verification
    assert made.pledged_by_id == grower["user"].id
    assert offer.pledged_kg == 1_200 and offer.remaining_kg == 8_800
    note = db.session.scalar(select(Notification).where(Notification.kind == "pledge.created"))
    assert note.organization_id == offer.organization_id and note.params["kg"] == 1_200
    assert audit_actions(db) == ["pledge.created"]


def test_minimum_and_maximum_per_producer(db, grower, offer, make_farm):
    error = refused(pledge, grower, offer, 99)
    assert error.field == "kg" and "mínimo" in str(error.message)
    pledge(grower, offer, 100)  # exactly the minimum
    second = make_farm(grower["producer"], name="Parcela Norte", productive_ha=5.0)
    error = refused(pledge, grower, offer, 2_901, farm=second)
    assert "máximo" in str(error.message) and "100" in str(error.message)
    pledge(grower, offer, 2_900, farm=second)  # the maximum, over two farms
    assert queries.producer_pledged_kg(grower["producer"].id, offer.id) == 3_000
    error = refused(pledge, grower, offer, 1, farm=second)
    assert "máximo" in str(error.message)


@pytest.fixture
def neighbour(make_user, make_producer, make_farm):
    """Another producer with a login and a cacao farm in Juanjuí."""
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    return {"user": user, "producer": producer, "farm": make_farm(producer)}


def test_the_sum_never_exceeds_the_volume(db, grower, neighbour, offer):
    offer.volume_kg = 3_000
    db.session.commit()
    pledge(grower, offer, 2_000)
    error = refused(pledge, neighbour, offer, 1_001)
    assert error.field == "kg" and "Solo quedan 1,000 kg" in str(error.message)
    pledge(neighbour, offer, 800)
    assert offer.status == "open"
    pledge(neighbour, offer, 200)  # exactly what remains: fulfilled
    assert offer.status == "fulfilled" and offer.remaining_kg == 0
    error = refused(pledge, grower, offer, 100)
    assert "completó" in str(error.message) and error.field == "kg"
    total = db.session.scalar(select(func.sum(Pledge.kg)).where(Pledge.status == "active"))
    assert total == offer.pledged_kg == 3_000


def test_a_farm_pledges_at_most_its_expected_production(db, grower, offer, make_commitment):
    offer.max_kg_per_producer = 10_000
    db.session.commit()
    error = refused(pledge, grower, offer, 2_801)  # 4 ha x 700 kg/ha = 2,800 kg
    assert "2800" in str(error.message).replace(".", "").replace(",", "")
    other = make_commitment(max_kg_per_producer=10_000)
    pledge(grower, other, 1_000)
    error = refused(pledge, grower, offer, 1_801)
    assert "1800" in str(error.message).replace(".", "").replace(",", "")
    pledge(grower, offer, 1_800)
    # Pledges to commitments already delivered belong to another harvest.
    other.delivery_start = TODAY() - timedelta(days=90)
    other.delivery_end = TODAY() - timedelta(days=1)
    db.session.commit()
    third = make_commitment(max_kg_per_producer=10_000)
    pledge(grower, third, 1_000)


def test_a_farm_without_yield_is_asked_for_it(db, grower, offer):
    grower["farm"].yield_kg_ha = None
    db.session.commit()
    error = refused(pledge, grower, offer, 500)
    assert "rendimiento" in str(error.message) and error.field == "farm_id"


def test_deforestation_rules(db, grower, offer, make_commitment):
    grower["farm"].cleared_after_cutoff = "yes"
    db.session.commit()
    error = refused(pledge, grower, offer, 500)
    assert DF_REFUSAL in str(error.message)
    not_required = make_commitment(deforestation_free=False, cutoff_date=None)
    assert not pledge(grower, not_required, 500).pending_verification
    grower["farm"].cleared_after_cutoff = "unknown"
    db.session.commit()
    made = pledge(grower, offer, 500)
    assert made.pending_verification and made.awaits_verification
    assert offers.producer_pledge_summary(grower["producer"])["pending_verification"] == 1
    _, rows = queries.pledges_by_farm(offer.id)
    assert [row.pending_verification for row in rows] == [True]
    # A verification settles the farm after the pledge: pages follow the farm, the pledge
    # keeps what it was on its day.
    grower["farm"].cleared_after_cutoff = "no"
    db.session.commit()
    assert made.pending_verification and not made.awaits_verification
    assert offers.producer_pledge_summary(grower["producer"])["pending_verification"] == 0
    _, rows = queries.pledges_by_farm(offer.id)
    assert [row.pending_verification for row in rows] == [False]


def test_farms_must_be_the_producers_and_match(db, grower, offer, make_producer, make_farm):
    stranger_farm = make_farm(make_producer())
    error = refused(pledge, grower, offer, 500, farm=stranger_farm)
    assert error.field == "farm_id"
    coffee = make_farm(grower["producer"], value_chain="cafe")
    refused(pledge, grower, offer, 500, farm=coffee)
    cusco = make_farm(grower["producer"], region="Cusco", district_code="080906")
    refused(pledge, grower, offer, 500, farm=cusco)
    assert offer.pledged_kg == 0 and db.session.scalar(select(func.count(Pledge.id))) == 0


@pytest.mark.parametrize("kg", [0, -100, 10_000_001])
def test_absurd_quantities_are_refused(grower, offer, kg):
    assert refused(pledge, grower, offer, kg).field == "kg"


def test_commitments_that_take_no_pledges(db, grower, make_commitment, make_org):
    today = TODAY()
    ended = make_commitment(delivery_start=today - timedelta(days=30), delivery_end=today)
    pledge(grower, ended, 100)  # the last day of the window still counts
    ended.delivery_end = today - timedelta(days=1)
    db.session.commit()
    assert "terminó" in str(refused(pledge, grower, ended, 100).message)
    assert "completó" in str(refused(pledge, grower, make_commitment(status="fulfilled"), 100))
    suspended = make_org("buyer", suspended_at=utcnow())
    assert "suspendido" in str(refused(pledge, grower, make_commitment(suspended), 100).message)
    refused(services.pledge_volume, grower["user"], grower["producer"], 999_999, 1, 100)


def test_others_cannot_pledge_for_a_producer(db, grower, offer, make_user):
    for intruder in (make_user("producer"), make_user("technician"), make_user("buyer")):
        refused(
            services.pledge_volume, intruder, grower["producer"], offer.id, grower["farm"].id, 500
        )
    assert offer.pledged_kg == 0


def test_a_technician_pledges_on_behalf_and_the_audit_says_so(db, grower, offer, make_user):
    technician = make_user("technician", organization=grower["coop"])
    made = services.pledge_volume(technician, grower["producer"], offer.id, grower["farm"].id, 700)
    assert made.pledged_by_id == technician.id
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "pledge.created"))
    assert row.actor_id == technician.id and row.detail["on_behalf"] is True


def test_withdrawing_frees_the_volume_until_delivery_starts(db, grower, offer):
    offer.volume_kg = 1_000
    db.session.commit()
    made = pledge(grower, offer, 1_000)
    assert offer.status == "fulfilled"
    start = offer.delivery_start
    error = refused(services.withdraw_pledge, grower["user"], made.id, today=start)
    assert "ya empezó" in str(error.message)
    services.withdraw_pledge(grower["user"], made.id, today=start - timedelta(days=1))
    assert made.status == "withdrawn" and made.withdrawn_at is not None
    assert offer.pledged_kg == 0 and offer.status == "open"
    refused(services.withdraw_pledge, grower["user"], made.id)
    assert audit_actions(db)[-1] == "pledge.withdrawn"
    kinds = db.session.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert kinds == ["pledge.created", "pledge.withdrawn"]


def test_withdrawing_from_a_closed_commitment_keeps_it_closed(
    db, grower, offer, make_user, make_commitment
):
    made = pledge(grower, offer, 500)
    services.close_commitment(offer.created_by, offer)
    refused(services.withdraw_pledge, make_user("producer"), made.id)
    refused(services.withdraw_pledge, make_user("technician"), made.id)
    services.withdraw_pledge(grower["user"], made.id)
    assert offer.status == "closed" and offer.pledged_kg == 0
    technician = make_user("technician", organization=grower["coop"])
    again = pledge(grower, make_commitment(), 500)
    services.withdraw_pledge(technician, again.id)
    assert again.status == "withdrawn"


# -- What producers and buyers see (queries) ---------------------------------------------------


def test_producers_see_open_commitments_matching_any_farm(
    db, grower, make_commitment, make_farm, make_org
):
    today = TODAY()
    cacao = make_commitment(product="Cacao San Martín")
    make_commitment(product="Café", value_chain="cafe")
    make_commitment(product="Cacao Cusco", regions=["Cusco"])
    make_commitment(product="Cerrado", status="closed")
    make_commitment(product="Pasado", delivery_start=today - timedelta(days=60), delivery_end=today)
    make_commitment(product="Vencido", delivery_end=today - timedelta(days=1))
    make_commitment(make_org("buyer", suspended_at=utcnow()), product="Suspendido")
    producer = grower["producer"]
    found = [c.product for c in offers.matching_page(producer).items]
    assert found == ["Pasado", "Cacao San Martín"]
    make_farm(producer, value_chain="cafe", region="Cusco", district_code="080906")
    db.session.refresh(producer)
    coffee_cusco = make_commitment(product="Café Cusco", value_chain="cafe", regions=["Cusco"])
    found = {c.product for c in offers.open_commitments_for(producer, limit=10)}
    assert found == {"Pasado", "Cacao San Martín", "Café Cusco"}
    assert offers.is_offered_to(producer, coffee_cusco, today)
    assert offers.is_offered_to(producer, cacao, today)
    summary = offers.producer_pledge_summary(producer)
    assert summary == {
        "active_pledges": 0,
        "active_kg": 0,
        "pending_verification": 0,
        "matching_offers": 3,
    }
    pledge(grower, cacao, 500)
    assert offers.producer_pledge_summary(producer)["active_kg"] == 500
    assert offers.matching_page(make_producer_without_farms(db)).total == 0


def make_producer_without_farms(db):
    from marketplace.models import Producer

    producer = Producer(
        first_name="Ana", last_name="Sin Finca", gender="female", country="PE",
        national_id="49999999",
    )  # fmt: skip
    db.session.add(producer)
    db.session.commit()
    return producer


def test_buyer_summary(db, buyer, grower, make_commitment):
    org = buyer.organization
    first = make_commitment(org, volume_kg=4_000)
    make_commitment(org, status="closed")
    make_commitment(org, status="fulfilled", pledged_kg=10_000)
    make_commitment()  # another organization's
    pledge(grower, first, 1_000)
    summary = queries.buyer_summary(org.id)
    assert (summary["open"], summary["closed"], summary["fulfilled"]) == (1, 1, 1)
    assert summary["open_volume_kg"] == 4_000 and summary["open_pledged_kg"] == 1_000
    assert [(row["fill_pct"], row["remaining_kg"]) for row in summary["commitments"]] == [
        (25, 3_000)
    ]


def test_search_for_the_api(db, make_commitment, make_org):
    today = TODAY()
    make_commitment(product="A")
    make_commitment(product="B", value_chain="cafe", regions=["Junín"])
    make_commitment(product="C", country="CO", currency="COP", regions=["Cauca"])
    make_commitment(product="D", deforestation_free=False, cutoff_date=None)
    make_commitment(product="E", status="closed")
    make_commitment(product="F", delivery_end=today - timedelta(days=1))
    make_commitment(make_org("buyer", suspended_at=utcnow()), product="G")

    def products(**filters) -> set[str]:
        page = services.search_commitments(services.CommitmentFilters(**filters), 1, 50)
        for commitment in page.items:
            assert "organization" in commitment.__dict__ and "regions" in commitment.__dict__
        return {c.product for c in page.items}

    assert products() == {"A", "B", "C", "D"}
    assert products(value_chain="cafe") == {"B"}
    assert products(country="CO") == {"C"}
    assert products(region="Junín", country="PE") == {"B"}
    assert products(region="San Martín") == {"A", "D"}
    assert products(deforestation_free=False) == {"D"}
    assert products(status="closed") == {"E"}
    assert products(status="all") == {"A", "B", "C", "D", "E", "F"}
    page = services.search_commitments(services.CommitmentFilters(), page=2, per_page=3)
    assert page.total == 4 and len(page.items) == 1


def test_pledges_by_region_and_by_farm(db, grower, neighbour, offer, make_farm):
    huanuco = make_farm(
        neighbour["producer"], region="Huánuco", district_code="100601", name="Bella"
    )
    offer.regions.append(CommitmentRegion(country="PE", region="Huánuco"))
    db.session.commit()
    pledge(grower, offer, 1_000)
    pledge(neighbour, offer, 600)
    pledge(neighbour, offer, 400, farm=huanuco)
    rows = queries.pledges_by_region(offer.id)
    assert [(r.region, r.kg, r.producers, r.farms) for r in rows] == [
        ("San Martín", 1_600, 2, 2),
        ("Huánuco", 400, 1, 1),
    ]
    pagination, farms = queries.pledges_by_farm(offer.id)
    assert pagination.total == 3 and sum(row.kg for row in farms) == 2_000


def _count_queries(db):
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(engine, "before_cursor_execute", before)


def test_the_buyers_farm_list_runs_the_same_queries_for_any_size(
    db, offer, make_user, make_producer, make_farm
):
    def load() -> int:
        db.session.expunge_all()
        statements, stop = _count_queries(db)
        queries.pledges_by_farm(offer.id)
        stop()
        return len(statements)

    def add_pledger() -> None:
        user = make_user("producer")
        producer = make_producer(user_id=user.id)
        farm = make_farm(producer)
        services.pledge_volume(user, producer, offer.id, farm.id, 100)

    add_pledger()
    few = load()
    for _ in range(6):
        add_pledger()
    assert load() == few <= 4


# -- The buyer's view of pledges: personal details only under consent --------------------------


def test_buyers_see_personal_details_only_under_consent(
    db, login, grower, neighbour, offer, make_user
):
    grower["farm"].name = "Chacra El Cacaotal"
    neighbour["producer"].first_name, neighbour["producer"].phone = "Teodoro", "+51987000111"
    db.session.commit()
    pledge(grower, offer, 1_000)
    grower["farm"].cleared_after_cutoff = "unknown"
    db.session.commit()
    pledge(neighbour, offer, 700)
    set_consent(grower["user"], grower["producer"], "buyers", True)
    set_consent(neighbour["user"], neighbour["producer"], "lenders", True)  # not for buyers
    client = login(offer.created_by)
    url = f"/compras/compromisos/{offer.id}"

    page = client.get(url).get_data(as_text=True)
    assert "Rosa" in page and "+51942517380" in page and "Chacra El Cacaotal" in page
    assert "Teodoro" not in page and "+51987000111" not in page
    assert "Productor/a sin consentimiento para compartir datos" in page
    assert "Juanjuí" in page and "17 %" in page and "8,300" in page

    set_consent(grower["user"], grower["producer"], "buyers", False)
    page = client.get(url).get_data(as_text=True)
    assert "Rosa" not in page and "+51942517380" not in page and "Chacra El Cacaotal" not in page
    assert page.count("Productor/a sin consentimiento para compartir datos") == 2


# -- Pages -------------------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    today = TODAY()
    data = {
        "product": "Cacao en grano seco",
        "value_chain": "cacao",
        "country": "PE",
        "regions": ["San Martín"],
        "volume_kg": "20000",
        "min_kg_per_producer": "100",
        "max_kg_per_producer": "2000",
        "price_type": "fixed",
        "currency": "PEN",
        "price": "9,80",
        "premium": "",
        "reference_price": "",
        "max_humidity_pct": "7,5",
        "min_fermentation_pct": "70",
        "quality_notes": "Grano sin moho",
        "deforestation_free": "y",
        "cutoff": "2020-12-31",
        "cutoff_other": "",
        "delivery_start": (today + timedelta(days=30)).isoformat(),
        "delivery_end": (today + timedelta(days=90)).strftime("%d/%m/%Y"),
        "collection_center_id": "",
    }
    data.update(overrides)
    return data


def test_a_buyer_posts_a_commitment_through_the_form(db, login, buyer, make_center):
    client = login(buyer)
    page = client.get("/compras/compromisos/nuevo").get_data(as_text=True)
    assert "Publicar un compromiso de compra" in page and 'value="San Martín"' in page
    centre = make_center()
    response = client.post(
        "/compras/compromisos/nuevo", data=form_data(collection_center_id=str(centre.id))
    )
    assert response.status_code == 302
    commitment = db.session.scalar(select(PurchaseCommitment))
    assert commitment.price_minor_per_kg == 980 and commitment.max_humidity_pct == 7.5
    assert commitment.collection_center_id == centre.id
    page = client.get(response.location).get_data(as_text=True)
    assert "Compromiso publicado." in page and "0 % comprometido" in page
    listing = client.get("/compras/compromisos").get_data(as_text=True)
    assert "Cacao en grano seco" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"volume_kg": "0"}, "entre 1 y 10 000 000"),
        ({"volume_kg": "abc"}, "entero"),
        ({"price": "8..5"}, "45.50 o 45,50"),
        ({"price": ""}, "obligatorio"),
        ({"price_type": "premium", "premium": "0,80"}, "Bolsa de Nueva York"),
        ({"min_kg_per_producer": "3000"}, "El mínimo no puede ser mayor que el máximo."),
        ({"regions": []}, "al menos una región"),
        ({"delivery_end": "2020-01-01"}, "debe terminar después de hoy"),
        ({"delivery_end": "31-31-2031"}, "fecha"),
        ({"cutoff": "other"}, "obligatorio"),
        ({"max_humidity_pct": "150"}, "entre 0 y 100"),
    ],
)
def test_the_form_explains_mistakes_in_spanish_and_keeps_the_input(
    db, login, buyer, overrides, message
):
    client = login(buyer)
    response = client.post(
        "/compras/compromisos/nuevo", data=form_data(product="Cacao fino de aroma", **overrides)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and "Revise los datos marcados" in page
    assert 'value="Cacao fino de aroma"' in page and "Grano sin moho" in page
    assert db.session.scalar(select(func.count(PurchaseCommitment.id))) == 0


def test_forged_posts_get_messages_not_errors(db, login, buyer):
    client = login(buyer)
    forged = form_data(
        cutoff="2019-13-01",
        value_chain="soya",
        currency="EUR",
        price_type="barter",
        collection_center_id="999",
        regions=["Narnia"],
        volume_kg="-5",
        country="AR",
    )
    response = client.post("/compras/compromisos/nuevo", data=forged)
    assert response.status_code == 200 and "Revise los datos marcados" in response.text
    assert db.session.scalar(select(func.count(PurchaseCommitment.id))) == 0


def test_a_buyer_without_an_organization_is_told_what_to_do(login, make_user):
    client = login(make_user("buyer", organization=None))
    assert "únase a una organización compradora" in client.get("/compras/compromisos").text
    assert client.get("/compras/compromisos/nuevo").status_code == 302


def test_an_unverified_buyer_is_told_and_keeps_the_input(db, login, make_user, make_org):
    client = login(make_user("buyer", organization=make_org("buyer", verified=False)))
    page = client.get("/compras/compromisos/nuevo").get_data(as_text=True)
    assert "no puede publicar compromisos" in page
    response = client.post("/compras/compromisos/nuevo", data=form_data(product="Miel"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Miel"' in page
    assert "Un administrador de Minka debe verificarla" in page
    assert db.session.scalar(select(func.count(PurchaseCommitment.id))) == 0


def test_changing_the_country_shows_its_regions_without_saving(db, login, buyer):
    client = login(buyer)
    response = client.post(
        "/compras/compromisos/nuevo", data=form_data(country="MX", refresh="1", regions=[])
    )
    page = response.get_data(as_text=True)
    assert 'value="Yucatán"' in page and 'value="San Martín"' not in page
    assert "Revise los datos" not in page
    assert db.session.scalar(select(func.count(PurchaseCommitment.id))) == 0


def test_a_buyer_edits_and_closes_a_commitment(db, login, buyer, grower, make_commitment):
    commitment = make_commitment(buyer.organization, created_by=buyer, price_minor_per_kg=1050)
    pledge(grower, commitment, 1_000)
    client = login(buyer)
    page = client.get(f"/compras/compromisos/{commitment.id}/editar").get_data(as_text=True)
    assert 'value="10.50"' in page and 'value="10,000"' in page  # as a Peruvian writes them
    response = client.post(
        f"/compras/compromisos/{commitment.id}/editar", data=form_data(volume_kg="500")
    )
    assert "el volumen total no puede ser menor" in response.get_data(as_text=True)
    response = client.post(
        f"/compras/compromisos/{commitment.id}/editar", data=form_data(price="11")
    )
    assert response.status_code == 302
    db.session.refresh(commitment)
    assert commitment.price_minor_per_kg == 1100 and commitment.volume_kg == 20_000
    assert "Cerrar «Cacao" in client.get(f"/compras/compromisos/{commitment.id}/cerrar").text
    response = client.post(f"/compras/compromisos/{commitment.id}/cerrar")
    assert response.status_code == 302
    db.session.refresh(commitment)
    assert commitment.status == "closed"
    response = client.get(f"/compras/compromisos/{commitment.id}/editar", follow_redirects=True)
    assert "Solo se pueden modificar compromisos abiertos." in response.text


def test_a_producer_pledges_and_sees_the_remaining_volume_go_down(db, login, grower, offer):
    client = login(grower["user"])
    listing = client.get("/compromisos").text
    assert "Cacao en grano seco" in listing and "10,000 kg" in listing
    page = client.get(f"/compromisos/{offer.id}").text
    assert "La Esperanza (hasta 2,800 kg)" in page
    response = client.post(
        f"/compromisos/{offer.id}", data={"farm_id": str(grower["farm"].id), "kg": "5000"}
    )
    assert "El máximo por productor es 3,000 kg" in response.text
    assert 'value="5000"' in response.text
    response = client.post(
        f"/compromisos/{offer.id}",
        data={"farm_id": str(grower["farm"].id), "kg": "1500"},
        follow_redirects=True,
    )
    assert "Se comprometió a entregar 1,500 kg." in response.text
    assert "Quedan 8,500 kg por comprometer." in response.text
    mine = client.get("/mis-compromisos-de-venta").text
    assert "1,500 kg de La Esperanza" in mine and "Vigente" in mine
    made = db.session.scalar(select(Pledge))
    assert "Retirar" in client.get(f"/compromisos-de-venta/{made.id}/retirar").text
    response = client.post(f"/compromisos-de-venta/{made.id}/retirar", follow_redirects=True)
    assert "Compromiso de venta retirado" in response.text and "Retirado" in response.text
    db.session.refresh(offer)
    assert offer.pledged_kg == 0


def test_a_forged_farm_changes_nothing(db, login, grower, neighbour, offer):
    client = login(grower["user"])
    response = client.post(
        f"/compromisos/{offer.id}", data={"farm_id": str(neighbour["farm"].id), "kg": "500"}
    )
    assert response.status_code == 200 and "Revise los datos marcados" in response.text
    assert db.session.scalar(select(func.count(Pledge.id))) == 0


def test_a_technician_pledges_for_a_producer_of_the_cooperative(
    db, login, grower, offer, make_user
):
    technician = make_user("technician", organization=grower["coop"])
    client = login(technician)
    base = f"/productores/{grower['producer'].id}/compromisos"
    assert "Cacao en grano seco" in client.get(base).text
    response = client.post(
        f"{base}/{offer.id}",
        data={"farm_id": str(grower["farm"].id), "kg": "800"},
        follow_redirects=True,
    )
    assert "Se comprometió a entregar 800 kg." in response.text
    assert db.session.scalar(select(Pledge.pledged_by_id)) == technician.id
    assert "800 kg de La Esperanza" in client.get(base).text


def test_producers_without_a_profile_are_sent_to_fill_it(login, make_user):
    client = login(make_user("producer"))
    for url in ("/compromisos", "/compromisos/1", "/mis-compromisos-de-venta"):
        response = client.get(url)
        assert response.status_code == 302 and "/mis-datos" in response.location


# -- Permission matrix: every new route x every role --------------------------------------------

ROLES = [
    "anonymous",
    "owner",  # the producer who pledged, with a matching farm
    "other_producer",  # a producer without matching farms
    "technician",  # of the owner's cooperative
    "other_technician",
    "supplier",
    "buyer",  # member of the organization that posted the commitment
    "other_buyer",  # member of another buyer organization
    "lender",
    "admin",
]
FORBIDDEN = {role: 403 for role in ROLES} | {"anonymous": 302}
BUYERS = FORBIDDEN | {"buyer": 200, "other_buyer": 200}
OWN_COMMITMENT = FORBIDDEN | {"buyer": 200, "other_buyer": 404}
PRODUCERS = FORBIDDEN | {"owner": 200, "other_producer": 200}
OFFER = FORBIDDEN | {"owner": 200, "other_producer": 404}
FOR_PRODUCER = FORBIDDEN | {
    "owner": 302,  # to their own address
    "other_producer": 404,
    "technician": 200,
    "other_technician": 404,
}
PLEDGE = FORBIDDEN | {
    "owner": 200,
    "other_producer": 404,
    "technician": 200,
    "other_technician": 404,
}

PAGES = [
    ("/compras/compromisos", BUYERS),
    ("/compras/compromisos/nuevo", BUYERS),
    ("/compras/compromisos/{commitment}", OWN_COMMITMENT),
    ("/compras/compromisos/{commitment}/editar", OWN_COMMITMENT),
    ("/compras/compromisos/{commitment}/cerrar", OWN_COMMITMENT),
    ("/compromisos", PRODUCERS),
    ("/compromisos/{commitment}", OFFER),
    ("/mis-compromisos-de-venta", PRODUCERS),
    ("/productores/{producer}/compromisos", FOR_PRODUCER),
    ("/productores/{producer}/compromisos/{commitment}", FOR_PRODUCER),
    ("/compromisos-de-venta/{pledge}/retirar", PLEDGE),
]


@pytest.fixture
def world(grower, make_user, make_producer, make_commitment):
    buyer = make_user("buyer")
    commitment = make_commitment(buyer.organization, created_by=buyer)
    made = pledge(grower, commitment, 500)
    users = {
        "owner": grower["user"],
        "other_producer": make_user("producer"),
        "technician": make_user("technician", organization=grower["coop"]),
        "other_technician": make_user("technician"),
        "supplier": make_user("supplier"),
        "buyer": buyer,
        "other_buyer": make_user("buyer"),
        "lender": make_user("lender"),
        "admin": make_user("admin"),
    }
    make_producer(user_id=users["other_producer"].id)
    ids = {"commitment": commitment.id, "producer": grower["producer"].id, "pledge": made.id}
    return {"users": users, "ids": ids, "farm": grower["farm"].id}


def _client_as(app, world, role):
    return signed_in_client(app, world["users"].get(role))


@pytest.mark.parametrize("role", ROLES)
def test_every_commitment_page_for_every_role(app, world, role):
    client = _client_as(app, world, role)
    for template, expected in PAGES:
        url = template.format(**world["ids"])
        status = client.get(url).status_code
        assert status == expected[role], f"{role} GET {url}: {status} != {expected[role]}"


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("owner", "technician", "buyer")])
def test_outsiders_change_nothing(app, db, world, role):
    client = _client_as(app, world, role)
    ids = world["ids"]
    posts = [
        (f"/compras/compromisos/{ids['commitment']}/cerrar", {}, OWN_COMMITMENT),
        (
            f"/compras/compromisos/{ids['commitment']}/editar",
            form_data(volume_kg="600"),
            OWN_COMMITMENT,
        ),
        (f"/compromisos-de-venta/{ids['pledge']}/retirar", {}, PLEDGE),
        (
            f"/productores/{ids['producer']}/compromisos/{ids['commitment']}",
            {"farm_id": str(world["farm"]), "kg": "400"},
            FOR_PRODUCER,
        ),
    ]
    for url, data, expected in posts:
        status = client.post(url, data=data).status_code
        if role == "other_buyer" and expected is OWN_COMMITMENT:
            assert status == 404, url
        else:
            assert status == expected[role], f"{role} POST {url}: {status}"
    db.session.expire_all()
    commitment = db.session.get(PurchaseCommitment, ids["commitment"])
    assert (commitment.status, commitment.volume_kg, commitment.pledged_kg) == ("open", 10_000, 500)
    assert db.session.get(Pledge, ids["pledge"]).status == "active"
    assert db.session.scalar(select(func.count(Pledge.id))) == 1


def test_commitment_ids_cannot_be_probed(app, world):
    client = _client_as(app, world, "other_buyer")
    assert client.get(f"/compras/compromisos/{world['ids']['commitment']}").status_code == 404
    assert client.get("/compras/compromisos/999999").status_code == 404
    client = _client_as(app, world, "owner")
    assert client.get("/compromisos/999999").status_code == 404
    assert client.get("/compromisos-de-venta/999999/retirar").status_code == 404


# -- The demo world ----------------------------------------------------------------------------


def test_demo_commitments_follow_every_rule(db, runner):
    from collections import defaultdict

    from marketplace.models import Farm, Organization, User
    from marketplace.models.disputes import ForestDispute

    result = runner.invoke(args=["demo-data", "--producers", "300"])
    assert result.exit_code == 0, result.output
    farms = {farm.id: farm for farm in db.session.scalars(select(Farm))}
    # the demo decides disputes after the pledges: a pledge keeps the clearing of its day
    settled = set(
        db.session.scalars(
            select(ForestDispute.farm_id).where(ForestDispute.confirmed_at.is_not(None))
        )
    )
    commitments = db.session.scalars(select(PurchaseCommitment)).all()
    pledges = db.session.scalars(select(Pledge).where(Pledge.status == "active")).all()
    by_commitment = defaultdict(list)
    for made in pledges:
        by_commitment[made.commitment_id].append(made)
    farm_kg = defaultdict(int)
    open_by_org = defaultdict(int)
    for commitment in commitments:
        mine = by_commitment[commitment.id]
        assert commitment.pledged_kg == sum(p.kg for p in mine) <= commitment.volume_kg
        assert (commitment.status == "fulfilled") == (commitment.pledged_kg == commitment.volume_kg)
        assert commitment.delivery_start > date(2026, 10, 1)
        assert 1 <= commitment.min_kg_per_producer <= commitment.max_kg_per_producer
        assert commitment.max_kg_per_producer <= commitment.volume_kg
        open_by_org[commitment.organization_id] += commitment.status == "open"
        places = {(r.country, r.region) for r in commitment.regions}
        per_producer = defaultdict(int)
        for made in mine:
            farm = farms[made.farm_id]
            assert farm.producer_id == made.producer_id
            assert farm.value_chain == commitment.value_chain
            assert (farm.country, farm.region) in places
            cleared = farm.cleared_after_cutoff
            assert not (commitment.deforestation_free and cleared == "yes")
            assert farm.id in settled or made.pending_verification == (
                commitment.deforestation_free and cleared == "unknown"
            )
            per_producer[made.producer_id] += made.kg
            farm_kg[farm.id] += made.kg
        for kg in per_producer.values():
            assert commitment.min_kg_per_producer <= kg <= commitment.max_kg_per_producer
    for farm_id, kg in farm_kg.items():
        assert kg <= farms[farm_id].productive_ha * farms[farm_id].yield_kg_ha
    assert all(2 <= n <= 4 for n in open_by_org.values()) and len(open_by_org) >= 5
    buyer = db.session.scalar(select(User).where(User.email == "comprador@minka.demo"))
    org = db.session.get(Organization, buyer.organization_id)
    assert sum(c.organization_id == org.id for c in commitments) == 3
    producer = db.session.scalar(
        select(Producer)
        .join(User, User.id == Producer.user_id)
        .where(User.email == "productora@minka.demo")
    )
    (hers,) = [p for p in pledges if p.producer_id == producer.id]
    assert hers.commitment.organization_id == org.id and hers.commitment.remaining_kg > 0


def test_lists_run_the_same_queries_for_any_number_of_commitments(
    db, login, grower, make_user, make_commitment, make_center
):
    buyer = make_user("buyer")
    org_id, buyer_login = buyer.organization_id, buyer.email
    client = login(grower["user"])

    def statements(url: str) -> int:
        db.session.expunge_all()  # the test's session outlives requests: start cold each time
        found, stop = _count_queries(db)
        assert client.get(url).status_code == 200
        stop()
        return len(found)

    def add() -> None:
        org = db.session.get(Organization, org_id)
        made = make_commitment(org, collection_center_id=make_center().id)
        pledge(grower_again(), made, 100)

    def grower_again() -> dict:
        return {key: db.session.merge(value) for key, value in grower.items()}

    add()
    one = (statements("/compromisos"), statements("/mis-compromisos-de-venta"))
    for _ in range(4):
        add()
    assert (statements("/compromisos"), statements("/mis-compromisos-de-venta")) == one
    client.post("/salir")
    login(db.session.scalar(select(User).where(User.email == buyer_login)))
    mine = statements("/compras/compromisos")
    add()
    assert statements("/compras/compromisos") == mine


# -- Numbers as people type them ---------------------------------------------------------------

WHOLE_NUMBER = "Escriba un número entero, por ejemplo 12."


@pytest.mark.parametrize(
    ("volume", "humidity", "kg", "pct"),
    [
        ("88.000", "7,5", 88_000, 7.5),  # a lone group of three digits: thousands, for kilos
        ("88,000", "7.5", 88_000, 7.5),
        ("88 000", "7", 88_000, 7.0),
        ("1.500.000", "12,5", 1_500_000, 12.5),
    ],
)
def test_kilos_and_percentages_are_read_as_people_type_them(
    db, login, buyer, volume, humidity, kg, pct
):
    client = login(buyer)
    response = client.post(
        "/compras/compromisos/nuevo", data=form_data(volume_kg=volume, max_humidity_pct=humidity)
    )
    assert response.status_code == 302
    commitment = db.session.scalar(select(PurchaseCommitment))
    assert (commitment.volume_kg, commitment.max_humidity_pct) == (kg, pct)


@pytest.mark.parametrize(
    ("country", "volume", "humidity"), [("PE", "88,000", "7.5"), ("CO", "88.000", "7,5")]
)
def test_the_edit_form_shows_kilos_and_percentages_back_and_reads_them_unchanged(
    db, login, make_user, country, volume, humidity
):
    client = login(make_user("buyer", country=country))
    client.post(
        "/compras/compromisos/nuevo", data=form_data(volume_kg="88000", max_humidity_pct="7.5")
    )
    commitment = db.session.scalar(select(PurchaseCommitment))
    url = f"/compras/compromisos/{commitment.id}/editar"

    page = client.get(url).text
    assert (input_value(page, "volume_kg"), input_value(page, "max_humidity_pct")) == (
        volume,
        humidity,
    )
    names = ("volume_kg", "min_kg_per_producer", "max_kg_per_producer", "min_fermentation_pct")
    shown = {name: input_value(page, name) for name in (*names, "max_humidity_pct")}
    assert client.post(url, data=form_data(**shown)).status_code == 302

    db.session.refresh(commitment)
    assert (commitment.volume_kg, commitment.max_humidity_pct) == (88_000, 7.5)
    assert (commitment.min_kg_per_producer, commitment.max_kg_per_producer) == (100, 2_000)
    assert commitment.min_fermentation_pct == 70


def test_the_commitment_form_has_no_number_inputs(login, buyer):
    page = login(buyer).get("/compras/compromisos/nuevo").text
    assert 'type="number"' not in page
    assert input_attributes(page, "volume_kg")["inputmode"] == "numeric"
    assert input_attributes(page, "max_humidity_pct")["inputmode"] == "decimal"
    assert input_attributes(page, "max_humidity_pct")["type"] == "text"


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("volume_kg", "12a", WHOLE_NUMBER),
        ("volume_kg", "20.000,5", "Escriba un número entero, sin decimales."),
        ("max_humidity_pct", "7,5%", "Escriba un número, por ejemplo 4,5 o 4.5."),
        ("max_humidity_pct", "7,55", "Use como máximo un decimal."),
    ],
)
def test_a_wrong_number_in_the_commitment_form_gets_one_message(
    db, login, buyer, field, typed, message
):
    page = login(buyer).post("/compras/compromisos/nuevo", data=form_data(**{field: typed})).text
    assert field_error(page, field) == message
    assert input_value(page, field) == typed
    assert db.session.scalar(select(func.count(PurchaseCommitment.id))) == 0


def test_a_pledge_reads_grouped_kilos_and_explains_a_typo_once(db, login, grower, offer):
    client = login(grower["user"])
    url = f"/compromisos/{offer.id}"
    farm = str(grower["farm"].id)

    page = client.post(url, data={"farm_id": farm, "kg": "12a"}).text
    assert field_error(page, "kg") == WHOLE_NUMBER
    assert input_value(page, "kg") == "12a"
    assert db.session.scalar(select(Pledge)) is None

    assert client.post(url, data={"farm_id": farm, "kg": "1.500"}).status_code == 302
    assert db.session.scalar(select(Pledge)).kg == 1_500
