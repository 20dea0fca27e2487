"""Zonal statistics of one plot over raster layers, reading only the plot's window.

The plot's window is cut from the finest covering raster (the grid); every other raster is
read for the same bounds resampled to that grid (nearest), so the contents combine pixel by
pixel. Each pixel weighs its area on the WGS84 ellipsoid (exact for a cell between two
latitudes) times the share of it inside the plot (the share of its SUPERSAMPLE x SUPERSAMPLE
sub-pixel centres inside the plot's rings), so hectares do not depend on where the grid cuts
the outline.

Per pixel (cut-off year C, tree-cover threshold T):
- forest in C: the forest-2020 mask says 1, or tree cover 2000 >= T with no loss up to C;
  without either layer, loss after C is itself evidence that trees stood at C;
- commodity: the commodity mask says 1;
- disturbance before C: loss in 2001..C (on tree cover >= T when tree cover is known), or an
  alert dated on or before 31 Dec C;
- disturbance after C: loss after C or an alert after 31 Dec C, on forest in C that the
  commodity mask does not claim (replanting a plantation is not deforestation).
Nothing here touches the database: the caller passes open datasets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from shapely.geometry.base import BaseGeometry

from marketplace.forest.rasters import alert_day_of
from marketplace.models.traceability import RasterContent

SUPERSAMPLE = 8
MAX_SCAN = 2_000_000  # sub-pixel rows x edges above which GDAL rasterises the plot
MAX_SUBPIXELS = 4_000_000  # a very large plot is rasterised more coarsely, never unbounded
WGS84_A = 6_378_137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
WGS84_E = math.sqrt(WGS84_E2)


@dataclass(frozen=True)
class Source:
    """An open raster layer: its id, what it holds and the rasterio dataset."""

    layer_id: int
    content: str
    dataset: object


@dataclass(frozen=True)
class Measure:
    """Hectares of one indicator inside the plot, its share of the plot, and a year."""

    ha: float
    share: float
    year: int | None = None


def _q(lat_deg: np.ndarray) -> np.ndarray:
    """The authalic-latitude term of the ellipsoidal area between a latitude and the equator."""
    s = np.sin(np.radians(lat_deg))
    return s / (1 - WGS84_E2 * s * s) + np.log((1 + WGS84_E * s) / (1 - WGS84_E * s)) / (
        2 * WGS84_E
    )


def row_areas_ha(top: float, pixel_h: float, rows: int, pixel_w: float) -> np.ndarray:
    """Area (ha) of one pixel in each of `rows` rows from latitude `top` down."""
    edges = top - pixel_h * np.arange(rows + 1)
    band = np.abs(_q(edges[:-1]) - _q(edges[1:]))
    return WGS84_A**2 * (1 - WGS84_E2) / 2 * math.radians(pixel_w) * band / 10_000


def _grid(plot: BaseGeometry, dataset) -> tuple[Affine, int, int] | None:
    """The plot's window on `dataset`'s grid: transform, height, width (None if outside)."""
    t = dataset.transform
    x0, y0, x1, y1 = plot.bounds
    col0 = max(0, math.floor((x0 - t.c) / t.a))
    col1 = min(dataset.width, math.ceil((x1 - t.c) / t.a))
    row0 = max(0, math.floor((t.f - y1) / -t.e))
    row1 = min(dataset.height, math.ceil((t.f - y0) / -t.e))
    if col1 <= col0 or row1 <= row0:
        return None
    return Affine(t.a, 0, t.c + col0 * t.a, 0, t.e, t.f + row0 * t.e), row1 - row0, col1 - col0


def _coverage(plot: BaseGeometry, transform: Affine, height: int, width: int) -> np.ndarray:
    """The share of each pixel inside the plot (sub-pixel centres inside its rings)."""
    k = SUPERSAMPLE
    while k > 1 and height * width * k * k > MAX_SUBPIXELS:
        k //= 2
    edges = _edges(plot)
    if edges is not None and height * k * len(edges[0]) <= MAX_SCAN:
        inside = _scanline(edges, transform, height * k, width * k, k)
    else:
        from rasterio.features import geometry_mask

        fine = transform @ Affine.scale(1 / k)
        shape = (height * k, width * k)
        inside = geometry_mask([plot], out_shape=shape, transform=fine, invert=True)
    return inside.reshape(height, k, width, k).mean(axis=(1, 3))


def _edges(plot: BaseGeometry) -> tuple[np.ndarray, ...] | None:
    """x1, y1, x2, y2 of every edge of the plot's rings (None: no polygon in it)."""
    parts = [g for g in shapely.get_parts(plot) if g.geom_type == "Polygon"]
    if not parts:
        return None
    rings = shapely.get_rings(parts)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_of[:-1] == ring_of[1:]
    start, end = coords[:-1][same_ring], coords[1:][same_ring]
    return start[:, 0], start[:, 1], end[:, 0], end[:, 1]


def _scanline(edges: tuple, transform: Affine, rows: int, cols: int, k: int) -> np.ndarray:
    """Which sub-pixel centres lie inside the rings (even-odd rule), row by row at once."""
    x1, y1, x2, y2 = edges
    ys = transform.f + transform.e * (np.arange(rows) + 0.5) / k
    xs = transform.c + transform.a * (np.arange(cols) + 0.5) / k
    y = ys[:, None]
    crosses = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    at = np.where(crosses, at, np.inf)
    depth = int(crosses.sum(axis=1).max()) if crosses.size else 0
    if depth == 0:
        return np.zeros((rows, cols), dtype=bool)
    at = np.sort(at, axis=1)[:, :depth]
    return (at[:, :, None] <= xs[None, None, :]).sum(axis=1) % 2 == 1


def _read(source: Source, transform: Affine, height: int, width: int) -> np.ndarray:
    """`source`'s values over the grid window, resampled to it (nearest); 0 for nodata."""
    from rasterio.enums import Resampling
    from rasterio.windows import Window

    dataset = source.dataset
    t = dataset.transform
    col = (transform.c - t.c) / t.a
    row = (transform.f - t.f) / t.e
    cols = width * transform.a / t.a
    rows = height * transform.e / t.e
    if abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6:
        col, row = round(col), round(row)
    if abs(cols - round(cols)) < 1e-6 and abs(rows - round(rows)) < 1e-6:
        cols, rows = round(cols), round(rows)
    window = Window(col, row, cols, rows)
    values = dataset.read(
        1,
        window=window,
        out_shape=(height, width),
        resampling=Resampling.nearest,
        boundless=_outside(window, dataset),
        fill_value=0,
    )
    if dataset.nodata is not None:
        values[values == dataset.nodata] = 0
    return values.astype("int64", copy=False)


def _outside(window, dataset) -> bool:
    eps = 1e-6
    return (
        window.col_off < -eps
        or window.row_off < -eps
        or window.col_off + window.width > dataset.width + eps
        or window.row_off + window.height > dataset.height + eps
    )


def measure(
    plot: BaseGeometry, sources: list[Source], cutoff_year: int, tree_cover_pct: float
) -> dict[str, Measure]:
    """The plot's indicators over `sources` (one per content at most); {} if none reaches."""
    if not sources:
        return {}
    grid_source = min(sources, key=lambda s: s.dataset.transform.a)
    grid = _grid(plot, grid_source.dataset)
    if grid is None:
        return {}
    transform, height, width = grid
    weights = _coverage(plot, transform, height, width)
    weights *= row_areas_ha(transform.f, -transform.e, height, transform.a)[:, None]
    plot_ha = float(weights.sum())
    if plot_ha <= 0:
        return {}
    values = {s.content: _read(s, transform, height, width) for s in sources}
    masks = _pixels(values, cutoff_year, tree_cover_pct)

    def of(mask: np.ndarray | None, years: np.ndarray | None = None) -> Measure | None:
        if mask is None:
            return None
        ha = float(weights[mask].sum())
        return Measure(round(ha, 4), round(ha / plot_ha, 4), _main_year(weights, mask, years))

    loss = values.get(RasterContent.LOSS_YEAR)
    years = np.where(loss > 0, loss + 2000, 0) if loss is not None else None
    if years is None and RasterContent.ALERTS in values:
        years = _alert_years(values[RasterContent.ALERTS])
    found = {
        "forest_2020": of(masks["forest_2020"]),
        "commodity": of(masks["commodity"]),
        "disturbance_before": of(masks["disturbance_before"], years),
        "disturbance_after": of(masks["disturbance_after"], years),
    }
    found = {name: m for name, m in found.items() if m is not None}
    found["plot"] = Measure(round(plot_ha, 4), 1.0)
    return found


def _pixels(values: dict[str, np.ndarray], cutoff: int, tree_cover_pct: float) -> dict:
    """The boolean pixel masks of each indicator (None: no layer says anything about it)."""
    loss = values.get(RasterContent.LOSS_YEAR)
    cover = values.get(RasterContent.TREE_COVER_2000)
    forest = values.get(RasterContent.FOREST_2020)
    commodity = values.get(RasterContent.COMMODITY)
    alerts = values.get(RasterContent.ALERTS)
    treed = cover >= tree_cover_pct if cover is not None else None
    lost_before = lost_after = None
    if loss is not None:
        lost_before = (loss >= 1) & (loss <= cutoff - 2000)
        lost_after = loss > cutoff - 2000
        if treed is not None:
            lost_before &= treed
            lost_after &= treed
    alert_before = alert_after = None
    if alerts is not None:
        day = alerts % 10_000
        alert_before = (alerts > 0) & (day <= alert_day_of(cutoff))
        alert_after = (alerts > 0) & (day > alert_day_of(cutoff))
    before = _any(lost_before, alert_before)
    after = _any(lost_after, alert_after)
    forest_2020 = _any(
        forest == 1 if forest is not None else None,
        treed & ~lost_before if treed is not None and lost_before is not None else treed,
    )
    if forest_2020 is None and after is not None:
        forest_2020 = after  # trees lost after the cut-off stood at the cut-off
    claimed = commodity == 1 if commodity is not None else None
    if after is not None:
        if forest_2020 is not None:
            after = after & forest_2020
        if claimed is not None:
            after = after & ~claimed
    return {
        "forest_2020": forest_2020,
        "commodity": claimed,
        "disturbance_before": before,
        "disturbance_after": after,
    }


def _any(*masks: np.ndarray | None) -> np.ndarray | None:
    present = [m for m in masks if m is not None]
    if not present:
        return None
    out = present[0].copy()
    for mask in present[1:]:
        out |= mask
    return out


def _alert_years(alerts: np.ndarray) -> np.ndarray:
    """The calendar year of each alert pixel (0 where none)."""
    days = (alerts % 10_000).astype("timedelta64[D]")
    when = np.datetime64("2014-12-31") + days
    years = when.astype("datetime64[Y]").astype(int) + 1970
    return np.where(alerts > 0, years, 0)


def _main_year(weights: np.ndarray, mask: np.ndarray, years: np.ndarray | None) -> int | None:
    """The year holding the most hectares of `mask` (for the reason's wording)."""
    if years is None or not mask.any():
        return None
    chosen = years[mask]
    w = weights[mask]
    valid = chosen > 0
    if not valid.any():
        return None
    totals = np.bincount(chosen[valid] - 2000, weights=w[valid])
    return int(np.argmax(totals)) + 2000
