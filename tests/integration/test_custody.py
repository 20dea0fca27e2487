"""Chain of custody: harvest periods, the risk snapshot at delivery and the review flags a
later reassessment raises, conversion factors in the mass balance, lot split and merge, and
no delivery of unknown origin in a deforestation-free lot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.forest import layers
from marketplace.models import AuditLog, Farm, Notification
from marketplace.models.base import local_today
from marketplace.models.traceability import Delivery, Lot, LotReview
from marketplace.traceability import custody, export, lot_changes, lots, shipments
from tests.conftest import signed_in_client
from tests.integration.deliveries import centre, deliver, producer_with_pledge
from tests.integration.test_forest_risk import PLOT, WEST_HALF, extent_only, write_layer
from tests.integration.test_shipments import data as shipment_data


@pytest.fixture
def world(db, make_org, make_user, make_center, make_commitment):
    return centre(make_org, make_user, make_center, make_commitment)


@pytest.fixture
def client_as(app):
    return lambda user: signed_in_client(app, user)


def delivered(world, make_producer, make_farm, kg: int, status: str = "free", **extra):
    _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=kg, risk_status=status)
    return deliver(world, row, kg, **extra)


def fresh(delivery_id: int) -> Delivery:
    db.session.expire_all()
    return db.session.get(Delivery, delivery_id)


# --- harvest period ---------------------------------------------------------------------


def test_the_harvest_defaults_to_the_ninety_days_before_the_delivery(
    world, make_producer, make_farm
):
    row = delivered(world, make_producer, make_farm, 100)
    assert row.harvest_end == row.delivered_on
    assert row.harvest_start == row.delivered_on - timedelta(days=90)


@pytest.mark.parametrize(
    ("start_days", "end_days", "field", "message"),
    [
        (10, -1, "harvest_end", "posterior a la fecha de entrega"),
        (600, 10, "harvest_start", "más de 18 meses"),
        (10, 30, "harvest_end", "antes de su inicio"),
    ],
)
def test_a_harvest_after_the_delivery_or_too_old_is_refused(
    world, make_producer, make_farm, start_days, end_days, field, message
):
    _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=100)
    delivered_on = local_today() - timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        deliver(
            world,
            row,
            100,
            harvest_start=delivered_on - timedelta(days=start_days),
            harvest_end=delivered_on - timedelta(days=end_days),
        )
    assert field in refused.value.errors
    assert message in str(refused.value.errors[field])
    assert db.session.scalars(select(Delivery)).all() == []


def test_the_delivery_form_refuses_a_harvest_after_the_delivery_on_the_page(
    client_as, world, make_producer, make_farm
):
    _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=100)
    client = client_as(world.staff)
    today = local_today()
    response = client.post(
        f"/acopio/centros/{world.center.id}/entregas",
        data={
            "pledge_id": row.id,
            "kg": "50",
            "delivered_on": (today - timedelta(days=3)).isoformat(),
            "harvest_start": (today - timedelta(days=30)).isoformat(),
            "harvest_end": today.isoformat(),
        },
    )
    assert response.status_code == 422
    assert "posterior a la fecha de entrega" in response.get_data(as_text=True)


def test_the_export_dates_are_the_harvest_and_old_rows_fall_back_to_delivery(
    world, make_producer, make_farm
):
    day = local_today() - timedelta(days=2)
    row = delivered(
        world,
        make_producer,
        make_farm,
        100,
        days_ago=2,
        harvest_start=day - timedelta(days=40),
        harvest_end=day - timedelta(days=10),
    )
    (plot,) = export.plots_of([row])
    assert (plot.first, plot.last) == (day - timedelta(days=40), day - timedelta(days=10))

    row.harvest_start = row.harvest_end = None  # a row from before harvests were recorded
    (plot,) = export.plots_of([row])
    assert plot.first == plot.last == day


# --- the risk snapshot and the review flags -----------------------------------------------


@pytest.fixture
def assessed_plot(tmp_path, make_producer, make_farm, world):
    """A farm on PLOT, free under a layer that reaches it, with a pledge to the world."""
    producer, farm, row = producer_with_pledge(
        make_producer, make_farm, world, kg=1_000, polygon_geojson=PLOT
    )
    layer = layers.import_layer(write_layer(tmp_path, *extent_only(), name="first.geojson"))
    return farm, row, layer


def test_a_reassessment_after_delivery_flags_the_open_lot_and_keeps_the_snapshot(
    tmp_path, world, assessed_plot
):
    farm, row, layer = assessed_plot
    assert db.session.get(Farm, farm.id).risk_status == "free"
    delivery = deliver(world, row, 400)
    assert delivery.risk_status == "free"
    assert [entry["id"] for entry in delivery.risk_layers] == [layer.id]
    assert delivery.risk_assessed_at is not None
    snapshot = (delivery.risk_status, delivery.risk_assessed_at, delivery.risk_layers)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [delivery.id])

    # a new layer shows loss after the cut-off on the plot: it is at risk today
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2023}), name="b.json"))

    db.session.expire_all()
    assert db.session.get(Farm, farm.id).risk_status == "at_risk"
    kept = db.session.get(Delivery, delivery.id)
    assert (kept.risk_status, kept.risk_assessed_at, kept.risk_layers) == snapshot
    reviews = db.session.scalars(select(LotReview)).all()
    assert [(r.lot_id, r.farm_id, r.risk_status) for r in reviews] == [(lot.id, farm.id, "at_risk")]
    kinds = sorted(n.kind for n in db.session.scalars(select(Notification)))
    assert kinds == ["lot.review_at_risk", "lot.review_at_risk"]  # buyer and centre
    assert db.session.get(Lot, lot.id).risk_status == "free"  # the lot reads the snapshot
    # the export reads the snapshot too, not the farm's status today
    (plot,) = export.plots_of([kept])
    assert plot.risk == "free"

    # assessing again does not flag twice
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2024}), name="c.json"))
    assert len(db.session.scalars(select(LotReview)).all()) == 1

    # taking the flagged delivery out of the lot answers the flag
    lots.remove_delivery(world.staff, db.session.get(Lot, lot.id), delivery.id)
    assert db.session.scalars(select(LotReview)).all() == []


def test_a_shipped_lot_is_flagged_on_its_shipment_and_a_closed_one_alone_is_not(
    client_as, tmp_path, world, assessed_plot
):
    farm, row, _ = assessed_plot
    shipped_lot, kept_lot = (
        lots.create_lot(world.staff, world.center, world.commitment.id) for _ in range(2)
    )
    for lot in (shipped_lot, kept_lot):
        delivery = deliver(world, row, 300)
        lots.add_deliveries(world.staff, lot, [delivery.id])
        lots.set_weight(world.staff, lot, 300)
        lots.close_lot(world.staff, lot)
    shipment = shipments.create_shipment(world.buyer, shipment_data())
    shipments.add_lots(world.buyer, shipment, [shipped_lot.id])

    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2023}), name="b.json"))

    reviews = db.session.scalars(select(LotReview)).all()
    assert [(r.lot_id, r.risk_status) for r in reviews] == [(shipped_lot.id, "at_risk")]
    page = client_as(world.buyer).get(f"/compras/embarques/{shipment.id}").text
    assert "Revisar" in page and f"{shipped_lot.code}: la parcela {farm.name} pasó a riesgo" in page


def test_the_flag_shows_on_the_lot_and_trace_pages(client_as, tmp_path, world, assessed_plot):
    farm, row, _ = assessed_plot
    delivery = deliver(world, row, 400)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [delivery.id])
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2023}), name="b.json"))

    expected = f"la parcela {farm.name} pasó a riesgo el"
    staff_page = client_as(world.staff).get(f"/acopio/lotes/{lot.id}").get_data(as_text=True)
    assert expected in staff_page and "después de la entrega" in staff_page
    buyer = client_as(world.buyer)
    assert expected in buyer.get(f"/compras/lotes/{lot.id}").get_data(as_text=True)
    trace = buyer.get(f"/compras/compromisos/{world.commitment.id}/trazabilidad")
    assert expected in trace.get_data(as_text=True)
    # the due-diligence page gives today's reason with the share and year of the loss
    assert "Pérdida de bosque en 2023 sobre 50 % de la parcela" in trace.get_data(as_text=True)


def test_a_closed_lot_or_an_improvement_is_not_flagged(tmp_path, world, assessed_plot):
    farm, row, _ = assessed_plot
    delivery = deliver(world, row, 400)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [delivery.id])
    lots.set_weight(world.staff, lot, 390)
    lots.close_lot(world.staff, lot)
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2023}), name="b.json"))
    assert db.session.scalars(select(LotReview)).all() == []


# --- conversion factors in the mass balance -----------------------------------------------


def test_fresh_cacao_converts_to_dry_in_the_mass_balance(world, make_producer, make_farm):
    wet = delivered(world, make_producer, make_farm, 1_000, product_state="cacao_baba")
    dry = delivered(world, make_producer, make_farm, 200, product_state="cacao_seco")
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    assert lot.output_state == "cacao_seco"
    lots.add_deliveries(world.staff, lot, [wet.id, dry.id])
    assert lots.capacity_kg(lot) == 580  # 1,000 x 0.38 + 200

    with pytest.raises(DomainError, match="como máximo 580 kg"):
        lots.set_weight(world.staff, lot, 581)
    assert lots.set_weight(world.staff, lot, 580).weight_kg == 580


def test_an_admin_factor_changes_the_balance(world, make_producer, make_farm, make_user):
    admin = make_user("admin")
    custody.set_factors(
        admin,
        {
            "cacao_baba__cacao_seco": 400,
            "cafe_cereza__cafe_pergamino": 200,
            "cafe_pergamino__cafe_verde": 800,
        },
    )
    wet = delivered(world, make_producer, make_farm, 1_000, product_state="cacao_baba")
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [wet.id])
    assert lots.capacity_kg(lot) == 400
    assert db.session.scalar(
        select(AuditLog.id).where(AuditLog.action == "custody.conversion_factors_changed")
    )
    with pytest.raises(InvalidInput):
        custody.set_factors(admin, {"cacao_baba__cacao_seco": 1_500})


def test_coffee_cherry_to_green_multiplies_the_steps():
    table = dict(custody.DEFAULT_FACTORS)
    assert custody.factor("cafe_cereza", "cafe_pergamino", table) == 200
    assert custody.factor("cafe_cereza", "cafe_verde", table) == 160
    assert custody.factor("cafe_verde", "cafe_pergamino", table) == 0  # never backwards
    assert custody.factor("cafe_verde", "cafe_verde", table) == 1000


def test_a_delivery_more_processed_than_the_lot_cannot_join(world, make_producer, make_farm):
    dry = delivered(world, make_producer, make_farm, 300, product_state="cacao_seco")
    lot = lots.create_lot(world.staff, world.center, world.commitment.id, "cacao_baba")
    with pytest.raises(DomainError, match="no se puede convertir hacia atrás"):
        lots.add_deliveries(world.staff, lot, [dry.id])
    assert fresh(dry.id).lot_id is None


def test_a_state_of_another_value_chain_is_refused(world, make_producer, make_farm):
    _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=100)
    with pytest.raises(DomainError, match="no corresponde"):
        deliver(world, row, 100, product_state="cafe_cereza")


# --- unknown origin ------------------------------------------------------------------------


def test_unknown_origin_never_enters_a_deforestation_free_lot(world, make_producer, make_farm):
    assert world.commitment.deforestation_free
    known = delivered(world, make_producer, make_farm, 300, "free")
    unknown = delivered(world, make_producer, make_farm, 200, "unassessed")
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    with pytest.raises(DomainError, match="no tiene origen conocido"):
        lots.add_deliveries(world.staff, lot, [known.id, unknown.id])
    assert fresh(known.id).lot_id is None and fresh(unknown.id).lot_id is None
    assert lots.add_deliveries(world.staff, lot, [known.id]) == 1


def test_unknown_origin_may_join_a_lot_without_that_promise(
    make_org, make_user, make_center, make_commitment, make_producer, make_farm
):
    world = centre(make_org, make_user, make_center, make_commitment, deforestation_free=False)
    unknown = delivered(world, make_producer, make_farm, 200, "unassessed")
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    assert lots.add_deliveries(world.staff, lot, [unknown.id]) == 1


# --- split and merge -----------------------------------------------------------------------


def test_a_split_shares_the_weight_in_proportion_and_keeps_the_origins(
    world, make_producer, make_farm
):
    a = delivered(world, make_producer, make_farm, 600)
    b = delivered(world, make_producer, make_farm, 400)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [a.id, b.id])
    lots.set_weight(world.staff, lot, 901)

    new = lot_changes.split_lot(world.staff, lot, [b.id])
    db.session.expire_all()
    old, new = db.session.get(Lot, lot.id), db.session.get(Lot, new.id)
    assert (old.weight_kg, new.weight_kg) == (541, 360)  # 901 x 0.4 = 360.4, rounded down
    assert old.weight_kg + new.weight_kg == 901
    assert [d.id for d in old.deliveries] == [a.id] and [d.id for d in new.deliveries] == [b.id]
    assert new.split_from_id == old.id and new.status == "open"
    assert old.weight_kg <= lots.capacity_kg(old) and new.weight_kg <= lots.capacity_kg(new)
    actions = set(
        db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("lot.split%")))
    )
    assert actions == {"lot.split", "lot.split_from"}


def test_a_closed_lot_splits_into_two_closed_lots(world, make_producer, make_farm):
    a = delivered(world, make_producer, make_farm, 500)
    b = delivered(world, make_producer, make_farm, 500)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [a.id, b.id])
    lots.set_weight(world.staff, lot, 1_000)
    lots.close_lot(world.staff, lot)
    new = lot_changes.split_lot(world.staff, lot, [a.id])
    assert new.status == "closed" and new.weight_kg == 500
    with pytest.raises(DomainError, match="al menos una entrega"):
        lot_changes.split_lot(world.staff, new, [a.id])


def test_a_merge_carries_deliveries_weight_and_flags(world, make_producer, make_farm):
    a = delivered(world, make_producer, make_farm, 600)
    b = delivered(world, make_producer, make_farm, 400)
    first = lots.create_lot(world.staff, world.center, world.commitment.id)
    second = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, first, [a.id])
    lots.add_deliveries(world.staff, second, [b.id])
    lots.set_weight(world.staff, first, 590)
    lots.set_weight(world.staff, second, 390)
    db.session.add(
        LotReview(
            lot_id=second.id, farm_id=b.farm_id, risk_status="at_risk", assessed_at=b.created_at
        )
    )
    db.session.commit()

    lot_changes.merge_lots(world.staff, first, second.id)
    db.session.expire_all()
    merged, emptied = db.session.get(Lot, first.id), db.session.get(Lot, second.id)
    assert merged.weight_kg == 980 and sorted(d.id for d in merged.deliveries) == [a.id, b.id]
    assert (emptied.status, emptied.weight_kg, emptied.merged_into_id) == ("merged", 0, first.id)
    assert [(r.lot_id, r.farm_id) for r in db.session.scalars(select(LotReview))] == [
        (first.id, b.farm_id)
    ]
    with pytest.raises(DomainError, match="cambió mientras tanto"):
        lot_changes.merge_lots(world.staff, first, second.id)  # already merged


def test_a_merge_refuses_another_commitment_and_unknown_origin(
    world, make_producer, make_farm, make_commitment
):
    other = make_commitment(world.buyer.organization, collection_center_id=world.center.id)
    first = lots.create_lot(world.staff, world.center, world.commitment.id)
    elsewhere = lots.create_lot(world.staff, world.center, other.id)
    with pytest.raises(DomainError, match="mismo compromiso y centro"):
        lot_changes.merge_lots(world.staff, first, elsewhere.id)
    # a lot for the same commitment holding an unknown-origin delivery (from before the rule)
    unknown = delivered(world, make_producer, make_farm, 200, "unassessed")
    legacy = lots.create_lot(world.staff, world.center, world.commitment.id)
    db.session.get(Delivery, unknown.id).lot_id = legacy.id
    db.session.commit()
    with pytest.raises(DomainError, match="no tiene origen conocido"):
        lot_changes.merge_lots(world.staff, first, legacy.id)
    assert db.session.get(Lot, legacy.id).status == "open"


def test_split_and_merge_through_the_pages(client_as, world, make_producer, make_farm):
    a = delivered(world, make_producer, make_farm, 600)
    b = delivered(world, make_producer, make_farm, 400)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [a.id, b.id])
    client = client_as(world.staff)
    response = client.post(f"/acopio/lotes/{lot.id}/dividir", data={"delivery_ids": str(b.id)})
    assert response.status_code == 302
    new_id = fresh(b.id).lot_id
    assert new_id != lot.id
    response = client.post(f"/acopio/lotes/{lot.id}/fusionar", data={"other_lot_id": new_id})
    assert response.status_code == 302
    assert fresh(b.id).lot_id == lot.id
    refused = client.post(f"/acopio/lotes/{lot.id}/fusionar", data={"other_lot_id": "x"})
    assert refused.status_code == 302
    page = client.get(f"/acopio/lotes/{lot.id}", follow_redirects=True).get_data(as_text=True)
    assert "Dividir el lote" in page
