"""Raster forest layers: the declared content checked block by block, the file kept by sha.

Nothing of a raster goes into the database but its description (path, sha256, bounds, size,
pixel size, CRS, nodata): plots read their own window of the file when they are assessed
(marketplace.forest.zonal). What each content accepts (anything else is refused, naming the
bad values):

- loss_year: 0 (no loss) or 1 .. current year - 2000 (Hansen GFC `lossyear`);
- tree_cover_2000: percent canopy 0 .. 100 (Hansen GFC `treecover2000`);
- forest_2020, commodity: 0 or 1 masks (JRC GFC2020; a plantation/commodity map of 2020);
- alerts: 0 or confidence * 10000 + days since 2014-12-31 (the encoding of GFW's integrated
  and RADD alerts: confidence 2 low, 3 high, 4 highest; the date no later than today).

The check reads the raster block by block (memory bounded by one block whatever the size);
exact band statistics stored in the file (STATISTICS_MINIMUM/MAXIMUM, not approximate) answer
for the range contents without a scan. Overviews are not trusted for values: an averaging
overview makes up values the full raster does not have.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from flask_babel import gettext as _

from marketplace import uploads
from marketplace.errors import DomainError
from marketplace.models.base import local_today
from marketplace.models.traceability import RasterContent

FOLDER = Path("forest_layers")
ALERT_EPOCH = date(2014, 12, 31)  # alert day d is ALERT_EPOCH + d days
ALERT_CONFIDENCES = (2, 3, 4)
MAX_LISTED = 8  # bad values named in a refusal
GDAL_CACHE_MB = 64  # GDAL's block cache (default: 5 % of RAM): the bound on memory per read


@dataclass(frozen=True)
class RasterInfo:
    """What the database keeps of a raster layer."""

    width: int
    height: int
    pixel_deg: float
    nodata: float | None
    bounds: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
    crs: str


def content_label(content: str) -> str:
    """The content's name in the reader's language."""
    return RasterContent(content).label


def expected(content: str, today: date) -> str:
    """What `content` accepts, in words."""
    if content == RasterContent.LOSS_YEAR:
        return _("0 o de 1 a %(last)d (año de pérdida − 2000)", last=today.year - 2000)
    if content == RasterContent.TREE_COVER_2000:
        return _("de 0 a 100 (porcentaje de cobertura)")
    if content == RasterContent.ALERTS:
        return _("0 o confianza × 10000 + días desde el 31-12-2014 (confianza 2, 3 o 4)")
    return _("0 o 1")


def bad_values(content: str, values: np.ndarray, today: date) -> np.ndarray:
    """The elements of `values` that `content` does not accept."""
    v = values.astype("int64")
    if content == RasterContent.LOSS_YEAR:
        ok = (v >= 0) & (v <= today.year - 2000)
    elif content == RasterContent.TREE_COVER_2000:
        ok = (v >= 0) & (v <= 100)
    elif content in (RasterContent.FOREST_2020, RasterContent.COMMODITY):
        ok = (v == 0) | (v == 1)
    else:
        days = v % 10_000
        ok = (v == 0) | (
            np.isin(v // 10_000, ALERT_CONFIDENCES)
            & (days >= 1)
            & (days <= (today - ALERT_EPOCH).days)
        )
    return values[~ok]


def alert_day_of(year: int) -> int:
    """The alert day number of 31 December of `year` (alerts after it are after the year)."""
    return (date(year, 12, 31) - ALERT_EPOCH).days


def inspect(path: Path, content: str, today: date | None = None) -> RasterInfo:
    """Open a GeoTIFF, check its CRS, grid and values for `content`; its description."""
    import rasterio

    today = today or local_today()
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024):
        return _inspect(path, content, today)


def _inspect(path: Path, content: str, today: date) -> RasterInfo:
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        source = rasterio.open(path)
    except RasterioIOError:
        raise DomainError(_("El archivo no es un GeoTIFF válido."), "path") from None
    with source:
        if source.crs is None or source.crs.to_epsg() != 4326:
            raise DomainError(_("La capa debe estar en WGS84 (EPSG:4326)."), "path")
        t = source.transform
        if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
            raise DomainError(_("La capa debe ser una grilla norte-arriba sin rotación."), "path")
        if not np.issubdtype(np.dtype(source.dtypes[0]), np.integer):
            raise DomainError(
                _("La capa de %(kind)s debe tener valores enteros.", kind=content_label(content)),
                "path",
            )
        _check_values(source, content, today)
        left, bottom, right, top = source.bounds
        return RasterInfo(
            width=source.width,
            height=source.height,
            pixel_deg=t.a,
            nodata=source.nodata,
            bounds=(left, bottom, right, top),
            crs="EPSG:4326",
        )


def _check_values(source, content: str, today: date) -> None:
    """Refuse the raster if any pixel (not nodata) holds a value `content` does not accept."""
    tags = source.tags(1)
    if (
        content != RasterContent.ALERTS
        and "STATISTICS_MINIMUM" in tags
        and "STATISTICS_MAXIMUM" in tags
        and tags.get("STATISTICS_APPROXIMATE", "NO").upper() != "YES"
    ):
        extremes = np.array([float(tags["STATISTICS_MINIMUM"]), float(tags["STATISTICS_MAXIMUM"])])
        if len(bad_values(content, extremes, today)) == 0:
            return  # integers between two accepted extremes: all accepted (not so for alerts)
    found: set[int] = set()
    nodata = source.nodata
    for _index, window in source.block_windows(1):
        block = source.read(1, window=window)
        if not block.any():
            continue
        values = np.unique(block)
        if nodata is not None:
            values = values[values != nodata]
        found.update(int(v) for v in bad_values(content, values, today)[:MAX_LISTED])
        if len(found) >= MAX_LISTED:
            break
    if found:
        listed = ", ".join(str(v) for v in sorted(found)[:MAX_LISTED])
        raise DomainError(
            _(
                "La capa declarada como %(kind)s tiene valores no válidos: %(values)s "
                "(se esperan %(expected)s). Revise el tipo declarado o el archivo.",
                kind=content_label(content),
                values=listed,
                expected=expected(content, today),
            ),
            "path",
        )


def store(path: Path, instance_path: Path) -> tuple[str, str]:
    """Copy the file under instance_path/forest_layers/<sha256>.tif (once per content), and
    into the shared file store (MINKA_FILE_STORAGE), whence the other hosts fetch it;
    (relative path, sha256)."""
    sha = sha256_of(path)
    relative = FOLDER / f"{sha}.tif"
    target = instance_path / relative
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = _partial(target)
        shutil.copyfile(path, partial)
        partial.replace(target)
    uploads.store_file(instance_path, relative.as_posix(), target)
    return str(relative), sha


def local_copy(relative: str, sha: str, instance_path: Path) -> Path:
    """The raster's file on this host: when another host imported it, fetched once from the
    shared file store into this instance folder, and used only if its sha256 is the one
    recorded at import."""
    target = instance_path / relative
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(target)
    try:
        try:
            found = uploads.file_store(instance_path).get_file(relative, partial)
        except uploads.StoreUnavailable as error:
            raise RasterUnavailable(
                f"{relative}: the file store did not give it: {error}"
            ) from error
        if not found:
            raise RasterUnavailable(f"{relative}: not in this instance folder nor the file store")
        if sha256_of(partial) != sha:
            raise RasterUnavailable(f"{relative}: the stored copy is not the imported file")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


class RasterUnavailable(OSError):
    """A layer's raster is on no host this one can reach, or its copy is not the one imported:
    an assessment without it would read as free of deforestation, so it stops instead."""

    def __init__(self, message: str, layer: str | None = None) -> None:
        super().__init__(message)
        self.layer = layer  # the layer's name, once known


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _partial(target: Path) -> Path:
    """A name of its own to write `target` under before it is complete (two workers of a
    host may fetch the same raster at once)."""
    return target.with_name(f"{target.stem}.{secrets.token_hex(6)}.part")
