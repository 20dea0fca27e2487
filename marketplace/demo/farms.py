"""Farm attributes of the demo world, drawn for all farms at once with numpy.

The distributions follow what field programmes report for smallholders in the Andean
Amazon, southern Mexico and southern Colombia: most plots are small (about 40 % under two
productive hectares, a long tail clipped at 30 ha), cacao yields 300–1,500 kg/ha of dry bean
(mean near 700), coffee 400–1,500 kg/ha of parchment, agroforestry common in cacao and coffee.
"""

from __future__ import annotations

import math

import numpy as np

from marketplace.demo.names import FARM_NAMES, FARM_PREFIXES
from marketplace.models.producers import SECURE_TENURE

MAX_PRODUCTIVE_HA = 30.0
# log-normal producer area: P(area < 2 ha) ≈ 0.40, median ≈ 2.5 ha.
AREA_SIGMA = 0.85
AREA_MU = math.log(2.0) + 0.2533 * AREA_SIGMA
MAX_JITTER_KM = 8.0
# The most farms the MAX_JITTER_KM around one seat hold (the busiest district of the
# 100,000-producer world: 6,845); a busier one spreads wider, at the same density - at a
# million producers its farms would otherwise cover its land ten times over.
FARMS_PER_SEAT_AREA = 7000
KM_PER_DEGREE = 111.32
POLYGON_SHARE = 0.35  # farms a technician has walked with a GPS
CERTIFIED_MEMBER_SHARE = 0.55  # of a certified cooperative's members in that chain
# Tenure documents by country (shares of farms). Peru: titles registered in SUNARP and
# certificados de posesión (the possessor's step before the title); Mexico: most smallholder
# coffee and cacao land in Chiapas and Oaxaca is ejido or comunidad land, held with a
# certificado parcelario or de derechos agrarios (RAN); Colombia: informal tenure is
# widespread (about half of rural properties lack a registered title, UPRA).
TENURE_SHARES: dict[str, dict[str, float]] = {
    "PE": {"title": 0.38, "possession": 0.22, "tenant": 0.07, "none": 0.33},
    "MX": {"title": 0.15, "parcel_certificate": 0.45, "agrarian_rights": 0.15, "tenant": 0.07,
           "none": 0.18},
    "CO": {"title": 0.48, "tenant": 0.12, "none": 0.40},
}  # fmt: skip


def producer_areas(rng: np.random.Generator, n: int, scale: np.ndarray | float = 1.0) -> np.ndarray:
    """Total productive hectares per producer (log-normal times `scale`, clipped to
    0.25–30 ha)."""
    areas = rng.lognormal(AREA_MU, AREA_SIGMA, n) * scale
    return np.clip(areas, 0.25, MAX_PRODUCTIVE_HA)


def jitter(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered up to MAX_JITTER_KM around district seats (denser near the seat),
    wider around a seat of more than FARMS_PER_SEAT_AREA points."""
    n = len(lat)
    _seats, seat, count = np.unique(
        np.column_stack([lat, lon]), axis=0, return_inverse=True, return_counts=True
    )
    widest = MAX_JITTER_KM * np.sqrt(np.maximum(1.0, count[seat.ravel()] / FARMS_PER_SEAT_AREA))
    radius = 0.5 + (widest - 0.5) * rng.random(n) ** 0.7
    angle = rng.random(n) * 2 * np.pi
    dlat = radius * np.cos(angle) / KM_PER_DEGREE
    dlon = radius * np.sin(angle) / (KM_PER_DEGREE * np.cos(np.radians(lat)))
    return np.round(lat + dlat, 6), np.round(lon + dlon, 6)


def _yields(rng: np.random.Generator, chain: np.ndarray, age: np.ndarray) -> list[float | None]:
    """kg/ha: dry cacao bean, coffee parchment, honey; None where a yield means nothing."""
    n = len(chain)
    out = np.full(n, np.nan)
    old = age > 22
    cacao = chain == "cacao"
    raw = rng.lognormal(math.log(680), 0.38, n) * np.where(age < 4, 0.6, np.where(old, 0.8, 1))
    out[cacao] = np.clip(raw, 300, 1500)[cacao]
    cafe = chain == "cafe"
    raw = rng.lognormal(math.log(780), 0.35, n) * np.where(age < 3, 0.5, np.where(old, 0.75, 1))
    out[cafe] = np.clip(raw, 400, 1500)[cafe]
    out = np.round(out / 10) * 10
    miel = (chain == "miel") & (rng.random(n) < 0.8)
    out[miel] = np.round(np.clip(rng.lognormal(math.log(28), 0.4, n), 8, 80))[miel]
    return [None if math.isnan(v) else v for v in out.tolist()]


def _ages(rng: np.random.Generator, chain: np.ndarray) -> tuple[np.ndarray, list[int | None]]:
    n = len(chain)
    crop = np.clip(np.round(2 + rng.gamma(2.2, 4.5, n)), 2, 30).astype(int)
    timber = rng.integers(3, 21, n)
    age = np.where(chain == "madera", timber, crop)
    has_age = np.isin(chain, ("cacao", "cafe", "madera"))
    return age, [a if h else None for a, h in zip(age.tolist(), has_age.tolist(), strict=True)]


def _areas(
    rng: np.random.Generator, chain: np.ndarray, productive: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(chain)
    forest_share = np.where(rng.random(n) < 0.25, 0.0, rng.beta(2.0, 4.0, n) * 0.4)
    forest_share = np.where(chain == "ganaderia", forest_share * 0.6, forest_share)
    other_share = rng.uniform(0.03, 0.2, n)
    productive = np.maximum(np.round(productive, 2), 0.1)
    total_raw = productive / (1.0 - forest_share - other_share)
    forest = np.floor(total_raw * forest_share * 100) / 100
    other = total_raw * other_share
    total = np.round(np.ceil((productive + forest + other) * 100) / 100, 2)
    return np.round(total, 2), productive, np.round(forest, 2)


def _certifications(
    rng: np.random.Generator,
    chain: np.ndarray,
    coop_sets: list[tuple[str, ...]],
    member: np.ndarray,
) -> list[list[str]]:
    n = len(chain)
    draw = rng.random(n).tolist()
    organic_ok = np.isin(chain, ("cacao", "cafe", "miel")).tolist()
    out: list[list[str]] = []
    for i in range(n):
        if member[i]:
            out.append(
                list(coop_sets[i]) if coop_sets[i] and draw[i] < CERTIFIED_MEMBER_SHARE else []
            )
        else:
            out.append(["organic"] if organic_ok[i] and draw[i] < 0.04 else [])
    return out


def _tenure(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """A tenure kind per farm, drawn from its country's TENURE_SHARES."""
    out = np.full(len(country), "none", dtype="<U20")
    u = rng.random(len(country))
    for cc, shares in TENURE_SHARES.items():
        rows = country == cc
        kinds = np.array(list(shares))
        edges = np.cumsum(list(shares.values()))
        out[rows] = kinds[np.minimum(np.searchsorted(edges, u[rows], "right"), len(kinds) - 1)]
    return out


def _names(rng: np.random.Generator, country: np.ndarray, chain: np.ndarray) -> list[str]:
    n = len(chain)
    base = rng.integers(0, len(FARM_NAMES), n).tolist()
    pick = rng.random(n).tolist()
    out = []
    for c, ch, b, p in zip(country.tolist(), chain.tolist(), base, pick, strict=True):
        table = FARM_PREFIXES[c]
        prefixes = table.get(ch, table["default"])
        out.append(f"{prefixes[int(p * len(prefixes))]} {FARM_NAMES[b]}")
    return out


def polygons(
    lat: np.ndarray, lon: np.ndarray, hectares: np.ndarray, radii: np.ndarray, turn: np.ndarray
) -> list[dict]:
    """Six-sided GeoJSON polygons of about `hectares` each around (lat, lon), vectorised.

    `radii` (n × 6) scales each vertex's distance; `turn` (n) rotates each shape.
    """
    # A regular hexagon of circumradius r has area (3√3/2)·r².
    r_km = np.sqrt(hectares * 10_000 / (1.5 * math.sqrt(3)))[:, None] * radii / 1000
    angle = turn[:, None] + np.arange(6) * (math.pi / 3)
    dlat = r_km * np.cos(angle) / KM_PER_DEGREE
    dlon = r_km * np.sin(angle) / (KM_PER_DEGREE * np.cos(np.radians(lat)))[:, None]
    ring = np.round(np.stack([lon[:, None] + dlon, lat[:, None] + dlat], axis=-1), 6)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)  # GeoJSON rings are closed
    return [{"type": "Polygon", "coordinates": [coords]} for coords in ring.tolist()]


def _polygons(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, total: np.ndarray
) -> list[dict | None]:
    n = len(lat)
    mapped = rng.random(n) < POLYGON_SHARE
    radii = rng.uniform(0.85, 1.15, (n, 6))
    turn = rng.random(n) * math.pi
    out: list[dict | None] = [None] * n
    rows = np.flatnonzero(mapped)
    shapes = polygons(lat[rows], lon[rows], total[rows], radii[rows], turn[rows])
    for row, shape in zip(rows.tolist(), shapes, strict=True):
        out[row] = shape
    return out


def draw_farms(
    rng: np.random.Generator,
    *,
    chain: np.ndarray,
    country: np.ndarray,
    productive: np.ndarray,
    seat_lat: np.ndarray,
    seat_lon: np.ndarray,
    coop_sets: list[tuple[str, ...]],
    member: np.ndarray,
) -> dict[str, list]:
    """Every farm column except ids, owner, district and timestamps, as Python lists."""
    n = len(chain)
    age, plant_age = _ages(rng, chain)
    total, productive, forest = _areas(rng, chain, productive)
    lat, lon = jitter(rng, seat_lat, seat_lon)
    agro_p = np.select(
        [
            chain == "cacao",
            chain == "cafe",
            chain == "ganaderia",
            chain == "madera",
            chain == "ecoturismo",
        ],
        [0.62, 0.6, 0.2, 1.0, 0.5],
        0.0,
    )
    cleared = rng.choice(np.array(["no", "unknown", "yes"]), n, p=[0.82, 0.15, 0.03])
    tenure = _tenure(rng, country)
    return {
        "name": _names(rng, country, chain),
        "lat": lat.tolist(),
        "lon": lon.tolist(),
        "polygon_geojson": _polygons(rng, lat, lon, total),
        "total_ha": total.tolist(),
        "productive_ha": productive.tolist(),
        "forest_ha": forest.tolist(),
        "value_chain": chain.tolist(),
        "yield_kg_ha": _yields(rng, chain, age),
        "plant_age_years": plant_age,
        "agroforestry": (rng.random(n) < agro_p).tolist(),
        "certifications": _certifications(rng, chain, coop_sets, member),
        "tenure": tenure.tolist(),
        "land_title": np.isin(tenure, list(SECURE_TENURE)).tolist(),
        "cleared_after_cutoff": cleared.tolist(),
    }
