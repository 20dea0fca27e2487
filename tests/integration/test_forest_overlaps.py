"""Legality overlaps (protected areas, indigenous territories) and overlapping plots of two
producers, on synthetic layers and plots with planted answers."""

from __future__ import annotations

import importlib.util
import json

import pytest
from sqlalchemy import func, select, update

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest import layers, legality, overlaps, risk
from marketplace.forest.geometry import geodesic_area_ha, plot_of
from marketplace.models import AuditLog, Farm, FieldEvidence, Notification, Producer, User
from marketplace.models.base import local_today
from marketplace.models.traceability import ForestAssessment, ForestLayer, LegalArea, PlotOverlap
from marketplace.traceability import disputes, evidence, plots
from tests.conftest import signed_in_client

# A square plot of 0.002° x 0.002° (about 220 m x 220 m, ~4.9 ha) near Juanjuí.
W, S, E, N = -76.732, -7.182, -76.730, -7.180
MID = (W + E) / 2


def box(w: float, s: float, e: float, n: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


PLOT = box(W, S, E, N)
WEST_HALF = box(W - 0.001, S - 0.001, MID, N + 0.001)
FAR_AWAY = box(W - 0.05, S - 0.05, W - 0.04, S - 0.04)
FAR_OTHER = box(E + 0.04, N + 0.04, E + 0.05, N + 0.05)  # with FAR_AWAY: a layer's extent
PARK = {"NOMBRE": "Parque Nacional Cordillera Azul", "CATEGORIA": "Parque Nacional"}


def write(tmp_path, *features: tuple[dict, dict], name: str = "legal.geojson", **extra):
    path = tmp_path / name
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": g, "properties": p} for g, p in features],
        **extra,
    }
    path.write_text(json.dumps(collection))
    return path


def import_park(tmp_path, geometry: dict = WEST_HALF, **props):
    path = write(tmp_path, (geometry, {**PARK, **props}), (FAR_AWAY, {"NOMBRE": "Otra"}))
    return layers.import_layer(
        path,
        name="SERNANP ANP",
        kind="protected_area",
        fields=layers.LegalFields("NOMBRE", category="CATEGORIA"),
    )


def import_forest(tmp_path, *features):
    features = features or ((FAR_AWAY, {"loss_year": 2005}), (FAR_OTHER, {"loss_year": 2006}))
    return layers.import_layer(write(tmp_path, *features, name="forest.geojson"))


def assessed(farm_id: int) -> Farm:
    db.session.expire_all()
    return db.session.get(Farm, farm_id)


@pytest.fixture
def farm(make_producer, make_farm):
    return make_farm(make_producer(), polygon_geojson=PLOT, cleared_after_cutoff="no")


# --- import ---------------------------------------------------------------------------------


def test_a_legal_layer_is_stored_with_each_areas_name_category_and_box(app, tmp_path):
    layer = import_park(tmp_path)
    assert (layer.kind, layer.content) == ("legal", "protected_area")
    areas = db.session.scalars(select(LegalArea).order_by(LegalArea.id)).all()
    assert [(a.name, a.category) for a in areas] == [
        ("Parque Nacional Cordillera Azul", "Parque Nacional"),
        ("Otra", ""),
    ]
    assert (areas[0].min_lon, areas[0].max_lat) == pytest.approx((W - 0.001, N + 0.001))
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "forest.imported")).one()
    assert entry.detail["kind"] == "protected_area" and entry.detail["areas"] == 2


def test_the_kind_of_a_legal_layer_is_declared_never_guessed(app, tmp_path):
    path = write(tmp_path, (WEST_HALF, PARK))
    with pytest.raises(DomainError) as error:
        layers.load_layer(path, kind="protected_areas", fields=layers.LegalFields("NOMBRE"))
    assert error.value.field == "kind"
    with pytest.raises(DomainError) as error:  # undeclared: read as a forest layer, refused
        layers.load_layer(path)
    assert "loss_year" in error.value.message


def test_a_legal_layer_needs_the_field_with_the_names(app, tmp_path):
    path = write(tmp_path, (WEST_HALF, PARK))
    with pytest.raises(DomainError) as error:
        layers.load_layer(path, kind="indigenous_territory")
    assert error.value.field == "name_field"
    assert "--name-field" in error.value.message


def test_a_feature_without_its_name_is_refused_with_its_number(app, tmp_path):
    path = write(tmp_path, (WEST_HALF, PARK), (FAR_AWAY, {"NOMBRE": "  "}))
    with pytest.raises(DomainError) as error:
        layers.load_layer(path, kind="protected_area", fields=layers.LegalFields("NOMBRE"))
    assert error.value.message.startswith("Elemento 2:")
    assert "«NOMBRE»" in error.value.message
    assert db.session.scalar(select(func.count(LegalArea.id))) == 0


def test_a_declared_field_no_feature_has_is_refused(app, tmp_path):
    path = write(tmp_path, (WEST_HALF, PARK))
    with pytest.raises(DomainError) as error:
        layers.load_layer(
            path, kind="protected_area", fields=layers.LegalFields("NOMBRE", iucn_category="IUCN")
        )
    assert "«IUCN»" in error.value.message


def test_a_point_or_another_crs_is_refused(app, tmp_path):
    point = {"type": "Point", "coordinates": [W, S]}
    fields = layers.LegalFields("NOMBRE")
    with pytest.raises(DomainError) as error:
        layers.load_layer(write(tmp_path, (point, PARK)), kind="protected_area", fields=fields)
    assert "polígono" in error.value.message
    utm = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32718"}}
    with pytest.raises(DomainError) as error:
        layers.load_layer(
            write(tmp_path, (WEST_HALF, PARK), crs=utm), kind="protected_area", fields=fields
        )
    assert "WGS84" in error.value.message


def test_a_forest_layer_reads_no_name_field(app, tmp_path):
    path = write(tmp_path, (WEST_HALF, {"loss_year": 2022}))
    with pytest.raises(DomainError) as error:
        layers.load_layer(path, kind="vector", fields=layers.LegalFields("NOMBRE"))
    assert error.value.field == "name_field"


def test_cli_imports_a_legal_layer_with_its_fields(app, runner, tmp_path, farm):
    path = write(tmp_path, (WEST_HALF, {**PARK, "IUCN_CAT": "II"}))
    result = runner.invoke(
        args=["forest", "import", str(path), "--kind", "protected_area",
              "--name-field", "NOMBRE", "--iucn-field", "IUCN_CAT"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "needs_verification: 1" in result.output
    result = runner.invoke(args=["forest", "list"])
    assert "protected_area\t1 areas" in result.output
    result = runner.invoke(args=["forest", "import", str(path), "--kind", "protected_area"])
    assert result.exit_code != 0 and "--name-field" in result.output


# --- a plot against legal layers -----------------------------------------------------------


def test_a_plot_half_in_a_park_needs_verification_with_the_overlap_in_the_reason(
    app, tmp_path, farm
):
    import_forest(tmp_path)
    layer = import_park(tmp_path)
    farm = assessed(farm.id)
    assert farm.risk_status == "needs_verification"
    assert farm.cleared_after_cutoff == "no"  # the forest said free: legality is not clearing
    reason = farm.risk_assessment.reason
    assert reason["code"] == "no_forest"
    [overlap] = reason["overlaps"]
    plot_ha = geodesic_area_ha(plot_of(0, 0, PLOT, 0))
    assert overlap["name"] == "Parque Nacional Cordillera Azul"
    assert overlap["kind"] == "protected_area" and overlap["category"] == "Parque Nacional"
    assert overlap["ha"] == pytest.approx(plot_ha / 2, rel=0.02)
    assert overlap["share"] == pytest.approx(0.5, abs=0.01)
    assert overlap["counts"] and not overlap["verified"]
    assert farm.risk_assessment.indicators["protected_area"]["share"] == pytest.approx(
        0.5, abs=0.01
    )
    assert layer.id in [entry["id"] for entry in farm.risk_assessment.layers]


def test_without_a_forest_layer_the_overlap_still_needs_verification(app, tmp_path, farm):
    import_park(tmp_path)
    farm = assessed(farm.id)
    assert farm.risk_status == "needs_verification"
    assert farm.risk_assessment.reason["code"] == "no_layer"
    assert farm.cleared_after_cutoff == "no"


def test_a_plot_at_risk_stays_at_risk_with_its_overlaps_listed(app, tmp_path, farm):
    import_forest(
        tmp_path,
        (WEST_HALF, {"loss_year": 2022}),
        (FAR_AWAY, {"loss_year": 2005}),
        (FAR_OTHER, {"loss_year": 2006}),
    )
    import_park(tmp_path)
    farm = assessed(farm.id)
    assert farm.risk_status == "at_risk"
    assert farm.risk_assessment.reason["code"] == "loss_after"
    assert farm.risk_assessment.reason["overlaps"][0]["counts"]


def test_a_point_plots_circle_overlapping_a_territory_needs_verification(
    app, tmp_path, make_producer, make_farm
):
    # a 4 ha point whose circle (radius ~113 m, ~0.001°) reaches 0.0005° into the territory
    point = make_farm(make_producer(), polygon_geojson=None, lat=(S + N) / 2, lon=W - 0.0005,
                      total_ha=4.0)  # fmt: skip
    territory = box(W, S - 0.01, W + 0.01, N + 0.01)
    path = write(tmp_path, (territory, {"COMUNIDAD": "C.N. Alto Shamboyacu"}))
    layers.import_layer(path, kind="indigenous_territory", fields=layers.LegalFields("COMUNIDAD"))
    point = assessed(point.id)
    assert point.risk_status == "needs_verification"
    [overlap] = point.risk_assessment.reason["overlaps"]
    assert overlap["kind"] == "indigenous_territory"
    assert 0 < overlap["share"] < 0.5
    assert point.risk_assessment.point is True


def test_a_sliver_under_the_tolerance_is_information_only(app, tmp_path, farm):
    import_forest(tmp_path)
    sliver = box(W - 0.001, S, W + 0.00001, N)  # 0.5 % of the plot, ~0.025 ha
    import_park(tmp_path, sliver)
    farm = assessed(farm.id)
    assert farm.risk_status == "free"
    [overlap] = farm.risk_assessment.reason["overlaps"]
    assert overlap["share"] == pytest.approx(0.005, abs=0.001)
    assert not overlap["counts"]
    assert overlap["tolerance"] == {"ha": 0.01, "share": 0.01}


def test_the_sliver_reads_as_information_on_the_plot_page(
    app, tmp_path, make_user, make_producer, make_farm
):
    technician = make_user("technician")
    farm = make_farm(make_producer(cooperative_id=technician.organization_id), polygon_geojson=PLOT)
    import_forest(tmp_path)
    import_park(tmp_path, box(W - 0.001, S, W + 0.00001, N))
    html = (
        signed_in_client(app, technician).get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    )
    assert "Toca Parque Nacional Cordillera Azul (área natural protegida, Parque Nacional)" in html
    assert "(0.5 % de la parcela): menos de 0.01 ha o del 1 % de la parcela" in html
    assert "Libre de deforestación" in html


@pytest.mark.parametrize(
    ("ha", "share", "point", "expected"),
    [
        (0.009, 0.5, False, False),  # under 0.01 ha
        (0.02, 0.009, False, False),  # under 1 % of a polygon
        (0.02, 0.01, False, True),
        (0.002, 0.001, True, True),  # a point's circle: any overlap
        (0.0005, 0.001, True, False),  # floating-point slivers
    ],
)
def test_the_tolerance(ha, share, point, expected):
    assert legality.counts(ha, share, point) is expected


def test_a_verification_covers_the_overlaps_of_layers_imported_before_it(app, tmp_path, farm):
    import_forest(tmp_path)
    import_park(tmp_path)
    assert assessed(farm.id).risk_status == "needs_verification"
    farm = assessed(farm.id)
    farm.risk_verified_at = risk.utcnow()
    db.session.commit()
    risk.assess_all()
    farm = assessed(farm.id)
    assert farm.risk_status == "verified"
    assert farm.risk_assessment.reason["overlaps"][0]["verified"]
    territory = write(tmp_path, (PLOT, {"NOMBRE": "Resguardo nuevo"}), name="t.geojson")
    layers.import_layer(territory, kind="indigenous_territory", fields=layers.LegalFields("NOMBRE"))
    farm = assessed(farm.id)
    assert farm.risk_status == "needs_verification"
    found = {o["name"]: o["verified"] for o in farm.risk_assessment.reason["overlaps"]}
    assert found == {"Parque Nacional Cordillera Azul": True, "Resguardo nuevo": False}


def test_removing_the_legal_layer_removes_the_overlap(app, tmp_path, farm):
    import_forest(tmp_path)
    layer = import_park(tmp_path)
    layers.remove_layer(layer.id)
    assert assessed(farm.id).risk_status == "free"
    assert db.session.scalar(select(func.count(LegalArea.id))) == 0
    assert db.session.get(ForestLayer, layer.id) is None


def test_the_overlap_reads_in_spanish_and_english_on_the_plot_page(
    app, tmp_path, make_user, make_producer, make_farm
):
    technician = make_user("technician")
    producer = make_producer(cooperative_id=technician.organization_id)
    farm = make_farm(producer, polygon_geojson=PLOT)
    import_forest(tmp_path)
    import_park(tmp_path)
    client = signed_in_client(app, technician)
    html = client.get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    assert "Requiere verificación: se superpone con Parque Nacional Cordillera Azul" in html
    assert "(área natural protegida, Parque Nacional)" in html
    assert "de la parcela" in html
    reader = make_user("technician", locale="en", organization=technician.organization)
    html = signed_in_client(app, reader).get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    assert "Needs verification: overlaps Parque Nacional Cordillera Azul (protected area" in html


# --- plots of two producers ----------------------------------------------------------------


def test_find_pairs_flags_only_different_producers_beyond_the_tolerance():
    def plot(id_, producer, geometry):
        return {"id": id_, "producer_id": producer, "plot": plot_of(0, 0, geometry, 0),
                "point": False}  # fmt: skip

    east_half = box(MID, S, E, N)
    sliver = box(E - 0.000005, S, E + 0.002, N)  # 0.25 % of the plot, 0.5 % of the east half
    pairs = overlaps.find_pairs(
        [
            plot(7, 1, PLOT),
            plot(3, 2, east_half),  # another producer over half the plot
            plot(9, 1, WEST_HALF),  # the same producer's own plot
            plot(11, 3, sliver),  # a shared edge drawn twice
        ]
    )
    assert [(p.farm_a, p.farm_b) for p in pairs] == [(3, 7)]  # 3 < 7: the lower id first
    assert pairs[0].share_a == pytest.approx(1.0, abs=0.01)  # all of the east half
    assert pairs[0].share_b == pytest.approx(0.5, abs=0.01)  # half of the plot


def test_pairs_across_a_grid_cells_edge_are_found_once():
    from collections import namedtuple

    import numpy as np

    row = namedtuple("Row", "id producer_id lat lon polygon_geojson total_ha")
    edge = -7.0  # a multiple of CELL_DEG: the two points lie in two cells
    rows = {
        1: row(1, 10, edge + 0.0003, -76.73, None, 4.0),
        2: row(2, 20, edge - 0.0003, -76.73, None, 4.0),  # 67 m away: most of each circle
        3: row(3, 30, edge + 0.2, -76.73, None, 4.0),  # alone
    }
    ids = np.array(list(rows))
    lats = np.array([r.lat for r in rows.values()])
    lons = np.array([r.lon for r in rows.values()])
    pairs = overlaps.pairs_by_cell(ids, lats, lons, lambda wanted: [rows[i] for i in wanted])
    assert [(p.farm_a, p.farm_b) for p in pairs] == [(1, 2)]
    assert pairs[0].share_a == pytest.approx(pairs[0].share_b) and pairs[0].share_a > 0.5


def _two_producers(make_user, make_producer, make_farm):
    """Two producers of two cooperatives, each registered by its technician, whose plots
    overlap on the east half of the first."""
    found = []
    for geometry in (PLOT, box(MID, S, E + 0.002, N)):
        technician = make_user("technician")
        producer = make_producer(
            cooperative_id=technician.organization_id, registered_by_id=technician.id
        )
        found.append((technician, make_farm(producer, polygon_geojson=geometry)))
    return found


def test_overlapping_plots_of_two_producers_are_stored_once_and_both_technicians_told(
    app, make_user, make_producer, make_farm
):
    (tech_a, farm_a), (tech_b, farm_b) = _two_producers(make_user, make_producer, make_farm)
    risk.assess_all()
    risk.assess_all()  # again: nothing new
    [row] = db.session.scalars(select(PlotOverlap)).all()
    assert (row.farm_a_id, row.farm_b_id) == (farm_a.id, farm_b.id)
    assert row.share_a == pytest.approx(0.5, abs=0.01) and row.resolved_at is None
    assert row.overlap_ha == pytest.approx(geodesic_area_ha(plot_of(0, 0, PLOT, 0)) / 2, rel=0.02)
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.user_id, n.kind, n.link) for n in notes] == [
        (tech_a.id, "plot.overlap_found", f"/fincas/{farm_a.id}/parcela"),
        (tech_b.id, "plot.overlap_found", f"/fincas/{farm_b.id}/parcela"),
    ]
    for farm, other in ((farm_a, farm_b), (farm_b, farm_a)):
        farm = assessed(farm.id)
        assert farm.risk_status == "needs_verification"
        [pair] = farm.risk_assessment.reason["plot_overlaps"]
        assert pair["farm_id"] == other.id
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "plot_overlap.found"))
    assert len(audit.all()) == 1


def test_open_pairs_of_more_farms_than_a_statement_can_bind(
    app, make_user, make_producer, make_farm
):
    # `flask demo-data --producers 100000` on PostgreSQL asked about ~70,000 farms at once:
    # "number of parameters must be between 0 and 65535".
    (_tech_a, farm_a), (_tech_b, farm_b) = _two_producers(make_user, make_producer, make_farm)
    risk.assess_all()
    many = [farm_a.id, *range(farm_b.id + 1, farm_b.id + 70_000), farm_b.id]
    found = overlaps.open_pairs(many)
    assert [pair["farm_id"] for pair in found[farm_a.id]] == [farm_b.id]
    assert [pair["farm_id"] for pair in found[farm_b.id]] == [farm_a.id]


def test_a_corrected_outline_resolves_the_overlap_for_both(
    app, make_user, make_producer, make_farm
):
    (tech_a, farm_a), (tech_b, farm_b) = _two_producers(make_user, make_producer, make_farm)
    risk.assess_all()
    farm_b = assessed(farm_b.id)
    corrected = json.dumps(box(E + 0.0001, S, E + 0.002, N))
    plots.save_outline(tech_b, farm_b, plots.OutlineInput(text=corrected))
    row = db.session.scalars(select(PlotOverlap)).one()
    assert row.resolved_at is not None
    assert assessed(farm_a.id).risk_status == "unassessed"  # no layer: back to unassessed
    assert "plot_overlaps" not in (assessed(farm_a.id).risk_assessment.reason or {})
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.kind == "plot.overlap_resolved")
    ).all()
    assert len(kinds) == 2
    # drawn back over the first plot, it opens again (the same row)
    plots.save_outline(tech_b, assessed(farm_b.id), plots.OutlineInput(text=json.dumps(PLOT)))
    row = db.session.scalars(select(PlotOverlap)).one()
    assert row.resolved_at is None and row.share_a == pytest.approx(1.0, abs=0.01)
    assert assessed(farm_a.id).risk_status == "needs_verification"


def test_overlaps_are_stored_and_reopened_the_same_when_read_one_farm_per_statement(
    app, make_user, make_producer, make_farm, monkeypatch
):
    # The million-producer world on PostgreSQL stored 13,000 pairs at once: the farms were
    # bound in one statement, over PostgreSQL's 65,535 parameters. Slices of one id here.
    monkeypatch.setattr(overlaps, "ID_CHUNK", 1)
    test_a_corrected_outline_resolves_the_overlap_for_both(app, make_user, make_producer, make_farm)
    farm_ids = db.session.scalars(select(Farm.id).order_by(Farm.id)).all()
    db.session.execute(update(PlotOverlap).values(resolved_at=func.now()))
    assert overlaps.detect_all() == set(farm_ids)  # found again: the same row reopened
    row = db.session.scalars(select(PlotOverlap)).one()
    assert row.resolved_at is None and len(overlaps.open_pairs(farm_ids)) == 2


def test_field_evidence_does_not_settle_an_overlap_between_producers(
    app, make_user, make_producer, make_farm
):
    (tech_a, farm_a), _ = _two_producers(make_user, make_producer, make_farm)
    risk.assess_all()
    farm_a = assessed(farm_a.id)
    evidence.record_evidence(tech_a, farm_a, note="Visitada", observed_on=local_today(),
                             photo=b"", instance_path=app.instance_path)  # fmt: skip
    item = db.session.scalars(select(FieldEvidence)).one()
    with pytest.raises(DomainError) as error:  # a dispute cannot settle it either
        disputes.open_dispute(
            tech_a, farm_a, ground="map_error", claim="Es mi parcela.", evidence_ids=[item.id]
        )
    assert "otro productor" in error.value.message
    assert assessed(farm_a.id).risk_status == "needs_verification"


def test_a_point_farm_on_another_producers_outline_is_flagged_not_a_neighbours_circle(
    app, make_producer, make_farm
):
    outlined = make_farm(make_producer(), polygon_geojson=PLOT)
    # a 2 ha circle (radius ~80 m) centred 50 m inside the plot's east edge: mostly on it
    point = make_farm(make_producer(), polygon_geojson=None, lat=(S + N) / 2, lon=E - 0.00045,
                      total_ha=2.0)  # fmt: skip
    # a neighbour 33 m outside the edge: a quarter of its circle on the plot, 10 % of the plot
    make_farm(make_producer(), polygon_geojson=None, lat=S - 0.0003, lon=MID, total_ha=2.0)
    risk.assess_all()
    row = db.session.scalars(select(PlotOverlap)).one()
    assert {row.farm_a_id, row.farm_b_id} == {outlined.id, point.id}
    # producers outside any cooperative and without an account: nobody to tell
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_both_plot_pages_show_the_overlap(app, make_user, make_producer, make_farm):
    (tech_a, farm_a), (tech_b, farm_b) = _two_producers(make_user, make_producer, make_farm)
    risk.assess_all()
    html = signed_in_client(app, tech_a).get(f"/fincas/{farm_a.id}/parcela").get_data(as_text=True)
    assert "Superposición con parcelas de otros productores" in html
    assert "Abierta desde el" in html
    assert f'href="/fincas/{farm_b.id}/parcela"' not in html  # not hers to open
    assert "se superpone con la parcela La Esperanza de otro productor" in html
    html = signed_in_client(app, tech_b).get(f"/fincas/{farm_b.id}/parcela").get_data(as_text=True)
    assert "Superposición con parcelas de otros productores" in html
    admin = make_user("admin")
    html = signed_in_client(app, admin).get(f"/fincas/{farm_b.id}/parcela").get_data(as_text=True)
    assert f'href="/fincas/{farm_a.id}/parcela"' in html


# --- the demo ------------------------------------------------------------------------------


def test_the_shipped_demo_legal_layers_are_what_the_script_builds():
    from pathlib import Path

    from marketplace.demo.forest import LEGAL

    script = Path(__file__).resolve().parents[2] / "scripts/build_demo_legal.py"
    spec = importlib.util.spec_from_file_location("build_demo_legal", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for (path, _name, _kind, _fields), collection in zip(LEGAL, module.build(), strict=True):
        assert json.loads(path.read_text()) == collection


def test_the_demo_world_shows_legal_overlaps_and_a_sliver_on_the_demo_producers_plot(runner):
    result = runner.invoke(args=["demo-data", "--producers", "300", "--no-matching"])
    assert result.exit_code == 0, result.output
    assert "overlapping plots of different producers" in result.output
    kinds = db.session.scalars(
        select(ForestLayer.content).where(ForestLayer.kind == "legal").order_by(ForestLayer.id)
    ).all()
    assert kinds == ["protected_area", "indigenous_territory"]
    reasons = db.session.scalars(
        select(ForestAssessment.reason).join(Farm, Farm.risk_assessment_id == ForestAssessment.id)
    ).all()
    assert any(o["counts"] for r in reasons for o in r.get("overlaps", []))
    user = db.session.scalar(select(User).where(User.email == "productora@minka.demo"))
    chacra, santa_rosa = db.session.scalars(
        select(Farm).join(Producer).where(Producer.user_id == user.id).order_by(Farm.id)
    ).all()
    assert (chacra.name, santa_rosa.name) == ("Chacra El Cacaotal", "Parcela Santa Rosa")
    assert chacra.risk_status == "free"
    [sliver] = chacra.risk_assessment.reason["overlaps"]
    assert not sliver["counts"] and sliver["share"] == pytest.approx(0.004, abs=0.0005)
    assert santa_rosa.risk_status == "needs_verification"
    assert "plot_overlaps" not in santa_rosa.risk_assessment.reason


def test_a_pair_stored_meanwhile_by_another_save_is_not_stored_or_notified_twice(
    app, make_user, make_producer, make_farm
):
    (_tech_a, farm_a), (_tech_b, farm_b) = _two_producers(make_user, make_producer, make_farm)
    risk.assess_all()
    notified = db.session.scalar(select(func.count(Notification.id)))
    pair = overlaps.Pair(farm_a.id, farm_b.id, 1.0, 0.5, 0.5)
    # as if this process had not seen the row the other one committed a moment ago
    assert overlaps._store([pair], open_slices=[]) == set()
    db.session.commit()
    assert db.session.scalar(select(func.count(PlotOverlap.id))) == 1
    assert db.session.scalar(select(func.count(Notification.id))) == notified
    assert assessed(farm_a.id).risk_status == "needs_verification"


@pytest.mark.parametrize("chunk", [overlaps.STORE_CHUNK, 1])
def test_of_pairs_found_together_only_the_one_stored_meanwhile_is_skipped(
    app, make_user, make_producer, make_farm, monkeypatch, chunk
):
    # The pairs found are stored a slice at a time, each slice in one flush (a million-farm
    # detection finds hundreds of thousands: one savepoint each took hours, all in one flush
    # took 21 GB). When another save stored one of them meanwhile, the others are still
    # stored, audited and notified, each once, whatever the slices.
    monkeypatch.setattr(overlaps, "STORE_CHUNK", chunk)
    (_tech_a, farm_a), (tech_b, farm_b) = _two_producers(make_user, make_producer, make_farm)
    risk.assess_all()
    notified = db.session.scalar(select(func.count(Notification.id)))
    third = make_producer(cooperative_id=tech_b.organization_id, registered_by_id=tech_b.id)
    farm_c = make_farm(third, polygon_geojson=box(MID, S, E + 0.002, N))
    meanwhile = overlaps.Pair(farm_a.id, farm_b.id, 1.0, 0.5, 0.5)
    new = overlaps.Pair(farm_a.id, farm_c.id, 1.0, 0.5, 0.5)
    assert overlaps._store([meanwhile, new], open_slices=[]) == {farm_a.id, farm_c.id}
    db.session.commit()
    pairs = db.session.execute(select(PlotOverlap.farm_a_id, PlotOverlap.farm_b_id)).all()
    assert sorted(pairs) == [(farm_a.id, farm_b.id), (farm_a.id, farm_c.id)]
    assert db.session.scalar(select(func.count(Notification.id))) == notified + 2
    found = select(AuditLog.detail).where(AuditLog.action == "plot_overlap.found")
    assert sorted(d["farm_b"] for d in db.session.scalars(found)) == [farm_b.id, farm_c.id]


@pytest.mark.parametrize("chunk", [overlaps.STORE_CHUNK, 1])
def test_a_full_detection_settles_the_open_pairs_whatever_the_slices(
    app, make_user, make_producer, make_farm, monkeypatch, chunk
):
    # Every plot assessed again compares the open pairs with those found a slice of rows at a
    # time (a million farms have some 500,000 open): each pair gone is resolved, audited and
    # told once, and the one still there stays open with its figures.
    monkeypatch.setattr(overlaps, "STORE_CHUNK", chunk)
    (tech_a, farm_a), (tech_b, farm_b) = _two_producers(make_user, make_producer, make_farm)
    third = make_producer(cooperative_id=tech_b.organization_id, registered_by_id=tech_b.id)
    farm_c = make_farm(third, polygon_geojson=box(MID, S, E + 0.002, N))
    risk.assess_all()
    assert db.session.scalar(select(func.count(PlotOverlap.id))) == 3  # a-b, a-c, b-c
    farm_c.polygon_geojson = box(E + 0.01, S, E + 0.012, N)  # moved off both, nothing checked
    db.session.commit()
    assert overlaps.detect_all() == {farm_a.id, farm_b.id, farm_c.id}
    db.session.commit()
    rows = db.session.scalars(select(PlotOverlap).order_by(PlotOverlap.id)).all()
    still = [(r.farm_a_id, r.farm_b_id) for r in rows if r.resolved_at is None]
    assert still == [(farm_a.id, farm_b.id)]
    assert rows[0].share_a == pytest.approx(0.5, abs=0.01)
    gone = select(AuditLog.detail).where(AuditLog.action == "plot_overlap.resolved")
    assert sorted((d["farm_a"], d["farm_b"]) for d in db.session.scalars(gone)) == [
        (farm_a.id, farm_c.id),
        (farm_b.id, farm_c.id),
    ]
    told = select(Notification.user_id).where(Notification.kind == "plot.overlap_resolved")
    assert sorted(db.session.scalars(told)) == sorted([tech_a.id] + [tech_b.id] * 3)  # a farm each
