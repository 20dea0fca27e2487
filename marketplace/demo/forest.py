"""The demo world's forest layers: the synthetic vector forest-change layer and, per
landscape, tree cover 2000, a forest-2020 mask and a commodity mask (rasters read by window);
the synthetic legal layers (protected areas, indigenous territories); then every farm is
assessed, which also finds the overlapping plots of different producers.

The layers are built by scripts/build_demo_forest.py and scripts/build_demo_legal.py from the
demo landscapes (see there). Farms are scattered at random around district seats, so some
plots of different producers overlap (the demo's overlap cases, about one farm in twenty-five);
neighbours drawn on top of the demo producer's two plots are moved away first, so that her
journey (a free plot, a plot under forest that needs field evidence) stays as it is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from time import perf_counter

import shapely
import shapely.affinity
from shapely.geometry import shape
from sqlalchemy import func, select, update

from marketplace.demo.commitments import DEMO_PRODUCER_EMAIL
from marketplace.extensions import db
from marketplace.forest import layers, overlaps, risk
from marketplace.forest.geometry import to_geojson
from marketplace.models import Farm, Producer, User
from marketplace.models.traceability import PlotOverlap

DATA = Path(__file__).resolve().parents[1] / "forest/data"
DEMO_LAYER = DATA / "demo_forest.geojson"
DEMO_LAYER_NAME = "Capa demo de pérdida y cobertura de bosque (sintética)"
DEMO_VERSION = "demo-1"
MOVE_DEG = 0.012  # about 1.3 km north: where a neighbour on the demo producer's plot goes
CONTENTS = ("tree_cover_2000", "forest_2020", "commodity")
# the legal layers with the fields their names are read from (as the registries name them)
LEGAL = (
    (
        DATA / "demo_protected_areas.geojson",
        "Áreas naturales protegidas demo (sintéticas)",
        "protected_area",
        layers.LegalFields("NOMBRE", "CATEGORIA", "IUCN_CAT", "DESIG"),
    ),
    (
        DATA / "demo_indigenous_territories.geojson",
        "Territorios indígenas demo (sintéticos)",
        "indigenous_territory",
        layers.LegalFields("NOMBRE", "TIPO"),
    ),
)


def demo_rasters() -> list[tuple[Path, str]]:
    """The shipped demo rasters with their declared content, in a fixed order."""
    found = []
    for path in sorted(DATA.glob("demo_*.tif")):
        content = next(c for c in CONTENTS if path.stem.endswith(c))
        found.append((path, content))
    return found


def build(say: Callable[[str], None]) -> str:
    """Load the demo layers and assess every farm (the caller commits); a summary line.

    It runs before commitments are drawn: pledges follow the farms' assessed clearing."""
    started = perf_counter()
    moved = _clear_demo_producers_plots()
    layer = layers.load_layer(DEMO_LAYER, name=DEMO_LAYER_NAME, kind="vector", version=DEMO_VERSION)
    rasters = demo_rasters()
    for path, content in rasters:
        layers.load_layer(path, name=_name(path, content), kind=content, version=DEMO_VERSION)
    for path, name, kind, fields in LEGAL:
        layers.load_layer(path, name=name, kind=kind, version=DEMO_VERSION, fields=fields)
    counts = risk.assess_all(commit=False)
    figures = ", ".join(f"{status} {n:,}" for status, n in sorted(counts.items()))
    say(
        f"  forest layer {layer.id}, {len(rasters)} rasters and {len(LEGAL)} legal layers "
        f"loaded, farms assessed in "
        f"{perf_counter() - started:.1f} s"
    )
    pairs = db.session.scalar(
        select(func.count(PlotOverlap.id)).where(PlotOverlap.resolved_at.is_(None))
    )
    return (
        f"  deforestation risk of farms: {figures}\n"
        f"  overlapping plots of different producers: {pairs:,} pairs ({moved} neighbours "
        "moved off the demo producer's plots)"
    )


def _clear_demo_producers_plots() -> int:
    """Move the other producers' farms whose plot overlaps the demo producer's north; how
    many moved."""
    own = db.session.execute(
        select(*overlaps.COLUMNS)
        .join(Producer, Producer.id == Farm.producer_id)
        .join(User, User.id == Producer.user_id)
        .where(User.email == DEMO_PRODUCER_EMAIL)
    ).all()
    if not own:
        return 0
    lats, lons = [row.lat for row in own], [row.lon for row in own]
    near = db.session.execute(
        select(*overlaps.COLUMNS).where(
            Farm.producer_id != own[0].producer_id,
            Farm.lat.between(min(lats) - 0.05, max(lats) + 0.05),
            Farm.lon.between(min(lons) - 0.05, max(lons) + 0.05),
        )
    ).all()
    own_ids = {row.id for row in own}
    plots = overlaps.plots_of(own + near)
    tree = shapely.STRtree([p["plot"] for p in plots])
    hits = tree.query([p["plot"] for p in plots if p["id"] in own_ids], predicate="intersects")
    moving = {plots[j]["id"] for j in hits[1].tolist()} - own_ids
    rows = [_moved(row) for row in near if row.id in moving]
    if rows:
        db.session.execute(update(Farm), rows)
    return len(rows)


def _moved(row) -> dict:
    values = {"id": row.id, "lat": round(row.lat + MOVE_DEG, 6)}
    if row.polygon_geojson:
        shifted = shapely.affinity.translate(shape(row.polygon_geojson), yoff=MOVE_DEG)
        values["polygon_geojson"] = to_geojson(shifted)
    return values


def _name(path: Path, content: str) -> str:
    landscape = path.stem.removeprefix("demo_").removesuffix(f"_{content}")[3:]
    label = {"tree_cover_2000": "Cobertura arbórea 2000", "forest_2020": "Bosque 2020"}
    return f"{label.get(content, 'Cultivos 2020')} · {landscape} (sintética)"
