"""Shipments (embarques): the EU's formats, ownership, net mass and harvest period, a lot in one
shipment only, the files split at the DDS limits, the DDS numbers recorded once and shown on
the lot and trace pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import AuditLog, Shipment, ShipmentLot, ShipmentStatement
from marketplace.models.base import local_today
from marketplace.traceability import lot_changes, lots, shipment_files, shipment_rules, shipments
from marketplace.traceability.export import HS_CODES
from marketplace.traceability.shipment_parts import PlotTooLarge, size_of, split
from tests.conftest import signed_in_client
from tests.integration.deliveries import centre, deliver, producer_with_pledge

REFERENCE, VERIFICATION = "25NLSN6LX69730", "K7R8LA90"


# --- the EU's formats, as data -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("DE123456789012345", True),  # 2 letters + 15
        ("NL1", True),
        ("DE1234567890123456", False),  # 16 after the country
        ("D1234", False),
        ("DE12-345", False),
        ("", False),
    ],
)
def test_an_eori_is_two_letters_and_up_to_fifteen_letters_or_digits(code, ok):
    assert shipment_rules.is_eori(code) is ok


def test_an_eu_importers_eori_is_issued_in_the_eu():
    assert shipment_rules.is_eu_eori("EL123456789")  # Greece issues EL, not GR
    assert shipment_rules.is_eu_eori("XI123456789012")
    assert not shipment_rules.is_eu_eori("PE20123456789")
    assert not shipment_rules.is_eu_eori("GB123456789000")


@pytest.mark.parametrize(
    ("reference", "verification", "ok"),
    [
        (REFERENCE, VERIFICATION, True),
        ("99EU9999999999", "ABCDEFGH", True),  # the conventional reference for re-exports
        ("25NLSN6LX6973", VERIFICATION, False),  # 13 characters
        ("2XNLSN6LX69730", VERIFICATION, False),  # the year is two digits
        (REFERENCE, "K7R8LA9", False),
        (REFERENCE, "K7R8-A90", False),
    ],
)
def test_dds_numbers_have_the_shapes_the_eu_issues(reference, verification, ok):
    valid = shipment_rules.is_dds_reference(reference) and shipment_rules.is_dds_verification(
        verification
    )
    assert valid is ok


def test_the_exports_hs_code_is_one_of_the_value_chains_six_digit_codes():
    for chain, code in HS_CODES.items():
        assert len(code) == 6 and shipment_rules.hs_code_allowed(chain, code)
    assert shipment_rules.hs_code_allowed("cafe", "090112")
    assert not shipment_rules.hs_code_allowed("cacao", "090111")


# --- splitting at the limits (pure) ---------------------------------------------------------


def feature(producer: int, plot: int, pad: int = 0) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-76.5, -7.1]},
        "properties": {"ProductionPlace": f"P{plot}" + "x" * pad, "producer": producer},
    }


def by_producer(f: dict) -> int:
    return f["properties"]["producer"]


def parts_of(features, max_producers=1_000, max_bytes=10**9):
    return split(
        features, max_producers=max_producers, max_bytes=max_bytes, producer_of=by_producer
    )


def test_exactly_the_producer_limit_is_one_part_and_one_more_is_two():
    one_thousand = [feature(p, p) for p in range(1_000)]
    assert len(parts_of(one_thousand)) == 1
    parts = parts_of([*one_thousand, feature(1_000, 1_000)])
    assert [len(p) for p in parts] == [1_000, 1]


def test_a_producers_plots_stay_together_and_count_once():
    features = [feature(p, p * 10 + k) for p in range(3) for k in range(4)]  # 3 producers x 4
    parts = parts_of(features, max_producers=2)
    assert [len({by_producer(f) for f in part}) for part in parts] == [2, 1]
    assert [len(p) for p in parts] == [8, 4]


def test_exactly_the_byte_limit_is_one_part_and_one_byte_less_is_two():
    features = [feature(p, p) for p in range(10)]
    exact = size_of(features)
    assert len(parts_of(features, max_bytes=exact)) == 1
    parts = parts_of(features, max_bytes=exact - 1)
    assert len(parts) == 2
    assert all(size_of(part) <= exact - 1 for part in parts)


def test_every_plot_is_in_exactly_one_part_within_both_limits():
    features = [feature(p % 37, p, pad=p % 50) for p in range(500)]
    parts = parts_of(features, max_producers=7, max_bytes=4_000)
    assert len(parts) > 1
    assert sorted(f["properties"]["ProductionPlace"] for part in parts for f in part) == sorted(
        f["properties"]["ProductionPlace"] for f in features
    )
    for part in parts:
        assert size_of(part) <= 4_000
        assert len({by_producer(f) for f in part}) <= 7


def test_a_producer_too_big_for_one_part_is_split_plot_by_plot():
    features = [feature(1, k, pad=100) for k in range(10)]
    limit = size_of(features[:4])
    parts = parts_of(features, max_bytes=limit)
    assert sum(len(p) for p in parts) == 10 and all(size_of(p) <= limit for p in parts)


def test_a_plot_alone_over_the_byte_limit_is_refused():
    with pytest.raises(PlotTooLarge):
        parts_of([feature(1, 1, pad=500)], max_bytes=200)


def test_nothing_to_split_is_one_empty_part():
    assert parts_of([]) == [[]]


# --- the buyer's shipments ---------------------------------------------------------------


@pytest.fixture
def world(db, make_org, make_user, make_center, make_commitment):
    return centre(make_org, make_user, make_center, make_commitment)


def closed_lot(world, make_producer, make_farm, kgs=(600,), weight=None, days_ago=1, **farm):
    """A closed lot of one delivery per kg figure, each from a new producer's 3 ha plot."""
    farm = {"total_ha": 3.0, "risk_status": "free"} | farm
    rows = []
    for kg in kgs:
        _, _, pledge = producer_with_pledge(make_producer, make_farm, world, kg=kg, **farm)
        rows.append(deliver(world, pledge, kg, days_ago=days_ago))
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [d.id for d in rows])
    lots.set_weight(world.staff, lot, weight or sum(kgs))
    return lots.close_lot(world.staff, lot)


def data(**overrides) -> shipments.ShipmentData:
    values = {
        "value_chain": "cacao",
        "hs_code": "180100",
        "description": "Cacao en grano seco fermentado, San Martín",
        "importer_name": "Chocolaterie Amsterdam BV",
        "importer_country": "NL",
        "importer_eori": "nl 8123 45678",
        "exporter_name": "Cacao Andino SAC",
        "exporter_country": "PE",
        "exporter_eori": "",
    }
    return shipments.ShipmentData(**(values | overrides))


def test_a_shipment_keeps_the_identities_with_eoris_normalized(world):
    shipment = shipments.create_shipment(world.buyer, data())
    assert shipment.code == f"EMB-PE-{shipment.id:06d}"
    assert shipment.importer_eori == "NL812345678" and shipment.exporter_eori == ""
    assert shipment.status == "draft"
    assert shipment.organization_id == world.buyer.organization_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"importer_eori": "PE20123456789"}, "importer_eori"),  # not issued in the EU
        ({"importer_eori": "NL1234567890123456"}, "importer_eori"),  # 16 after the country
        ({"exporter_eori": "12345"}, "exporter_eori"),
        ({"hs_code": "090111"}, "hs_code"),  # a coffee code for cacao
        ({"hs_code": "1801"}, "hs_code"),
        ({"value_chain": "miel"}, "value_chain"),
        ({"description": "x" * 151}, "description"),
        ({"description": "   "}, "description"),
        ({"importer_country": "PE"}, "importer_country"),
    ],
)
def test_a_shipment_with_a_wrong_field_is_refused_naming_it(world, overrides, field):
    with pytest.raises(DomainError) as refused:
        shipments.create_shipment(world.buyer, data(**overrides))
    assert field in refused.value.errors
    assert db.session.scalar(select(Shipment.id)) is None


def test_a_description_of_exactly_150_characters_is_kept(world):
    assert (
        len(shipments.create_shipment(world.buyer, data(description="c" * 150)).description) == 150
    )


def test_net_mass_is_the_lots_output_and_the_harvest_spans_their_deliveries(
    world, make_producer, make_farm
):
    first = closed_lot(world, make_producer, make_farm, kgs=(600, 400), weight=950, days_ago=20)
    second = closed_lot(world, make_producer, make_farm, kgs=(300,), weight=290, days_ago=3)
    shipment = shipments.create_shipment(world.buyer, data())
    assert shipments.harvest_period(shipment) is None
    shipments.add_lots(world.buyer, shipment, [first.id, second.id])
    assert shipments.net_mass_kg(shipment) == 1_240  # output, not the 1,300 kg delivered
    delivered = [d for lot in (first, second) for d in lot.deliveries]
    assert shipments.harvest_period(shipment) == (
        min(d.harvest_from for d in delivered),
        max(d.harvest_to for d in delivered),
    )
    assert shipments.harvest_period(shipment)[1] == local_today() - timedelta(days=3)
    shipments.remove_lot(world.buyer, shipment, first.id)
    assert shipments.net_mass_kg(shipment) == 290


def test_a_lot_is_in_one_shipment_only(world, make_producer, make_farm):
    lot = closed_lot(world, make_producer, make_farm)
    one = shipments.create_shipment(world.buyer, data())
    other = shipments.create_shipment(world.buyer, data())
    shipments.add_lots(world.buyer, one, [lot.id])
    assert shipments.addable_lots(other) == []
    with pytest.raises(DomainError, match="otro embarque"):
        shipments.add_lots(world.buyer, other, [lot.id])
    rows = db.session.scalars(select(ShipmentLot)).all()
    assert [(r.lot_id, r.shipment_id) for r in rows] == [(lot.id, one.id)]


def test_a_lot_in_a_shipment_cannot_be_split(world, make_producer, make_farm):
    lot = closed_lot(world, make_producer, make_farm, kgs=(600, 400))
    shipment = shipments.create_shipment(world.buyer, data())
    shipments.add_lots(world.buyer, shipment, [lot.id])
    with pytest.raises(DomainError, match="ya está en un embarque"):
        lot_changes.split_lot(world.staff, lot, [lot.deliveries[0].id])
    assert len(lot.deliveries) == 2


def test_only_closed_lots_of_the_same_value_chain_and_organization_join(
    world, make_producer, make_farm, make_org, make_user, make_center, make_commitment
):
    open_lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    coffee = shipments.create_shipment(world.buyer, data(value_chain="cafe", hs_code="090112"))
    cacao_lot = closed_lot(world, make_producer, make_farm)
    stranger = centre(make_org, make_user, make_center, make_commitment)
    foreign_lot = closed_lot(stranger, make_producer, make_farm)
    cacao = shipments.create_shipment(world.buyer, data())
    assert shipments.addable_lots(coffee) == []
    assert [lot.id for lot in shipments.addable_lots(cacao)] == [cacao_lot.id]
    for shipment, lot in ((coffee, cacao_lot), (cacao, open_lot), (cacao, foreign_lot)):
        with pytest.raises(DomainError):
            shipments.add_lots(world.buyer, shipment, [lot.id])
    assert db.session.scalar(select(ShipmentLot.lot_id)) is None


def test_a_plot_that_is_not_ready_is_pending_and_stays_out_of_the_file(
    world, make_producer, make_farm
):
    ready = closed_lot(world, make_producer, make_farm)
    unready = closed_lot(world, make_producer, make_farm, total_ha=6.0, name="Parcela Grande")
    shipment = shipments.create_shipment(world.buyer, data())
    shipments.add_lots(world.buyer, shipment, [ready.id, unready.id])
    found = shipment_files.files(shipment)
    (part,) = found.parts
    assert len(part.features) == 1 and part.due_diligence.hs_code == "180100"
    assert [plot.farm.name for plot in found.pending] == ["Parcela Grande"]
    (row,) = shipment_files.pending_rows(found.pending)
    assert row["Reason"] == "needs_outline" and "contorno" in row["Action"]
    with pytest.raises(DomainError, match="1 parcelas pendientes"):
        shipments.mark_ready(world.buyer, shipment)
    assert db.session.get(Shipment, shipment.id).status == "draft"


def ready_shipment(world, make_producer, make_farm, producers=3, **limits):
    lot = closed_lot(world, make_producer, make_farm, kgs=(100,) * producers)
    shipment = shipments.create_shipment(world.buyer, data())
    shipments.add_lots(world.buyer, shipment, [lot.id])
    return shipments.mark_ready(world.buyer, shipment, **limits), lot


def test_ready_fixes_one_statement_per_part_within_the_limits(world, make_producer, make_farm):
    shipment, _ = ready_shipment(world, make_producer, make_farm, producers=5, max_producers=2)
    statements = db.session.get(Shipment, shipment.id).statements
    assert [s.part for s in statements] == [1, 2, 3]
    assert [s.producers for s in statements] == [2, 2, 1]
    farm_ids = [i for s in statements for i in s.farm_ids]
    assert len(farm_ids) == len(set(farm_ids)) == 5  # every plot in exactly one part
    # the parts stay as fixed, whatever the limits say later
    assert [len(p.features) for p in shipment_files.files(shipment).parts] == [2, 2, 1]
    with pytest.raises(DomainError, match="ya no es un borrador"):
        shipments.add_lots(world.buyer, shipment, [1])


def test_dds_numbers_are_checked_recorded_once_and_audit_logged(world, make_producer, make_farm):
    shipment, _ = ready_shipment(world, make_producer, make_farm, producers=2, max_producers=1)
    with pytest.raises(DomainError) as refused:
        shipments.record_statement(world.buyer, shipment, 1, "25NL-123", "K7R8LA9")
    assert set(refused.value.errors) == {"reference_number", "verification_number"}

    with pytest.raises(DomainError, match="no tiene esa parte"):
        shipments.record_statement(world.buyer, shipment, 3, REFERENCE, VERIFICATION)
    shipments.record_statement(world.buyer, shipment, 1, " 25nlsn6lx69730 ", "k7r8la90")
    with pytest.raises(DomainError, match="no se cambian"):
        shipments.record_statement(world.buyer, shipment, 1, "25NLWPAZWQ8865", "GLE9SMMM")
    with pytest.raises(DomainError, match="ya está registrado"):
        shipments.record_statement(world.buyer, shipment, 2, REFERENCE, "GLE9SMMM")
    with pytest.raises(DomainError, match="no puede volver a borrador"):
        shipments.reopen(world.buyer, shipment)
    assert db.session.get(Shipment, shipment.id).status == "ready"  # one part still open

    shipments.record_statement(world.buyer, shipment, 2, "25NLWPAZWQ8865", "GLE9SMMM")
    db.session.expire_all()
    filed = db.session.get(Shipment, shipment.id)
    assert filed.status == "filed" and filed.filed_by_id == world.buyer.id
    assert [(s.reference_number, s.verification_number) for s in filed.statements] == [
        (REFERENCE, VERIFICATION),
        ("25NLWPAZWQ8865", "GLE9SMMM"),
    ]
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "shipment").order_by(AuditLog.id)
    ).all()
    assert actions[-3:] == ["shipment.dds_recorded", "shipment.dds_recorded", "shipment.filed"]
    with pytest.raises(DomainError, match="no espera números"):
        shipments.record_statement(world.buyer, filed, 1, "25NLAAAAAAAAAA", "AAAAAAAA")


def test_back_to_draft_drops_the_parts_before_any_dds(world, make_producer, make_farm):
    shipment, lot = ready_shipment(world, make_producer, make_farm)
    shipments.reopen(world.buyer, shipment)
    assert db.session.scalar(select(ShipmentStatement.id)) is None
    shipments.remove_lot(world.buyer, shipment, lot.id)
    with pytest.raises(DomainError, match="al menos un lote"):
        shipments.mark_ready(world.buyer, shipment)


# --- pages ------------------------------------------------------------------------------


FORM = {
    "value_chain": "cacao",
    "hs_code": "180100",
    "description": "Cacao en grano seco",
    "importer_name": "Chocolaterie Amsterdam BV",
    "importer_country": "NL",
    "importer_eori": "NL812345678",
    "exporter_name": "Cacao Andino SAC",
    "exporter_country": "PE",
    "exporter_eori": "",
}


def test_the_buyer_creates_a_shipment_and_a_wrong_eori_comes_back_in_spanish(app, world):
    client = signed_in_client(app, world.buyer)
    refused = client.post("/compras/embarques/nuevo", data=FORM | {"importer_eori": "PE1"})
    assert refused.status_code == 422
    assert "El EORI del importador son las 2 letras" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Shipment.id)) is None
    made = client.post("/compras/embarques/nuevo", data=FORM)
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Chocolaterie Amsterdam BV" in page and "180100" in page


def test_another_organizations_buyer_gets_404_everywhere(
    app, world, make_user, make_producer, make_farm
):
    shipment, lot = ready_shipment(world, make_producer, make_farm)
    outsider = signed_in_client(app, make_user("buyer"))
    base = f"/compras/embarques/{shipment.id}"
    for url in (base, f"{base}/parte-1.geojson", f"{base}/parte-1.csv", f"{base}/pendientes.csv"):
        assert outsider.get(url).status_code == 404, url
    for url, form in (
        (
            f"{base}/partes/1/dds",
            {"p1-reference_number": REFERENCE, "p1-verification_number": VERIFICATION},
        ),
        (f"{base}/borrador", {}),
        (f"{base}/listo", {}),
        (f"{base}/lotes", {"lot_ids": str(lot.id)}),
        (f"{base}/lotes/{lot.id}/quitar", {}),
    ):
        assert outsider.post(url, data=form).status_code == 404, url
    db.session.expire_all()
    assert db.session.get(Shipment, shipment.id).status == "ready"
    assert db.session.scalar(select(ShipmentStatement.reference_number)) is None
    technician = signed_in_client(app, world.staff)
    assert technician.get(base).status_code == 403


def test_files_download_per_part_and_dds_numbers_show_downstream(
    app, world, make_producer, make_farm
):
    shipment, lot = ready_shipment(world, make_producer, make_farm, producers=2)
    client = signed_in_client(app, world.buyer)
    base = f"/compras/embarques/{shipment.id}"
    geojson = client.get(f"{base}/parte-1.geojson")
    assert geojson.status_code == 200
    assert "parte-1-de-1" in geojson.headers["Content-Disposition"]
    assert len(json.loads(geojson.data)["features"]) == 2
    assert client.get(f"{base}/parte-1.csv").get_data(as_text=True).count("180100") == 2
    assert (
        client.get(f"{base}/pendientes.csv")
        .get_data(as_text=True)
        .startswith("\ufeffProductionPlace,ProducerName,Area,Reason,Action")
    )
    bad = client.post(
        f"{base}/partes/1/dds",
        data={"p1-reference_number": "25NL", "p1-verification_number": VERIFICATION},
    )
    assert bad.status_code == 422 and "14 caracteres" in bad.get_data(as_text=True)
    saved = client.post(
        f"{base}/partes/1/dds",
        data={"p1-reference_number": REFERENCE, "p1-verification_number": VERIFICATION},
    )
    assert saved.status_code == 302
    for url in (
        f"/compras/lotes/{lot.id}",
        f"/compras/compromisos/{world.commitment.id}/trazabilidad",
    ):
        page = client.get(url).get_data(as_text=True)
        assert shipment.code in page and REFERENCE in page and VERIFICATION in page, url
    staff_page = signed_in_client(app, world.staff).get(f"/acopio/lotes/{lot.id}")
    text = staff_page.get_data(as_text=True)
    assert shipment.code in text and REFERENCE in text and VERIFICATION not in text


def test_no_route_deletes_a_shipment_or_its_dds_numbers(app):
    """DDS numbers are kept at least five years: the only removal is a lot from a draft."""
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/compras/embarques")]
    assert rules
    removals = [r.rule for r in rules if {"DELETE", "PUT", "PATCH"} & set(r.methods)]
    removals += [r.rule for r in rules if any(w in r.rule for w in ("eliminar", "borrar"))]
    assert removals == []
    assert [r.rule for r in rules if "quitar" in r.rule] == [
        "/compras/embarques/<int:shipment_id>/lotes/<int:lot_id>/quitar"
    ]
