"""Collection centres (centros de acopio): creating, editing and deactivating them, and finding
the ones near a producer's farm."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from marketplace import audit, gazetteer
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.gazetteer.fields import place_problems
from marketplace.models import CollectionCenter, Organization, OrgKind, Producer, Role, User
from marketplace.permissions import serving_cooperative_id

PER_PAGE = 25
NEAR_LIMIT = 10


@dataclass
class CenterData:
    """A centre's details as a form collects them; lat/lon None means the district seat."""

    name: str
    operator_name: str
    country: str
    region: str
    district_code: str
    opening_hours: str
    lat: float | None = None
    lon: float | None = None
    organization_id: int | None = None  # chosen by admins; technicians use their own


def cooperatives() -> list[Organization]:
    """Cooperatives that may run centres (verified, not suspended), by name."""
    query = select(Organization).where(
        Organization.kind == OrgKind.COOPERATIVE,
        Organization.verified_at.is_not(None),
        Organization.suspended_at.is_(None),
    )
    return list(db.session.scalars(query.order_by(Organization.name, Organization.id)))


def _operating_org(actor: User, data: CenterData, center: CollectionCenter | None) -> Organization:
    if actor.role == Role.ADMIN:
        org_id = data.organization_id or (center.organization_id if center else None)
    else:
        org_id = actor.organization_id
    org = db.session.get(Organization, org_id) if org_id else None
    if org is None or org.kind != OrgKind.COOPERATIVE:
        raise DomainError(_l("Elija una cooperativa de la lista."), "organization_id")
    if not org.can_publish:
        raise DomainError(
            _l("La cooperativa debe estar verificada para registrar centros de acopio."),
            "organization_id",
        )
    return org


def _problems(data: CenterData) -> dict[str, str]:
    """Every rule the centre's texts and place break, by field."""
    problems: dict[str, str] = {}
    for name, limit in (("name", 120), ("operator_name", 120), ("opening_hours", 200)):
        value = getattr(data, name).strip()
        if not value:
            problems[name] = _l("Este dato es obligatorio.")
        elif len(value) > limit:
            problems[name] = _l("Escriba como máximo %(max)s caracteres.", max=limit)
    if (data.lat is None) != (data.lon is None):
        problems["lat"] = _l("Escriba la latitud y la longitud, o deje las dos en blanco.")
    place = place_problems(data.country, data.region, data.district_code, data.lat, data.lon)
    seat = gazetteer.get_district(data.country, data.district_code)
    if not place and data.lat is None and data.lon is None and not seat.has_coordinates:
        place["lat"] = _l("No conocemos las coordenadas de este distrito: escríbalas.")
    return problems | place


def save_center(
    actor: User, data: CenterData, center: CollectionCenter | None = None
) -> CollectionCenter:
    """Create or update a centre; coordinates default to the district seat."""
    problems = _problems(data)
    if problems:
        raise InvalidInput(problems)
    org = _operating_org(actor, data, center)
    if org.country != data.country:
        raise DomainError(
            _l("El centro debe quedar en el país de la cooperativa que lo opera."), "country"
        )
    lat, lon = data.lat, data.lon
    if lat is None:
        seat = gazetteer.get_district(data.country, data.district_code)
        lat, lon = seat.lat, seat.lon
    created = center is None
    if created:
        center = CollectionCenter()
        db.session.add(center)
    center.organization_id = org.id
    center.name = data.name.strip()
    center.operator_name = data.operator_name.strip()
    center.country = data.country
    center.region = data.region
    center.district_code = data.district_code
    center.lat, center.lon = round(lat, 6), round(lon, 6)
    center.opening_hours = data.opening_hours.strip()
    db.session.flush()
    audit.record(
        actor,
        "center.created" if created else "center.updated",
        center,
        name=center.name,
        organization=org.id,
    )
    db.session.commit()
    return center


def set_active(actor: User, center: CollectionCenter, active: bool) -> CollectionCenter:
    """Deactivate a centre (it stops being offered) or bring it back."""
    if center.active == active:
        return center
    center.active = active
    audit.record(
        actor, "center.reactivated" if active else "center.deactivated", center, name=center.name
    )
    db.session.commit()
    return center


def managed_page(actor: User, search: str = "", country: str = "", page: int = 1) -> Pagination:
    """The centres `actor` manages (admins: all), by country, region and name."""
    query = select(CollectionCenter).options(joinedload(CollectionCenter.organization))
    if actor.role != Role.ADMIN:
        query = query.where(CollectionCenter.organization_id == serving_cooperative_id(actor))
    if country in gazetteer.COUNTRIES:
        query = query.where(CollectionCenter.country == country)
    text = (search or "").strip()
    if text:
        query = query.where(CollectionCenter.name.icontains(text, autoescape=True))
    query = query.order_by(
        CollectionCenter.country,
        CollectionCenter.region,
        CollectionCenter.name,
        CollectionCenter.id,
    )
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def centers_near(
    country: str, lat: float | None, lon: float | None, limit: int = NEAR_LIMIT
) -> list[tuple[CollectionCenter, float | None]]:
    """Active centres of `country` run by cooperatives in good standing, nearest first, with
    the distance in km from (lat, lon); without a point, by name and with no distance."""
    query = (
        select(CollectionCenter)
        .join(CollectionCenter.organization)
        .options(contains_eager(CollectionCenter.organization))
        .where(
            CollectionCenter.country == country,
            CollectionCenter.active.is_(True),
            Organization.verified_at.is_not(None),
            Organization.suspended_at.is_(None),
        )
    )
    centers = list(db.session.scalars(query))
    if lat is None or lon is None:
        centers.sort(key=lambda c: (gazetteer.sort_key(c.name), c.id))
        return [(center, None) for center in centers[:limit]]
    distances = [(c, gazetteer.haversine_km(lat, lon, c.lat, c.lon)) for c in centers]
    distances.sort(key=lambda pair: (pair[1], pair[0].id))
    return distances[:limit]


def centers_for_producer(
    producer: Producer | None, country: str, limit: int = NEAR_LIMIT
) -> list[tuple[CollectionCenter, float | None]]:
    """The centres near a producer's first farm (by name when they have no farm yet)."""
    farm = producer.farms[0] if producer is not None and producer.farms else None
    if farm is not None:
        return centers_near(farm.country, farm.lat, farm.lon, limit)
    return centers_near(producer.country if producer else country, None, None, limit)
