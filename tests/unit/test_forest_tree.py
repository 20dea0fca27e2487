"""The pure parts of the forest assessment: pixel areas, each content's accepted values, the
pixel rules and the decision tree, with planted answers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from affine import Affine
from shapely.geometry import Point, box

from marketplace.forest import zonal
from marketplace.forest.geometry import geodesic_area_ha
from marketplace.forest.rasters import alert_day_of, bad_values
from marketplace.forest.tree import Settings, counts, decide
from marketplace.forest.zonal import Measure, _pixels, row_areas_ha

TODAY = date(2026, 12, 7)
SETTINGS = Settings()


@pytest.mark.parametrize("top", [0.0, -7.0, 45.0, 70.0])
def test_pixel_areas_on_the_ellipsoid_match_the_geodesic_area(top):
    px = 0.00025
    rows = 400  # a 0.1 degree band
    band_ha = row_areas_ha(top, px, rows, px).sum() * 400  # 400 columns
    expected = geodesic_area_ha(box(-76.0, top - rows * px, -76.0 + 400 * px, top))
    assert band_ha == pytest.approx(expected, rel=1e-6)


def test_a_hansen_pixel_at_the_equator_is_about_0_077_ha():
    assert row_areas_ha(0.00025, 0.00025, 1, 0.00025)[0] == pytest.approx(0.0769, abs=0.0002)


@pytest.mark.parametrize(
    ("content", "values", "bad"),
    [
        ("loss_year", [0, 1, 24, 26, 27, 100], [27, 100]),
        ("tree_cover_2000", [0, 10, 100, 101, 255], [101, 255]),
        ("forest_2020", [0, 1, 2], [2]),
        ("commodity", [0, 1, 255], [255]),
        # confidence 2-4 and a day from 1 to today (34400: January 2027); 0 is no alert
        (
            "alerts",
            [0, 20001, 32000, 43000, 12000, 52000, 30000, 34300, 34400],
            [12000, 52000, 30000, 34400],
        ),
    ],
)
def test_each_content_accepts_only_its_values(content, values, bad):
    assert bad_values(content, np.array(values), TODAY).tolist() == bad


def test_an_alert_dated_after_today_is_refused():
    tomorrow = (TODAY - date(2014, 12, 31)).days + 1
    assert bad_values("alerts", np.array([20_000 + tomorrow]), TODAY).tolist() == [
        20_000 + tomorrow
    ]
    assert alert_day_of(2020) == (date(2020, 12, 31) - date(2014, 12, 31)).days


def test_loss_on_a_plantation_is_not_deforestation():
    values = {
        "loss_year": np.array([[22, 22], [0, 15]]),
        "forest_2020": np.array([[1, 1], [1, 0]]),
        "commodity": np.array([[1, 0], [0, 0]]),
    }
    masks = _pixels(values, 2020, 10)
    assert masks["disturbance_after"].tolist() == [[False, True], [False, False]]
    assert masks["disturbance_before"].tolist() == [[False, False], [False, True]]


def test_forest_in_2020_from_tree_cover_excludes_loss_before_and_low_cover():
    values = {"tree_cover_2000": np.array([[80, 80, 5]]), "loss_year": np.array([[0, 12, 0]])}
    masks = _pixels(values, 2020, 10)
    assert masks["forest_2020"].tolist() == [[True, False, False]]


def test_without_a_forest_layer_trees_lost_after_the_cutoff_stood_at_the_cutoff():
    masks = _pixels({"loss_year": np.array([[21, 3, 0]])}, 2020, 10)
    assert masks["forest_2020"].tolist() == [[True, False, False]]
    assert masks["disturbance_after"].tolist() == [[True, False, False]]


def m(share: float, year: int | None = None) -> Measure:
    return Measure(ha=share * 10, share=share, year=year)


@pytest.mark.parametrize(
    ("indicators", "status", "code"),
    [
        ({"disturbance_after": m(0.18, 2022), "forest_2020": m(1.0)}, "at_risk", "loss_after"),
        ({"forest_2020": m(0.05)}, "free", "no_forest"),
        ({}, "free", "no_forest"),
        ({"forest_2020": m(0.9), "commodity": m(0.5)}, "free", "commodity"),
        ({"forest_2020": m(0.7), "disturbance_before": m(0.3, 2015)}, "free", "loss_before"),
        ({"forest_2020": m(0.7)}, "needs_verification", "forest"),
        # after-cut-off clearing is not excused by earlier clearing elsewhere on the plot
        (
            {"forest_2020": m(0.7), "disturbance_before": m(0.3), "disturbance_after": m(0.4)},
            "at_risk",
            "loss_after",
        ),
    ],
)
def test_each_branch_of_the_tree(indicators, status, code):
    decision = decide(indicators, point=False, verified=False, settings=SETTINGS)
    assert (decision.status.value, decision.reason["code"]) == (status, code)


def test_the_reason_carries_the_figures():
    loss = Measure(ha=1.8, share=0.18, year=2022)
    decision = decide({"disturbance_after": loss}, False, False, SETTINGS)
    assert decision.reason == {
        "code": "loss_after",
        "cutoff": 2020,
        "ha": 1.8,
        "share": 0.18,
        "year": 2022,
    }


def test_verified_field_evidence_answers_forest_but_not_loss():
    assert decide({"forest_2020": m(0.7)}, False, True, SETTINGS).status.value == "verified"
    after = {"forest_2020": m(0.7), "disturbance_after": m(0.2)}
    assert decide(after, False, True, SETTINGS).status.value == "at_risk"


def test_ten_percent_exactly_does_not_count_for_a_polygon_but_any_pixel_does_for_a_point():
    assert not counts(m(0.10), point=False, settings=SETTINGS)
    assert counts(m(0.1001), point=False, settings=SETTINGS)
    assert counts(Measure(ha=0.08, share=0.01), point=True, settings=SETTINGS)
    assert not counts(Measure(ha=0.0, share=0.0), point=True, settings=SETTINGS)
    assert counts(m(0.06), point=False, settings=Settings(indicator_share=0.05))


@pytest.mark.parametrize(
    "plot",
    [
        Point(0.0015, -0.0015).buffer(0.0013, 16),
        Point(0.0015, -0.0015).buffer(0.0013, 16).difference(Point(0.0015, -0.0015).buffer(5e-4)),
        box(0.0001, -0.001, 0.001, -0.0001).union(box(0.002, -0.003, 0.003, -0.002)),
    ],
    ids=["circle", "ring with a hole", "two parts"],
)
def test_the_scanline_coverage_matches_gdal_rasterisation(plot):
    from rasterio.features import geometry_mask

    transform = Affine(0.00025, 0, 0, 0, -0.00025, 0)
    k = zonal.SUPERSAMPLE
    fine = geometry_mask(
        [plot], out_shape=(13 * k, 13 * k), transform=transform @ Affine.scale(1 / k), invert=True
    )
    expected = fine.reshape(13, k, 13, k).mean(axis=(1, 3))
    assert np.array_equal(zonal._coverage(plot, transform, 13, 13), expected)
