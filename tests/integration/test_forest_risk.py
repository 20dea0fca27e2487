"""Forest layers and plot risk on synthetic layers with planted answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from affine import Affine
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest import layers, risk
from marketplace.forest.geometry import geodesic_area_ha
from marketplace.models import AuditLog, Farm
from marketplace.models.traceability import ForestArea, ForestLayer

# A square plot of 0.002° x 0.002° (about 220 m x 220 m, ~4.9 ha) near Juanjuí.
W, S, E, N = -76.732, -7.182, -76.730, -7.180
MID = (W + E) / 2


def box(w: float, s: float, e: float, n: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


PLOT = box(W, S, E, N)
WEST_HALF = box(W - 0.001, S - 0.001, MID, N + 0.001)  # covers exactly the west half
FAR_AWAY = box(W - 0.05, S - 0.05, W - 0.04, S - 0.04)  # stretches the layer's extent
FAR_OTHER = box(E + 0.04, N + 0.04, E + 0.05, N + 0.05)


def write_layer(tmp_path, *features: tuple[dict, dict], name: str = "layer.geojson"):
    path = tmp_path / name
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": g, "properties": p} for g, p in features],
    }
    path.write_text(json.dumps(collection))
    return path


def extent_only():
    """Two pre-cut-off loss patches far from the plot, so that the layer reaches it."""
    return (FAR_AWAY, {"loss_year": 2005}), (FAR_OTHER, {"loss_year": 2006})


@pytest.fixture
def farm(make_producer, make_farm):
    return make_farm(make_producer(), polygon_geojson=PLOT, cleared_after_cutoff="unknown")


def assessed(farm_id: int) -> Farm:
    db.session.expire_all()
    return db.session.get(Farm, farm_id)


def test_loss_after_cutoff_on_half_the_plot_is_at_risk(app, tmp_path, farm):
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2022}), *extent_only()))
    farm = assessed(farm.id)
    assert farm.risk_status == "at_risk"
    assert farm.risk_loss_share == pytest.approx(0.5, abs=0.02)
    assert farm.risk_loss_ha == pytest.approx(
        geodesic_area_ha(risk.plot_of(0, 0, PLOT, 0)) / 2, rel=0.02
    )
    assert farm.cleared_after_cutoff == "yes"
    assert farm.risk_assessed_at is not None


def test_loss_before_cutoff_is_history(app, tmp_path, farm):
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2018}), *extent_only()))
    farm = assessed(farm.id)
    assert farm.risk_status == "free"
    assert farm.cleared_after_cutoff == "no"


def test_forest_cover_needs_verification(app, tmp_path, farm):
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"forest": True}), *extent_only()))
    farm = assessed(farm.id)
    assert farm.risk_status == "needs_verification"
    assert farm.cleared_after_cutoff == "unknown"


def test_a_sliver_of_forest_does_not_ask_for_verification(app, tmp_path, farm):
    sliver = box(W - 0.001, S, W + 0.0001, N)  # 5 % of the plot
    layers.import_layer(write_layer(tmp_path, (sliver, {"forest": True}), *extent_only()))
    assert assessed(farm.id).risk_status == "free"


def test_verified_farm_stays_verified_under_forest_but_not_under_loss(app, tmp_path, farm):
    farm.risk_verified_at = risk.utcnow()
    db.session.commit()
    layer = layers.import_layer(
        write_layer(tmp_path, (WEST_HALF, {"forest": True}), *extent_only())
    )
    assert assessed(farm.id).risk_status == "verified"
    assert assessed(farm.id).cleared_after_cutoff == "no"
    layers.remove_layer(layer.id)
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2023}), *extent_only()))
    assert assessed(farm.id).risk_status == "at_risk"


def test_a_sliver_of_recent_loss_no_longer_makes_the_plot_at_risk(app, tmp_path, farm):
    # Until the decision tree, any loss after the cut-off >= 0.01 ha made a plot at risk;
    # one 30 m pixel is 0.08 ha. Now disturbance counts on more than 10 % of a polygon:
    # 5 % of recent loss on a plot with no other forest is a plot with no forest to lose.
    sliver = box(W - 0.001, S, W + 0.0001, N)  # 5 % of the plot
    layers.import_layer(write_layer(tmp_path, (sliver, {"loss_year": 2022}), *extent_only()))
    farm = assessed(farm.id)
    assert farm.risk_status == "free"
    assert farm.risk_assessment.reason["code"] == "no_forest"
    assert farm.risk_assessment.indicators["disturbance_after"]["share"] == pytest.approx(
        0.05, abs=0.005
    )


def test_nothing_in_the_plot_is_free(app, tmp_path, farm):
    layers.import_layer(write_layer(tmp_path, *extent_only()))
    assert assessed(farm.id).risk_status == "free"


def test_no_layer_leaves_the_farm_unassessed_and_its_declaration_alone(app, farm):
    assert risk.assess_all() == {"unassessed": 1}
    farm = assessed(farm.id)
    assert farm.risk_status == "unassessed"
    assert farm.cleared_after_cutoff == "unknown"


def test_a_layer_elsewhere_leaves_the_farm_unassessed(app, tmp_path, farm):
    layers.import_layer(write_layer(tmp_path, (FAR_AWAY, {"loss_year": 2022})))
    assert assessed(farm.id).risk_status == "unassessed"


def test_a_farm_without_polygon_is_a_circle_of_its_declared_hectares(
    app, tmp_path, make_producer, make_farm
):
    # 4.84 ha around the plot's centre: the west-half loss covers half the circle
    point = make_farm(make_producer(), lat=(S + N) / 2, lon=MID, total_ha=4.84)
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2021}), *extent_only()))
    point = assessed(point.id)
    assert point.risk_status == "at_risk"
    assert point.risk_loss_share == pytest.approx(0.5, abs=0.02)
    assert point.risk_loss_ha == pytest.approx(4.84 / 2, rel=0.02)


def test_removing_the_layer_unassesses_and_is_audited(app, tmp_path, farm):
    layer = layers.import_layer(
        write_layer(tmp_path, (WEST_HALF, {"loss_year": 2022}), *extent_only())
    )
    layers.remove_layer(layer.id)
    assert assessed(farm.id).risk_status == "unassessed"
    assert db.session.scalar(select(func.count(ForestArea.id))) == 0
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"forest.imported", "forest.removed", "farm.risk_assessed"} <= actions


def test_saving_a_farm_reassesses_it(app, tmp_path, farm, make_user):
    from marketplace.producers import services
    from marketplace.producers.services import FarmData

    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2022}), *extent_only()))
    assert assessed(farm.id).risk_status == "at_risk"
    moved = box(E + 0.01, N + 0.01, E + 0.012, N + 0.012)
    farm = assessed(farm.id)
    farm.polygon_geojson = moved
    data = {name: getattr(farm, name) for name in FarmData.__dataclass_fields__}
    services.save_farm(make_user("admin"), farm.producer, FarmData(**data), farm)
    assert assessed(farm.id).risk_status == "free"


# --- raster ---------------------------------------------------------------------------------

PIXEL = 0.0001  # about 11 m


def write_raster(tmp_path, crs: str = "EPSG:4326", year_value: int = 22, tiled: bool = False):
    """A loss-year GeoTIFF over the plot and well beyond: the west half lost in 2000+value."""
    west, north = W - 0.005, N + 0.005
    size = round((0.012) / PIXEL)
    years = np.zeros((size, size), dtype="uint8")
    mid_col = round((MID - west) / PIXEL)
    top, bottom = round((north - N - 0.001) / PIXEL), round((north - S + 0.001) / PIXEL)
    years[top:bottom, :mid_col] = year_value
    years[0, 0] = 5  # an old loss at the corner stretches the layer over the whole raster
    years[-1, -1] = 5
    path = tmp_path / "lossyear.tif"
    tiles = {"tiled": True, "blockxsize": 16, "blockysize": 16} if tiled else {}
    with rasterio.open(
        path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint8",
        crs=crs, transform=Affine(PIXEL, 0, west, 0, -PIXEL, north), **tiles,
    ) as out:  # fmt: skip
        out.write(years, 1)
    return path


def test_a_raster_gives_the_same_answer_as_the_vector(app, tmp_path, farm):
    layer = layers.import_layer(write_raster(tmp_path), kind="loss_year")
    assert (layer.kind, layer.content) == ("raster", "loss_year")
    farm = assessed(farm.id)
    assert farm.risk_status == "at_risk"
    assert farm.risk_loss_share == pytest.approx(0.5, abs=0.02)
    # read by window when assessed: nothing of the raster is copied into the database
    assert db.session.scalar(select(func.count(ForestArea.id))) == 0


def test_a_raster_with_old_loss_only_is_free(app, tmp_path, farm):
    layers.import_layer(write_raster(tmp_path, year_value=15), kind="loss_year")
    assert assessed(farm.id).risk_status == "free"


def test_a_geotiff_without_a_declared_content_is_refused(app, tmp_path, farm):
    with pytest.raises(DomainError, match="nunca se adivina"):
        layers.import_layer(write_raster(tmp_path))
    assert db.session.scalar(select(func.count(ForestLayer.id))) == 0


def test_a_raster_in_another_projection_is_refused(app, tmp_path, farm):
    with pytest.raises(DomainError, match=r"WGS84 \(EPSG:4326\)"):
        layers.import_layer(write_raster(tmp_path, crs="EPSG:32718"), kind="loss_year")
    assert db.session.scalar(select(func.count(ForestLayer.id))) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "no es un GeoJSON"),
        ('{"type": "Feature"}', "FeatureCollection"),
        (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {}}]}),
         "polígono"),
        (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
            "geometry": PLOT, "properties": {"loss_year": "2022"}}]}), "loss_year"),
        (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
            "geometry": box(500000, 9000000, 500100, 9000100), "properties": {"forest": True}}]}),
         "EPSG:4326"),
        (json.dumps({"type": "FeatureCollection", "features": []}), "ningún polígono"),
    ],
)  # fmt: skip
def test_bad_vector_layers_are_refused_with_a_clear_message(app, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(DomainError, match=message):
        layers.import_layer(path)
    assert db.session.scalar(select(func.count(ForestLayer.id))) == 0


# --- CLI ------------------------------------------------------------------------------------


def test_cli_imports_lists_assesses_and_removes(app, runner, tmp_path, farm):
    path = write_layer(tmp_path, (WEST_HALF, {"loss_year": 2022}), *extent_only())
    result = runner.invoke(args=["forest", "import", str(path), "--name", "Prueba"])
    assert result.exit_code == 0, result.output
    assert "at_risk: 1" in result.output
    layer_id = db.session.scalar(select(ForestLayer.id))

    result = runner.invoke(args=["forest", "list"])
    assert f"{layer_id}\tPrueba\tvector\t3 areas\tloss 2005-2022\tactive" in result.output

    result = runner.invoke(args=["forest", "assess"])
    assert result.exit_code == 0 and "1 farms assessed" in result.output

    result = runner.invoke(args=["forest", "remove", str(layer_id)])
    assert result.exit_code == 0 and "unassessed: 1" in result.output
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "forest.imported")).one()
    assert audit.actor_id is None


def test_cli_reports_a_wrong_projection_without_a_traceback(app, runner, tmp_path):
    path = write_raster(tmp_path, crs="EPSG:32718")
    result = runner.invoke(args=["forest", "import", str(path), "--kind", "loss_year"])
    assert result.exit_code == 1
    assert "WGS84 (EPSG:4326)" in result.output
    assert "Traceback" not in result.output


def test_worst_status_of_a_lot():
    assert risk.worst(["free", "needs_verification", "verified"]) == "needs_verification"
    assert risk.worst(["free", "at_risk"]) == "at_risk"
    assert risk.worst([]) == "unassessed"


def test_a_raster_in_small_tiles_gives_the_same_share(app, tmp_path, farm):
    path = write_raster(tmp_path, tiled=True)  # the plot straddles many 16 x 16 tiles
    layers.import_layer(path, kind="loss_year")
    assert assessed(farm.id).risk_loss_share == pytest.approx(0.5, abs=0.02)


# --- pages and demo -------------------------------------------------------------------------


def test_the_farm_page_shows_the_loss_and_the_list_shows_the_badge(
    app, tmp_path, make_producer, make_farm, make_user, login
):
    technician = make_user("technician")
    producer = make_producer(
        cooperative_id=technician.organization_id, registered_by_id=technician.id
    )
    make_farm(producer, polygon_geojson=PLOT)
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2022}), *extent_only()))
    client = login(technician)
    page = client.get(f"/productores/{producer.id}").get_data(as_text=True)
    assert "Riesgo: deforestación posterior al corte" in page
    # the status comes with its reason: the year, the share and that it was forest in 2020
    assert "Pérdida de bosque en 2022 sobre 50 % de la parcela" in page
    assert "que era bosque en 2020" in page
    listing = client.get("/productores").get_data(as_text=True)
    assert 'badge badge-bad">Riesgo: deforestación posterior al corte' in listing


def test_the_page_says_what_to_do_when_forest_needs_verification(
    app, tmp_path, make_producer, make_farm, make_user, login
):
    technician = make_user("technician")
    producer = make_producer(
        cooperative_id=technician.organization_id, registered_by_id=technician.id
    )
    make_farm(producer, polygon_geojson=PLOT)
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"forest": True}), *extent_only()))
    page = login(technician).get(f"/productores/{producer.id}").get_data(as_text=True)
    assert "Requiere verificación" in page
    assert "Era bosque en 2020 sobre 50 % de la parcela" in page
    assert "Un técnico debe registrar evidencia de campo" in page


def test_the_shipped_demo_layer_is_what_the_script_builds():
    import importlib.util
    from pathlib import Path

    from marketplace.demo.forest import DEMO_LAYER

    script = Path(__file__).resolve().parents[2] / "scripts/build_demo_forest.py"
    spec = importlib.util.spec_from_file_location("build_demo_forest", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    collection = module.build()
    assert json.loads(DEMO_LAYER.read_text()) == collection
    shipped = 0
    for name, _content, pixels, transform in module.build_rasters(collection):
        with rasterio.open(DEMO_LAYER.parent / name) as source:
            assert source.transform.almost_equals(transform)
            assert (source.profile["tiled"], source.compression.value) == (True, "DEFLATE")
            assert np.array_equal(source.read(1), pixels), name
        shipped += (DEMO_LAYER.parent / name).stat().st_size
    assert shipped < 600 * 1024


def test_a_new_outline_is_assessed_at_once(app, tmp_path, make_producer, make_farm, make_user):
    """Drawing the plot over recent loss makes it at risk as soon as it is saved."""
    from marketplace.traceability import plots

    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2022}), *extent_only()))
    farm = make_farm(make_producer(), polygon_geojson=None, lat=S - 0.01, lon=W - 0.01)
    assert assessed(farm.id).risk_status != "at_risk"
    owner = make_user("admin")
    plots.save_outline(owner, farm, plots.OutlineInput(text=json.dumps(PLOT), drawn=True))
    farm = assessed(farm.id)
    assert farm.risk_status == "at_risk"
    assert farm.risk_loss_share == pytest.approx(0.5, abs=0.02)
