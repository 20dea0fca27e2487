"""The calibration plot's geometry: probability 0 at the bottom left, 1 at the top right."""

from __future__ import annotations

from marketplace.charts import calibration


def test_points_sit_where_their_figures_say():
    bins = [
        {"predicted": 0.0, "observed": 0.0, "n": 4},
        {"predicted": 1.0, "observed": 1.0, "n": 16},
        {"predicted": 0.5, "observed": 0.25, "n": 16},
    ]
    low, high, mid = calibration(bins, size=240, pad=40)
    assert (low.x, low.y) == (40, 200)  # bottom left corner of the plot
    assert (high.x, high.y) == (200, 40)  # top right
    assert (mid.x, mid.y) == (120, 160)  # under the diagonal: fewer repaid than estimated
    assert low.r < high.r == mid.r  # the dot's area grows with its count
    assert calibration([]) == []
