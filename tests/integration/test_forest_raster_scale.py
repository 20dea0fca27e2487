"""Rasters at scale: every plot's hectares exactly right on a synthetic tile, and a
20,000 x 20,000 tile assessed in windows with bounded memory."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.forest import layers
from marketplace.forest.geometry import geodesic_area_ha
from marketplace.models import Farm
from marketplace.models.traceability import ForestArea

PX = 0.00025  # Hansen's pixel, about 28 m
WEST, NORTH = -77.0, -6.5


def box(w: float, s: float, e: float, n: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def pixels(r0: int, c0: int, r1: int, c1: int) -> dict:
    return box(WEST + c0 * PX, NORTH - r1 * PX, WEST + c1 * PX, NORTH - r0 * PX)


def write(path, array: np.ndarray) -> str:
    with rasterio.open(
        path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
        dtype="uint8", crs="EPSG:4326", transform=Affine(PX, 0, WEST, 0, -PX, NORTH),
        tiled=True, blockxsize=256, blockysize=256, compress="deflate",
    ) as out:  # fmt: skip
        out.write(array, 1)
    return str(path)


def test_every_plot_gets_its_planted_status_and_hectares(app, tmp_path, make_producer, make_farm):
    rng = np.random.default_rng(965)
    size, n = 1200, 300
    loss = np.zeros((size, size), dtype="uint8")
    producer = make_producer()
    planted = []
    for i in range(n):
        row, col = divmod(i, 20)
        r0, c0 = row * 60 + 5, col * 60 + 5
        h, w = rng.integers(6, 40, 2)
        lh, lw = max(1, int(h * rng.uniform(0.1, 0.9))), max(1, int(w * rng.uniform(0.1, 0.9)))
        year = int(rng.integers(1, 25))
        loss[r0 : r0 + lh, c0 : c0 + lw] = year
        farm = make_farm(producer, polygon_geojson=pixels(r0, c0, r0 + h, c0 + w))
        loss_ha = geodesic_area_ha(pixels_shape(r0, c0, r0 + lh, c0 + lw))
        share = loss_ha / geodesic_area_ha(pixels_shape(r0, c0, r0 + h, c0 + w))
        planted.append((farm.id, year + 2000, loss_ha, share))
    cover = np.full((size, size), 60, dtype="uint8")
    layers.load_layer(write(tmp_path / "cover.tif", cover), kind="tree_cover_2000")
    layers.import_layer(write(tmp_path / "loss.tif", loss), kind="loss_year")
    db.session.expire_all()
    farms = {f.id: f for f in db.session.scalars(select(Farm))}
    wrong = []
    for farm_id, year, loss_ha, share in planted:
        farm = farms[farm_id]
        if year > 2020 and share > 0.10:
            expected = "at_risk"
        elif year <= 2020 and share > 0.10:
            expected = "free"
        else:
            expected = "needs_verification"
        indicator = "disturbance_after" if year > 2020 else "disturbance_before"
        measured = farm.risk_assessment.indicators[indicator]["ha"]
        if farm.risk_status != expected or abs(measured - loss_ha) > 1e-3 * loss_ha + 1e-4:
            wrong.append((farm_id, year, loss_ha, measured, expected, farm.risk_status))
    assert wrong == []
    statuses = {farm.risk_status for farm in farms.values()}
    assert statuses == {"at_risk", "free", "needs_verification"}  # every branch planted
    assert db.session.scalar(select(ForestArea.id)) is None


def pixels_shape(r0: int, c0: int, r1: int, c1: int):
    from shapely.geometry import shape

    return shape(pixels(r0, c0, r1, c1))


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    raise AssertionError(field)


def test_a_20000_pixel_tile_is_assessed_in_windows_with_bounded_memory(
    app, tmp_path, make_producer, make_farm
):
    size = 20_000  # 400 MB as one uint8 band in memory; a few hundred KB on disk
    path = tmp_path / "tile.tif"
    spots = [(r, c) for r in range(1_000, size, 4_500) for c in range(1_000, size, 4_500)]
    with rasterio.open(
        path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint8",
        crs="EPSG:4326", transform=Affine(PX, 0, WEST, 0, -PX, NORTH),
        tiled=True, blockxsize=512, blockysize=512, compress="deflate", sparse_ok=True,
    ) as out:  # fmt: skip
        for r, c in spots:  # a 40 x 40 pixel loss of 2022 at each spot
            out.write(np.full((40, 40), 22, dtype="uint8"), 1, window=Window(c, r, 40, 40))
    producer = make_producer()
    farms = [make_farm(producer, polygon_geojson=pixels(r, c, r + 40, c + 80)) for r, c in spots]
    baseline = _rss_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:  # reset the peak (VmHWM) to now
        refs.write("5")
    layers.import_layer(path, kind="loss_year")
    peak_growth = _rss_mb("VmHWM") - baseline
    db.session.expire_all()
    for farm in farms:
        farm = db.session.get(Farm, farm.id)
        assert farm.risk_status == "at_risk"
        assert farm.risk_loss_share == pytest.approx(0.5, abs=0.001)
    print(f"\n20000x20000 import + {len(farms)} plots: peak RSS growth {peak_growth:.0f} MB")
    assert peak_growth < 150  # the whole band would be 400 MB
