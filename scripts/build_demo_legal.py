"""Write the demo's synthetic legal layers under marketplace/forest/data/: protected areas
(demo_protected_areas.geojson) and indigenous territories (demo_indigenous_territories.geojson).

Deterministic (fixed seed) and drawn from the demo landscapes only, like
build_demo_forest.py: around the last district seat of each landscape, where demo farms are
scattered, one protected area (1,000-2,500 ha) and one indigenous territory (500-1,500 ha)
sit at the edge of the farms' scatter, so a few farms fall in them or on their edge (inside:
needs verification; on the edge by a sliver: shown as information). The names say they are
synthetic; the categories follow each country's registry: SINANPE in Peru (Parque Nacional,
Bosque de Protección, Reserva Comunal; comunidades nativas), RUNAP in Colombia (Parque
Nacional Natural, Distrito de Manejo Integrado; resguardos indígenas), CONANP in Mexico
(Reserva de la Biosfera, Área de Protección de Flora y Fauna; tierras de núcleos agrarios
indígenas), with the WDPA's IUCN category. No area covers the demo producer's farms, whose
journey (a free plot, a plot under forest) the demo keeps as it is; one territory west of her
outlined plot, Chacra El Cacaotal, cuts SLIVER_SHARE of it - digitising noise, shown on her
plot's page as information without changing its status.

The properties are named as the registries name them, which the demo declares on import:
protected areas NOMBRE, CATEGORIA, IUCN_CAT, DESIG; territories NOMBRE, TIPO.

    python scripts/build_demo_legal.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from marketplace import gazetteer
from marketplace.demo.farms import KM_PER_DEGREE, MAX_JITTER_KM, polygons
from marketplace.demo.landscapes import LANDSCAPES
from marketplace.demo.population import DEMO_FARMS

SEED = 2027
DATA = Path(__file__).resolve().parents[1] / "marketplace/forest/data"
PROTECTED = DATA / "demo_protected_areas.geojson"
TERRITORIES = DATA / "demo_indigenous_territories.geojson"
KEEP_CLEAR_KM = 1.5  # around the demo producer's farms
SLIVER_SHARE = 0.004  # of Chacra El Cacaotal, under the 1 % tolerance

# per country: (category, IUCN category, designation) of protected areas; territory types
PROTECTED_KINDS = {
    "PE": [
        ("Parque Nacional", "II", "SINANPE"),
        ("Bosque de Protección", "VI", "SINANPE"),
        ("Reserva Comunal", "VI", "SINANPE"),
    ],
    "CO": [
        ("Parque Nacional Natural", "II", "RUNAP"),
        ("Distrito de Manejo Integrado", "VI", "RUNAP"),
    ],
    "MX": [
        ("Reserva de la Biosfera", "VI", "CONANP"),
        ("Área de Protección de Flora y Fauna", "VI", "CONANP"),
    ],
}
TERRITORY_KINDS = {
    "PE": "Comunidad nativa titulada",
    "CO": "Resguardo indígena",
    "MX": "Núcleo agrario indígena",
}
TERRITORY_PREFIX = {"PE": "Comunidad Nativa", "CO": "Resguardo", "MX": "Tierras indígenas de"}


def _shape(rng: np.random.Generator, lat: float, lon: float, hectares: float) -> dict:
    """A six-sided polygon of about `hectares` at the edge of the farms around a seat."""
    radius_km = MAX_JITTER_KM * rng.uniform(0.55, 0.85)
    angle = rng.random() * 2 * math.pi
    lat += radius_km * math.cos(angle) / KM_PER_DEGREE
    lon += radius_km * math.sin(angle) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return polygons(
        np.array([lat]), np.array([lon]), np.array([hectares]),
        rng.uniform(0.7, 1.3, (1, 6)), np.array([rng.random() * math.pi]),
    )[0]  # fmt: skip


def _clear_of_demo_farms(geometry: dict) -> bool:
    keep = KEEP_CLEAR_KM / KM_PER_DEGREE
    return not any(
        shape(geometry).intersects(shapely.Point(f["lon"], f["lat"]).buffer(keep))
        for f in DEMO_FARMS
    )


def demo_sliver() -> dict:
    """A territory of about 0.02° x 0.02° west of Chacra El Cacaotal, its east edge cutting
    SLIVER_SHARE of the plot (the plot's outline as demo.population draws it)."""
    farm = DEMO_FARMS[0]
    plot = shape(
        polygons(
            np.array([farm["lat"]]), np.array([farm["lon"]]), np.array([6.5]),
            np.array([[1.0, 1.1, 0.9, 1.0, 1.05, 0.95]]), np.array([0.3]),
        )[0]
    )  # fmt: skip
    west, south, _east, north = plot.bounds
    low, high = west, (west + _east) / 2
    for _ in range(60):  # the edge where the cut is SLIVER_SHARE of the plot's area
        edge = (low + high) / 2
        cut = plot.intersection(shapely.box(west - 1, south - 1, edge, north + 1)).area
        low, high = (edge, high) if cut < SLIVER_SHARE * plot.area else (low, edge)
    edge = round(high, 6)
    centre = (south + north) / 2
    ring = [[edge - 0.02, centre - 0.01], [edge, centre - 0.01], [edge, centre + 0.01],
            [edge - 0.02, centre + 0.01], [edge - 0.02, centre - 0.01]]  # fmt: skip
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "NOMBRE": "Comunidad Nativa Tres Unidos (sintética)",
            "TIPO": TERRITORY_KINDS["PE"],
        },
    }


def build() -> tuple[dict, dict]:
    """The two FeatureCollections, the same on every run."""
    rng = np.random.default_rng(SEED)
    protected, territories = [], []
    for number, landscape in enumerate(LANDSCAPES):
        seat = gazetteer.get_district(landscape.country, landscape.districts[-1])
        place = landscape.name.split(" (")[0]
        category, iucn, designation = PROTECTED_KINDS[landscape.country][
            number % len(PROTECTED_KINDS[landscape.country])
        ]
        for collection, hectares, properties in (
            (
                protected,
                rng.uniform(1000, 2500),
                {
                    "NOMBRE": f"{category} {place} (sintética)",
                    "CATEGORIA": category,
                    "IUCN_CAT": iucn,
                    "DESIG": designation,
                },
            ),
            (
                territories,
                rng.uniform(500, 1500),
                {
                    "NOMBRE": f"{TERRITORY_PREFIX[landscape.country]} {seat.name} (sintética)",
                    "TIPO": TERRITORY_KINDS[landscape.country],
                },
            ),
        ):
            geometry = _shape(rng, seat.lat, seat.lon, hectares)
            while not _clear_of_demo_farms(geometry):
                geometry = _shape(rng, seat.lat, seat.lon, hectares)
            collection.append({"type": "Feature", "geometry": geometry, "properties": properties})
    territories.append(demo_sliver())
    return (
        {"type": "FeatureCollection", "name": "Minka demo protected areas (synthetic)",
         "features": protected},
        {"type": "FeatureCollection", "name": "Minka demo indigenous territories (synthetic)",
         "features": territories},
    )  # fmt: skip


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for path, collection in zip((PROTECTED, TERRITORIES), build(), strict=True):
        path.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"{len(collection['features'])} features -> {path}")


if __name__ == "__main__":
    main()
