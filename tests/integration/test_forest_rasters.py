"""Raster forest layers read by window: each content's validation, each branch of the
decision tree, the 10 % rule, points against polygons, the history, with planted answers."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest import layers, risk
from marketplace.forest.geometry import geodesic_area_ha
from marketplace.models import Farm
from marketplace.models.traceability import ForestArea, ForestAssessment, ForestLayer

PX = 0.0001  # about 11 m
WEST, NORTH = -76.74, -7.17
SIZE = 200
PLOT_ROWS, PLOT_COLS = (50, 100), (50, 100)  # a 50 x 50 pixel plot (~30 ha), pixel-aligned


def pixels_box(r0: int, c0: int, r1: int, c1: int) -> dict:
    """A polygon along pixel edges: rows r0..r1, columns c0..c1 of the test grid."""
    w, e = WEST + c0 * PX, WEST + c1 * PX
    n, s = NORTH - r0 * PX, NORTH - r1 * PX
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


PLOT = pixels_box(PLOT_ROWS[0], PLOT_COLS[0], PLOT_ROWS[1], PLOT_COLS[1])


def grid(value: int = 0, dtype: str = "uint8") -> np.ndarray:
    return np.full((SIZE, SIZE), value, dtype=dtype)


def plot_part(array: np.ndarray, value: int, share: float) -> np.ndarray:
    """Set the westmost `share` of the plot's columns to `value`."""
    cols = round((PLOT_COLS[1] - PLOT_COLS[0]) * share)
    array[PLOT_ROWS[0] : PLOT_ROWS[1], PLOT_COLS[0] : PLOT_COLS[0] + cols] = value
    return array


def write(tmp_path, name: str, array: np.ndarray, west: float = WEST, **extra) -> str:
    path = tmp_path / f"{name}.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
        dtype=array.dtype, crs="EPSG:4326", transform=Affine(PX, 0, west, 0, -PX, NORTH),
        tiled=True, blockxsize=64, blockysize=64, compress="deflate", **extra,
    ) as out:  # fmt: skip
        out.write(array, 1)
    return str(path)


def load(tmp_path, **contents: np.ndarray) -> None:
    for content, array in contents.items():
        layers.load_layer(write(tmp_path, content, array), kind=content, version="test-1")
    db.session.commit()
    risk.assess_all()


@pytest.fixture
def farm(make_producer, make_farm):
    return make_farm(make_producer(), polygon_geojson=PLOT, cleared_after_cutoff="unknown")


def assessed(farm_id: int) -> Farm:
    db.session.expire_all()
    return db.session.get(Farm, farm_id)


def reason(farm_id: int) -> dict:
    return assessed(farm_id).risk_assessment.reason


# --- the decision tree ------------------------------------------------------------------------


def test_loss_after_the_cutoff_on_forest_of_2020_is_at_risk_with_its_year(app, tmp_path, farm):
    load(
        tmp_path,
        loss_year=plot_part(grid(), 22, 0.18),
        forest_2020=plot_part(grid(), 1, 1.0),
    )
    farm = assessed(farm.id)
    assert farm.risk_status == "at_risk"
    assert farm.risk_loss_share == pytest.approx(0.18, abs=0.001)
    assert farm.risk_loss_ha == pytest.approx(
        geodesic_area_ha(risk.plot_of(0, 0, PLOT, 0)) * 0.18, rel=0.002
    )
    assert reason(farm.id) == {
        "code": "loss_after", "cutoff": 2020, "year": 2022,
        "ha": farm.risk_loss_ha, "share": farm.risk_loss_share,
    }  # fmt: skip
    assert db.session.scalar(select(func.count(ForestArea.id))) == 0


def test_loss_after_the_cutoff_where_there_was_no_forest_in_2020_does_not_count(
    app, tmp_path, farm
):
    # forest in 2020 only on the east half, the loss on the west half: a crop was cleared
    forest = grid()
    forest[PLOT_ROWS[0] : PLOT_ROWS[1], 75:100] = 1
    load(tmp_path, loss_year=plot_part(grid(), 23, 0.5), forest_2020=forest)
    assert assessed(farm.id).risk_status == "needs_verification"
    assert reason(farm.id)["code"] == "forest"
    assert reason(farm.id)["share"] == pytest.approx(0.5, abs=0.001)


def test_no_tree_cover_in_2000_above_the_threshold_is_free(app, tmp_path, farm):
    load(tmp_path, tree_cover_2000=plot_part(grid(), 8, 1.0))
    assert assessed(farm.id).risk_status == "free"
    assert reason(farm.id)["code"] == "no_forest"


def test_the_tree_cover_threshold_is_a_setting(app, tmp_path, farm):
    app.config["MINKA_FOREST_TREE_COVER_PCT"] = 5
    try:
        load(tmp_path, tree_cover_2000=plot_part(grid(), 8, 1.0))
    finally:
        app.config["MINKA_FOREST_TREE_COVER_PCT"] = 10
    assert assessed(farm.id).risk_status == "needs_verification"
    assert assessed(farm.id).risk_assessment.settings["tree_cover_pct"] == 5


def test_the_commodity_already_there_in_2020_is_free_and_its_replanting_is_not_loss(
    app, tmp_path, farm
):
    load(
        tmp_path,
        forest_2020=plot_part(grid(), 1, 1.0),
        commodity=plot_part(grid(), 1, 1.0),
        loss_year=plot_part(grid(), 22, 0.5),
    )
    assert assessed(farm.id).risk_status == "free"
    assert reason(farm.id)["code"] == "commodity"


def test_disturbance_before_the_cutoff_is_free(app, tmp_path, farm):
    # tree cover 80 % everywhere; 30 % of the plot lost in 2015: forest 2020 on 70 %
    load(
        tmp_path,
        tree_cover_2000=plot_part(grid(), 80, 1.0),
        loss_year=plot_part(grid(), 15, 0.3),
    )
    assert assessed(farm.id).risk_status == "free"
    why = reason(farm.id)
    assert (why["code"], why["year"]) == ("loss_before", 2015)
    assert why["share"] == pytest.approx(0.3, abs=0.001)
    forest = assessed(farm.id).risk_assessment.indicators["forest_2020"]
    assert forest["share"] == pytest.approx(0.7, abs=0.001)


def test_forest_of_2020_unexplained_needs_verification(app, tmp_path, farm):
    load(tmp_path, forest_2020=plot_part(grid(), 1, 1.0))
    assert assessed(farm.id).risk_status == "needs_verification"
    assert assessed(farm.id).cleared_after_cutoff == "unknown"


@pytest.mark.parametrize(("share", "status"), [(0.08, "needs_verification"), (0.12, "at_risk")])
def test_an_indicator_counts_above_ten_percent_of_a_polygon(app, tmp_path, farm, share, status):
    load(
        tmp_path,
        loss_year=plot_part(grid(), 22, share),
        forest_2020=plot_part(grid(), 1, 1.0),
    )
    assert assessed(farm.id).risk_status == status


def test_any_pixel_counts_for_a_point_but_not_for_a_polygon(
    app, tmp_path, make_producer, make_farm
):
    loss = grid()
    loss[75, 75] = 22  # one pixel, about 0.012 ha
    forest = plot_part(grid(), 1, 1.0)
    centre_lat, centre_lon = NORTH - 75.5 * PX, WEST + 75.5 * PX
    point = make_farm(make_producer(), lat=centre_lat, lon=centre_lon, total_ha=2.0)
    polygon = make_farm(make_producer(), polygon_geojson=PLOT)
    load(tmp_path, loss_year=loss, forest_2020=forest)
    assert assessed(point.id).risk_status == "at_risk"
    assert assessed(point.id).risk_assessment.point is True
    assert assessed(point.id).risk_loss_ha == pytest.approx(0.0121, abs=0.0005)
    assert assessed(polygon.id).risk_status == "needs_verification"


def test_alerts_after_the_cutoff_on_forest_are_at_risk_with_their_year(app, tmp_path, farm):
    day_2023 = 20_000 + (np.datetime64("2023-03-01") - np.datetime64("2014-12-31")).astype(int)
    alerts = plot_part(grid(0, "uint16"), 30_000 + int(day_2023) % 10_000, 0.4)
    load(tmp_path, alerts=alerts, forest_2020=plot_part(grid(), 1, 1.0))
    assert assessed(farm.id).risk_status == "at_risk"
    assert reason(farm.id)["year"] == 2023


def test_a_plot_outside_every_raster_is_unassessed(app, tmp_path, make_producer, make_farm):
    far = make_farm(make_producer(), polygon_geojson=pixels_box(-100, -100, -90, -90))
    load(tmp_path, forest_2020=plot_part(grid(), 1, 1.0))
    assert assessed(far.id).risk_status == "unassessed"
    assert assessed(far.id).risk_assessment.reason == {"code": "no_layer"}


def test_each_plot_reads_the_tile_that_covers_it(app, tmp_path, make_producer, make_farm):
    east_west = WEST + SIZE * PX  # a second tile just east of the first
    west_farm = make_farm(make_producer(), polygon_geojson=PLOT)
    east_farm = make_farm(
        make_producer(),
        polygon_geojson={
            "type": "Polygon",
            "coordinates": [[[x + SIZE * PX, y] for x, y in PLOT["coordinates"][0]]],
        },
    )
    layers.load_layer(write(tmp_path, "west", plot_part(grid(), 21, 0.5)), kind="loss_year")
    layers.load_layer(
        write(tmp_path, "east", plot_part(grid(), 24, 0.5), west=east_west), kind="loss_year"
    )
    db.session.commit()
    risk.assess_all()
    assert reason(west_farm.id)["year"] == 2021
    assert reason(east_farm.id)["year"] == 2024
    assert [layer["name"] for layer in assessed(east_farm.id).risk_assessment.layers] == ["east"]


# --- the history ------------------------------------------------------------------------------


def test_the_history_appends_a_row_only_when_the_assessment_changes(app, tmp_path, farm):
    load(tmp_path, forest_2020=plot_part(grid(), 1, 1.0))
    first = assessed(farm.id).risk_assessment
    first_id, first_status = first.id, first.status
    assert first.layers[0]["version"] == "test-1"
    assert len(first.layers[0]["sha256"]) == 64
    risk.assess_all()
    assert assessed(farm.id).risk_assessment_id == first_id
    load(tmp_path, loss_year=plot_part(grid(), 22, 0.5))
    rows = db.session.scalars(
        select(ForestAssessment)
        .where(ForestAssessment.farm_id == farm.id)
        .order_by(ForestAssessment.id)
    ).all()
    assert [row.status for row in rows] == [first_status, "at_risk"]
    assert assessed(farm.id).risk_assessment_id == rows[-1].id
    assert {layer["name"] for layer in rows[-1].layers} == {"forest_2020", "loss_year"}


# --- declared content, checked ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "array", "named"),
    [
        ("loss_year", plot_part(grid(), 100, 0.5), "100"),  # a tree-cover raster as loss years
        ("loss_year", plot_part(grid(0, "uint16"), 2015, 0.5), "2015"),  # calendar years
        ("tree_cover_2000", plot_part(grid(), 101, 0.5), "101"),
        ("forest_2020", plot_part(grid(), 2, 0.5), "2"),
        ("commodity", plot_part(grid(), 255, 0.5), "255"),
        ("alerts", plot_part(grid(0, "uint16"), 51_000, 0.5), "51000"),  # confidence 5
    ],
)
def test_values_a_content_does_not_accept_are_refused_by_name(app, tmp_path, content, array, named):
    with pytest.raises(DomainError, match=rf"valores no válidos: {named} "):
        layers.import_layer(write(tmp_path, "bad", array), kind=content)
    assert db.session.scalar(select(func.count(ForestLayer.id))) == 0


def test_a_real_year_beyond_this_year_is_refused_as_a_loss_year(app, tmp_path):
    with pytest.raises(DomainError, match="se esperan 0 o de 1 a"):
        layers.import_layer(write(tmp_path, "bad", plot_part(grid(), 99, 0.1)), kind="loss_year")


def test_float_pixels_are_refused(app, tmp_path):
    with pytest.raises(DomainError, match="valores enteros"):
        layers.import_layer(write(tmp_path, "f", grid(0, "float32")), kind="forest_2020")


def test_nodata_pixels_are_not_values(app, tmp_path, farm):
    array = plot_part(grid(255), 1, 1.0)  # 255 = nodata around the plot
    layers.import_layer(write(tmp_path, "f", array, nodata=255), kind="forest_2020")
    assert assessed(farm.id).risk_status == "needs_verification"


# --- the command line ---------------------------------------------------------------------------


def test_cli_registers_a_declared_raster_and_lists_it(app, runner, tmp_path, farm):
    path = write(tmp_path, "forest", plot_part(grid(), 1, 1.0))
    args = ["forest", "import", path, "--kind", "forest_2020", "--version", "GFC2020-v2"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "(forest_2020) imported" in result.output
    assert "needs_verification: 1" in result.output
    listing = runner.invoke(args=["forest", "list"]).output
    assert "\tforest\tforest_2020\t200x200 px of 0.0001°\tactive" in listing
    layer = db.session.scalars(select(ForestLayer)).one()
    assert (layer.version, layer.crs, layer.nodata) == ("GFC2020-v2", "EPSG:4326", None)
    assert (layer.min_lon, layer.max_lat) == pytest.approx((WEST, NORTH))


def test_cli_refuses_a_geotiff_without_a_kind_and_a_file_that_is_not_one(app, runner, tmp_path):
    path = write(tmp_path, "cover", grid(50))
    result = runner.invoke(args=["forest", "import", path])
    assert result.exit_code == 1 and "nunca se adivina" in result.output
    fake = tmp_path / "fake.tif"
    fake.write_bytes(b"not a tiff at all")
    result = runner.invoke(args=["forest", "import", str(fake), "--kind", "loss_year"])
    assert result.exit_code == 1 and "no es un GeoTIFF válido" in result.output
    assert "Traceback" not in result.output


def test_rasters_of_different_pixel_sizes_combine_pixel_by_pixel(app, tmp_path, farm):
    # the forest mask at half the loss layer's pixel size, forest on the west 60 % only:
    # the loss (west 40 %, 2022) is read resampled on the finer grid
    fine = np.zeros((SIZE * 2, SIZE * 2), dtype="uint8")
    fine[PLOT_ROWS[0] * 2 : PLOT_ROWS[1] * 2, PLOT_COLS[0] * 2 : PLOT_COLS[0] * 2 + 60] = 1
    path = tmp_path / "fine.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=SIZE * 2, height=SIZE * 2, count=1, dtype="uint8",
        crs="EPSG:4326", transform=Affine(PX / 2, 0, WEST, 0, -PX / 2, NORTH),
    ) as out:  # fmt: skip
        out.write(fine, 1)
    layers.load_layer(path, kind="forest_2020")
    layers.load_layer(write(tmp_path, "loss", plot_part(grid(), 22, 0.4)), kind="loss_year")
    db.session.commit()
    risk.assess_all()
    farm = assessed(farm.id)
    assert farm.risk_status == "at_risk"
    assert farm.risk_loss_share == pytest.approx(0.4, abs=0.001)
    assert farm.risk_assessment.indicators["forest_2020"]["share"] == pytest.approx(0.6, abs=0.001)


# --- privacy ----------------------------------------------------------------------------------


def test_her_data_export_holds_her_plots_assessments_and_deleting_the_farm_drops_them(
    app, tmp_path, farm, make_user
):
    from marketplace.privacy import export
    from marketplace.producers import services

    load(tmp_path, forest_2020=plot_part(grid(), 1, 1.0))
    farm = assessed(farm.id)
    section = export.collect(farm.producer)["forest_assessments"]
    assert [row["status"] for row in section] == ["needs_verification"]
    services.delete_farm(make_user("admin"), farm)
    assert db.session.scalar(select(func.count(ForestAssessment.id))) == 0


def test_the_reason_reads_in_the_viewers_language(
    app, tmp_path, make_producer, make_farm, make_user
):
    from tests.conftest import signed_in_client

    technician = make_user("technician", locale="en")
    producer = make_producer(
        cooperative_id=technician.organization_id, registered_by_id=technician.id
    )
    make_farm(producer, polygon_geojson=PLOT)
    load(
        tmp_path,
        loss_year=plot_part(grid(), 22, 0.18),
        forest_2020=plot_part(grid(), 1, 1.0),
    )
    html = (
        signed_in_client(app, technician).get(f"/productores/{producer.id}").get_data(as_text=True)
    )
    assert "Forest loss in 2022 on 18 % of the plot" in html
    assert "which was forest in 2020" in html
    assert "Pérdida de bosque" not in html


def test_plots_reading_the_same_layers_share_one_record_of_them(
    app, tmp_path, make_producer, make_farm
):
    from marketplace.models.traceability import ForestLayerSet

    farms = [make_farm(make_producer(), polygon_geojson=PLOT) for _ in range(3)]
    load(tmp_path, forest_2020=plot_part(grid(), 1, 1.0), loss_year=grid())
    sets = {assessed(f.id).risk_assessment.layer_set_id for f in farms}
    assert len(sets) == 1 and None not in sets
    record = db.session.scalars(select(ForestLayerSet)).one()
    assert [layer["content"] for layer in record.layers] == ["forest_2020", "loss_year"]
