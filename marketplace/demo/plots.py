"""Demo farms' outlines: their geodesic area and how they were given (the polygons come from
demo.farms); the same measure the plot page stores when a technician draws or walks one."""

from __future__ import annotations

from collections.abc import Callable

from shapely.geometry import shape
from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.forest.geometry import geodesic_area_ha
from marketplace.models import Farm

BATCH = 5_000


def build(say: Callable[[str], None]) -> dict[str, int]:
    """Fill polygon_area_ha, polygon_source (and a walked one's accuracy) for demo farms
    with an outline."""
    query = (
        select(Farm.id, Farm.polygon_geojson)
        .where(Farm.polygon_geojson.is_not(None), Farm.polygon_area_ha.is_(None))
        .order_by(Farm.id)
    )
    rows, measured = [], 0
    for farm_id, outline in db.session.execute(query).all():
        area = round(geodesic_area_ha(shape(outline)), 4)
        rows.append({"id": farm_id, "polygon_area_ha": area, **_how_given(farm_id)})
        if len(rows) == BATCH:
            measured += _write(rows)
    measured += _write(rows)
    say(f"  {measured:,} farm outlines measured")
    return {"outlines": measured}


def _how_given(farm_id: int) -> dict:
    """One outline in three was walked with the technician's phone ("Caminar el contorno"),
    its corners' mean accuracy 4-13 m (a phone's GPS under cacao or coffee shade); the rest
    were drawn on the map."""
    if farm_id % 3:
        return {"polygon_source": "drawn", "polygon_accuracy_m": None}
    return {"polygon_source": "walked", "polygon_accuracy_m": 4 + (farm_id * 37 % 90) / 10}


def _write(rows: list[dict]) -> int:
    if rows:
        db.session.execute(update(Farm), rows)
    count = len(rows)
    rows.clear()
    return count
