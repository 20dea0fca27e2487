"""The delivery, lot and traceability pages through the test client, all three sides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.models import Consent, Farm
from marketplace.models.base import local_today
from marketplace.models.traceability import Delivery
from marketplace.traceability import lots
from tests.conftest import signed_in_client
from tests.integration.deliveries import centre, deliver, producer_with_pledge
from tests.integration.form_html import field_error, input_attributes, input_value, options
from tests.integration.loans import new_loan


@pytest.fixture
def world(db, make_org, make_user, make_center, make_commitment):
    return centre(make_org, make_user, make_center, make_commitment)


@pytest.fixture
def pledged(world, make_user, make_producer, make_farm):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    farm = make_farm(producer, risk_status="free")
    from tests.integration.deliveries import pledge

    return user, producer, pledge(world.commitment, farm, 1_000)


def form(pledge_id, kg, **extra):
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    return {"pledge_id": str(pledge_id), "kg": str(kg), "delivered_on": yesterday, **extra}


def test_staff_record_a_delivery_and_the_producer_and_lender_see_the_checkoff(
    app, db, world, pledged, make_credit_product, make_user
):
    user, producer, pledge = pledged
    product = make_credit_product()
    loan = new_loan(producer, product, amount_minor=300_000)
    staff = signed_in_client(app, world.staff)
    page = staff.get(f"/acopio/centros/{world.center.id}")
    assert page.status_code == 200 and producer.full_name in page.get_data(as_text=True)

    response = staff.post(f"/acopio/centros/{world.center.id}/entregas", data=form(pledge.id, 100))

    assert response.status_code == 302
    delivery = db.session.scalar(select(Delivery))
    assert delivery.deduction_minor == 28_500  # 100 kg x S/ 9.50 x 30 %
    mine = signed_in_client(app, user).get("/mis-entregas").get_data(as_text=True)
    assert delivery.code in mine and "285.00" in mine and "665.00" in mine
    lender = signed_in_client(app, make_user("lender", organization=product.organization))
    loan_page = lender.get(f"/credito/prestamos/{loan.id}").get_data(as_text=True)
    assert f"descontado de la entrega {delivery.code}" in loan_page


def test_a_delivery_above_the_pledge_re_renders_the_form_with_the_message(app, db, world, pledged):
    _, _, pledge = pledged
    staff = signed_in_client(app, world.staff)

    response = staff.post(
        f"/acopio/centros/{world.center.id}/entregas",
        data=form(pledge.id, 1_200, quality_note="granos grandes"),
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "La entrega supera lo comprometido" in html and "granos grandes" in html
    assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_staff_build_a_lot_and_mass_balance_is_shown_on_the_form(app, db, world, pledged):
    _, _, pledge = pledged
    delivery = deliver(world, pledge, 400)
    staff = signed_in_client(app, world.staff)

    created = staff.post(
        f"/acopio/centros/{world.center.id}/lotes",
        data={"commitment_id": str(world.commitment.id)},
    )
    assert created.status_code == 302
    lot_url = created.location
    assert (
        staff.post(f"{lot_url}/entregas", data={"delivery_ids": [str(delivery.id)]}).status_code
        == 302
    )
    too_heavy = staff.post(f"{lot_url}/peso", data={"weight_kg": "401"})
    assert too_heavy.status_code == 422
    assert "balance de masa" in too_heavy.get_data(as_text=True)
    assert staff.post(f"{lot_url}/peso", data={"weight_kg": "390"}).status_code == 302
    assert staff.post(f"{lot_url}/cerrar").status_code == 302
    assert "cerrado" in staff.get(lot_url).get_data(as_text=True)


def test_the_buyer_traces_lots_to_plots_and_downloads_the_export(
    app, db, world, pledged, make_producer, make_farm
):
    _, producer, pledge = pledged
    free = deliver(world, pledge, 300)
    _, _, risky = producer_with_pledge(make_producer, make_farm, world, risk_status="at_risk")
    deliver(world, risky, 100)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [free.id])
    buyer = signed_in_client(app, world.buyer)

    html = buyer.get(f"/compras/compromisos/{world.commitment.id}/trazabilidad").get_data(
        as_text=True
    )
    assert "75 % del volumen" in html  # 300 of 400 kg free
    assert lot.code in html and 'id="trace-map"' in html
    assert producer.full_name not in html  # no consent to share with buyers
    db.session.add(Consent(producer_id=producer.id, scope="buyers", granted=True))
    db.session.commit()
    assert producer.full_name in buyer.get(f"/compras/lotes/{lot.id}").get_data(as_text=True)

    geojson = buyer.get(f"/compras/lotes/{lot.id}/diligencia.geojson")
    assert geojson.status_code == 200 and geojson.mimetype == "application/geo+json"
    # the 6 ha farms have no outline: not in the file, in the pending list with what to do
    assert geojson.get_json()["features"] == []
    table = buyer.get(f"/compras/compromisos/{world.commitment.id}/diligencia.csv")
    assert table.mimetype == "text/csv" and table.get_data(as_text=True).count("\n") == 1
    pending = buyer.get(f"/compras/lotes/{lot.id}/diligencia-pendientes.csv").get_data(as_text=True)
    assert pending.count("\n") == 2 and producer.full_name in pending and "needs_outline" in pending
    farm = db.session.get(Farm, pledge.farm_id)
    farm.total_ha = 3.0  # a small plot goes as a point with its area
    db.session.commit()
    (point,) = buyer.get(f"/compras/lotes/{lot.id}/diligencia.geojson").get_json()["features"]
    assert point["properties"]["Area"] == 3.0 and point["geometry"]["type"] == "Point"
    table = buyer.get(f"/compras/lotes/{lot.id}/diligencia.csv").get_data(as_text=True)
    assert ",300," in table  # the quantity is in the CSV, not in the file


def test_another_buyer_and_another_cooperative_get_404(app, world, make_user):
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    stranger = signed_in_client(app, make_user("buyer"))
    for url in (
        f"/compras/compromisos/{world.commitment.id}/trazabilidad",
        f"/compras/lotes/{lot.id}",
        f"/compras/lotes/{lot.id}/diligencia.geojson",
    ):
        assert stranger.get(url).status_code == 404, url
    other_staff = signed_in_client(app, make_user("technician"))
    assert other_staff.get(f"/acopio/centros/{world.center.id}").status_code == 404
    assert other_staff.get(f"/acopio/lotes/{lot.id}").status_code == 404
    assert other_staff.post(f"/acopio/lotes/{lot.id}/cerrar").status_code == 404


def test_a_delivery_reads_kilos_and_percentages_as_people_type_them(app, db, world, pledged):
    _, _, pledge = pledged
    staff = signed_in_client(app, world.staff)
    url = f"/acopio/centros/{world.center.id}/entregas"

    typo = staff.post(url, data=form(pledge.id, "25o", humidity_pct="7,5"))
    page = typo.get_data(as_text=True)
    assert typo.status_code == 422
    assert field_error(page, "kg") == "Escriba los kilos como un número entero mayor que 0."
    assert (input_value(page, "kg"), input_value(page, "humidity_pct")) == ("25o", "7,5")
    assert db.session.scalar(select(func.count(Delivery.id))) == 0

    response = staff.post(
        url, data=form(pledge.id, "1.000", humidity_pct="7,5", fermentation_pct="80")
    )
    assert response.status_code == 302
    delivery = db.session.scalar(select(Delivery))
    assert (delivery.kg, delivery.humidity_pct, delivery.fermentation_pct) == (1_000, 7.5, 80)


def test_the_centre_page_has_no_number_inputs(app, world, pledged):
    page = signed_in_client(app, world.staff).get(f"/acopio/centros/{world.center.id}").text
    assert 'type="number"' not in page
    assert input_attributes(page, "kg")["inputmode"] == "numeric"
    assert input_attributes(page, "humidity_pct")["inputmode"] == "decimal"


def test_the_centre_page_runs_the_same_statements_for_any_number_of_pledges(
    app, db, world, make_producer, make_farm
):
    # With 100,000 producers a centre's page ran 294 statements: three per open pledge.
    from sqlalchemy import event

    staff = signed_in_client(app, world.staff)

    def statements() -> int:
        db.session.expire_all()  # the test's session outlives requests: start cold each time
        found: list[str] = []

        def count(*_args) -> None:
            found.append("")

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert staff.get(f"/acopio/centros/{world.center.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(found)

    producer_with_pledge(make_producer, make_farm, world)
    one = statements()
    for _ in range(4):
        producer_with_pledge(make_producer, make_farm, world)
    assert statements() == one


def test_a_centre_with_more_pledges_than_the_list_shows_searches_by_producer(
    app, db, world, make_producer, make_farm, make_commitment, monkeypatch
):
    # The form listed the first 500 open pledges and nothing said so: on a cooperative of a
    # million-producer world a member's pledge past them could not be chosen at all.
    from marketplace.traceability import deliveries as service
    from tests.integration.deliveries import pledge

    monkeypatch.setattr(service, "PLEDGES_SHOWN", 2)
    made = [producer_with_pledge(make_producer, make_farm, world) for _ in range(3)]
    deliver(world, made[1][2], 1_000)  # fully delivered: no longer offered
    rosa, farm, first = made[0]
    other = make_commitment(world.commitment.organization, collection_center_id=world.center.id)
    hidden = pledge(other, farm, 300)  # listed after the others (same product, newer)
    staff = signed_in_client(app, world.staff)
    url = f"/acopio/centros/{world.center.id}"

    def offered(page: str) -> set[int]:
        return {int(v) for v in options(page, "pledge_id") if v}

    page = staff.get(url).text
    assert "Hay 3 compromisos de venta por entregar en este centro" in page
    assert 'role="search"' in page and offered(page) == {first.id, made[2][2].id}
    assert str(other.id) in options(page, "commitment_id")  # a lot can still be opened for it

    found = staff.get(url, query_string={"productor": rosa.national_id}).text
    assert offered(found) == {first.id, hidden.id} and "Hay 3" not in found
    by_name = staff.get(url, query_string={"productor": rosa.last_name.upper()}).text
    assert hidden.id in offered(by_name)
    none = staff.get(url, query_string={"productor": "zzzz"}).text
    assert "Ningún compromiso por entregar aquí es de alguien que coincida con" in none

    refused = staff.post(f"{url}/entregas?productor={rosa.national_id}", data=form(hidden.id, 900))
    assert refused.status_code == 422 and options(refused.text, "pledge_id")[str(hidden.id)]
    assert staff.post(f"{url}/entregas", data=form(hidden.id, 100)).status_code == 302


def test_a_lot_can_be_opened_once_every_kilo_pledged_came_in(app, db, world, pledged):
    _, _, pledge = pledged
    deliver(world, pledge, 1_000)  # the only pledge, fully delivered: nothing left to offer
    page = signed_in_client(app, world.staff).get(f"/acopio/centros/{world.center.id}").text
    assert "No hay compromisos de venta vigentes" in page and 'name="pledge_id"' not in page
    assert str(world.commitment.id) in options(page, "commitment_id")
