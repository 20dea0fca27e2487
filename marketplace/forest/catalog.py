"""The active forest layers an assessment reads: vector extents and open raster files.

A vector layer (forest or legal) reaches a plot when the box of its areas meets the plot's; a
raster layer when
its bounds contain the plot's. Of several rasters of one content containing a plot (tiles that
overlap, or a newer version of a product), the most recently imported one is read.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.forest import rasters
from marketplace.forest.rasters import GDAL_CACHE_MB
from marketplace.forest.zonal import Source
from marketplace.models.traceability import ForestArea, ForestLayer, LayerKind, LegalArea


@dataclass(frozen=True)
class LayerRef:
    """An active layer's provenance, what it holds and where it reaches."""

    id: int
    content: str | None  # RasterContent, LegalKind for a legal layer, None for a vector layer
    path: str | None
    bounds: tuple[float, float, float, float]
    provenance: dict
    sha256: str | None = None  # a raster's file, checked when fetched from the file store


def _meets(plot: BaseGeometry, e: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = plot.bounds
    return e[0] <= x1 and e[1] <= y1 and x0 <= e[2] and y0 <= e[3]


def _contains(bounds: tuple[float, ...], e: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = bounds
    return e[0] <= x0 and e[1] <= y0 and x1 <= e[2] and y1 <= e[3]


def _boxes(model: type[ForestArea] | type[LegalArea]) -> dict[int, tuple[float, ...]]:
    """Each layer's box around its areas."""
    rows = db.session.execute(
        select(
            model.layer_id,
            func.min(model.min_lon),
            func.min(model.min_lat),
            func.max(model.max_lon),
            func.max(model.max_lat),
        ).group_by(model.layer_id)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


class Layers:
    """The active layers, with raster files opened on first use and closed on exit."""

    def __init__(self) -> None:
        self.vectors: list[LayerRef] = []
        self.rasters: list[LayerRef] = []
        self.legal: list[LayerRef] = []
        self._open: dict[int, object] = {}
        self._stack = ExitStack()
        self._instance = Path(current_app.config["MINKA_INSTANCE_PATH"])
        boxes = _boxes(ForestArea)
        legal_boxes = _boxes(LegalArea)
        layers = db.session.scalars(
            select(ForestLayer).where(ForestLayer.active.is_(True)).order_by(ForestLayer.id)
        )
        for layer in layers:
            if layer.kind == LayerKind.LEGAL:
                if layer.id in legal_boxes:
                    self.legal.append(
                        LayerRef(
                            layer.id, layer.content, None, legal_boxes[layer.id],
                            layer.provenance(),
                        )
                    )  # fmt: skip
            elif layer.content:
                bounds = (layer.min_lon, layer.min_lat, layer.max_lon, layer.max_lat)
                self.rasters.append(
                    LayerRef(
                        layer.id, layer.content, layer.path, bounds, layer.provenance(),
                        layer.sha256,
                    )
                )  # fmt: skip
            elif layer.id in boxes:
                self.vectors.append(
                    LayerRef(layer.id, None, None, boxes[layer.id], layer.provenance())
                )

    def __enter__(self) -> Layers:
        import rasterio

        self._stack.enter_context(rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def vectors_reaching(self, plot: BaseGeometry) -> list[LayerRef]:
        """The vector layers whose areas' box meets the plot."""
        return [ref for ref in self.vectors if _meets(plot, ref.bounds)]

    def legal_reaching(self, plot: BaseGeometry) -> list[LayerRef]:
        """The legal layers (protected areas, indigenous territories) whose box meets the plot."""
        return [ref for ref in self.legal if _meets(plot, ref.bounds)]

    def rasters_for(self, plot: BaseGeometry) -> list[LayerRef]:
        """Per content, the newest raster layer whose bounds contain the plot."""
        chosen: dict[str, LayerRef] = {}
        bounds = plot.bounds
        for ref in self.rasters:  # by id: a later import replaces an earlier one
            if _contains(bounds, ref.bounds):
                chosen[ref.content] = ref
        return list(chosen.values())

    def sources(self, refs: list[LayerRef]) -> list[Source]:
        """Open (once) the files of `refs`."""
        import rasterio

        out = []
        for ref in refs:
            if ref.id not in self._open:
                try:
                    path = rasters.local_copy(ref.path, ref.sha256, self._instance)
                except rasters.RasterUnavailable as error:
                    name = ref.provenance["name"]
                    raise rasters.RasterUnavailable(str(error), layer=name) from error
                self._open[ref.id] = self._stack.enter_context(rasterio.open(path))
            out.append(Source(ref.id, ref.content, self._open[ref.id]))
        return out
