"""Collection centres (centros de acopio) of the demo cooperatives.

Each cooperative runs one to three centres at the district seats where most of its members'
farms are (read from the farms already written in this transaction), named as such centres
are ("Centro de acopio Juanjuí", "Acopio Campanilla") and attended by one of its technicians.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select

from marketplace import gazetteer
from marketplace.demo import bulk
from marketplace.extensions import db
from marketplace.models import CollectionCenter, Farm, Organization, OrgKind, Producer, Role, User

MAX_PER_COOP = 3
INACTIVE_SHARE = 0.05  # of the second and later centres: closed for now
NAME_PATTERNS = ("Centro de acopio {place}", "Acopio {place}")
FULL_NAME_SHARE = 0.65  # "Centro de acopio …" rather than the short "Acopio …"
HOURS = (
    "Lunes a sábado, de 7:00 a 16:00",
    "Lunes a viernes, de 8:00 a 17:00; sábados de 8:00 a 12:00",
    "Martes, jueves y sábados, de 6:30 a 14:00",
    "Lunes a sábado, de 7:30 a 15:30 (refrigerio de 12:30 a 13:30)",
    "Todos los días en cosecha, de 6:00 a 18:00; fuera de cosecha, sábados de 7:00 a 13:00",
)


def _member_districts() -> dict[int, list[tuple[str, str]]]:
    """Per cooperative, the (country, district) of its members' farms, busiest first."""
    rows = db.session.execute(
        select(Producer.cooperative_id, Farm.country, Farm.district_code, func.count(Farm.id))
        .join(Farm, Farm.producer_id == Producer.id)
        .where(Producer.cooperative_id.is_not(None))
        .group_by(Producer.cooperative_id, Farm.country, Farm.district_code)
    ).all()
    grouped: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for coop, country, district, n in rows:
        grouped[coop].append((-n, country, district))
    return {coop: [(c, d) for _n, c, d in sorted(items)] for coop, items in grouped.items()}


def _technicians() -> dict[int, list[str]]:
    rows = db.session.execute(
        select(User.organization_id, User.name)
        .where(User.role == Role.TECHNICIAN, User.organization_id.is_not(None))
        .order_by(User.id)
    )
    names: dict[int, list[str]] = defaultdict(list)
    for org, name in rows:
        names[org].append(name)
    return names


GENERIC_WORDS = frozenset(
    {
        *("Cooperativa", "Sociedad", "Asociación", "Unión", "Red", "Agraria", "Agroindustrial"),
        *("Agropecuaria", "Cacaotera", "Cafetalera", "Cafetera", "Apícola", "Ganadera"),
        *("Silvopastoril", "Servicios", "Múltiples", "Productores", "Agropecuarios"),
        *("Cacaoteros", "Cafetaleros", "Caficultores", "Apicultores", "Ejidos", "Comunidades"),
        *("de", "del", "y"),
    }
)


def _short(coop_name: str) -> str:
    """A cooperative's name without its generic words ("… Río Huayabamba" -> "Río Huayabamba")."""
    words = [word for word in coop_name.split() if word not in GENERIC_WORDS]
    return " ".join(words) or coop_name


def build(rng: np.random.Generator, anchor: datetime) -> dict[str, int]:
    """Bulk-insert the demo cooperatives' centres; return {table: count}."""
    rng = rng.spawn(1)[0]  # this stage's draws do not shift the other stages'
    coops = db.session.execute(
        select(Organization.id, Organization.name, Organization.created_at)
        .where(Organization.kind == OrgKind.COOPERATIVE)
        .order_by(Organization.id)
    ).all()
    districts = _member_districts()
    staff = _technicians()
    rows: dict[str, list] = defaultdict(list)
    taken_places: set[tuple[str, str]] = set()
    for coop_id, coop_name, coop_created in coops:
        places = [
            (country, code, gazetteer.get_district(country, code))
            for country, code in districts.get(coop_id, [])
        ]
        places = [p for p in places if p[2] is not None and p[2].has_coordinates]
        wanted = min(int(rng.integers(1, MAX_PER_COOP + 1)), len(places))
        for k, (country, code, district) in enumerate(places[:wanted]):
            pattern = NAME_PATTERNS[0 if rng.random() < FULL_NAME_SHARE else 1]
            name = pattern.format(place=district.name)
            if (country, code) in taken_places:  # another cooperative's centre is there too
                place_words = set(district.name.split())
                short = " ".join(w for w in _short(coop_name).split() if w not in place_words)
                name = f"{name} ({short})" if short else f"Acopio {coop_name}"
            taken_places.add((country, code))
            people = staff.get(coop_id) or [f"Equipo de acopio {_short(coop_name)}"]
            created = max(
                coop_created, anchor - timedelta(days=float(rng.uniform(200, 600)))
            ) + timedelta(days=float(rng.uniform(1, 30)))
            rows["organization_id"].append(coop_id)
            rows["name"].append(name)
            rows["operator_name"].append(people[int(rng.integers(0, len(people)))])
            rows["country"].append(country)
            rows["region"].append(district.region)
            rows["district_code"].append(code)
            rows["lat"].append(district.lat)
            rows["lon"].append(district.lon)
            rows["opening_hours"].append(HOURS[int(rng.integers(0, len(HOURS)))])
            rows["active"].append(bool(k == 0 or rng.random() >= INACTIVE_SHARE))
            rows["created_at"].append(min(created, anchor))
    n = len(rows["name"])
    if n == 0:
        return {"collection_center": 0}
    ids = bulk.reserve_ids(CollectionCenter, n)
    return {"collection_center": bulk.insert_columns(CollectionCenter, {"id": ids, **rows})}
