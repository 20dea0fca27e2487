"""Producers, their farms and their consents: the rules and the session work."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace import audit
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.forest import risk
from marketplace.gazetteer.fields import place_problems
from marketplace.i18n import number
from marketplace.models import (
    Consent,
    ConsentScope,
    DataRequest,
    Farm,
    ForestAssessment,
    ForestDispute,
    ForestDisputeEvidence,
    Organization,
    OrgKind,
    Producer,
    RequestStatus,
    Role,
    User,
)
from marketplace.models.base import utcnow
from marketplace.models.producers import TENURE_BY_COUNTRY, Tenure
from marketplace.permissions import serving_cooperative_id
from marketplace.phones import normalize_phone
from marketplace.producers import national_id
from marketplace.producers.objections import SCOPE_OBJECTIONS, objecting, objects_to

MAX_HECTARES = 10_000

UNVERIFIED_COOPERATIVE = _l(
    "Su cooperativa aún no está verificada por Minka (o está suspendida): mientras tanto no "
    "puede registrar productores ni ver sus datos. Envíe el número tributario y el documento "
    "de la cooperativa desde «Mi organización»."
)


class NationalIdTaken(DomainError):
    """Another producer record has this national id (`producer_id`: the view may offer its
    claim to a producer whose technician registered her, producers.claims)."""

    def __init__(self, producer_id: int):
        super().__init__(_l("Ya hay un productor registrado con este documento."), "national_id")
        self.producer_id = producer_id


MESSAGE_FIELDS = ("sms_opt_in", "whatsapp_opt_in", "message_locale")


@dataclass
class ProfileData:
    """A producer's personal details as a form collects them."""

    first_name: str
    last_name: str
    gender: str
    country: str
    national_id: str
    phone: str = ""
    birth_year: int | None = None
    cooperative_id: int | None = None
    # her consent to messages (None: the form did not ask, SMS being off; kept as it was)
    sms_opt_in: bool | None = None
    whatsapp_opt_in: bool | None = None
    message_locale: str | None = None


@dataclass
class FarmData:
    """A farm's details as a form collects them."""

    name: str
    country: str
    region: str
    district_code: str
    lat: float
    lon: float
    total_ha: float
    productive_ha: float
    forest_ha: float
    value_chain: str
    yield_kg_ha: float | None = None
    plant_age_years: int | None = None
    agroforestry: bool = False
    certifications: list[str] = field(default_factory=list)
    tenure: str = "none"  # a Tenure code the farm's country issues
    cleared_after_cutoff: str = "unknown"


def producer_of(user: User) -> Producer | None:
    """The producer record of a producer's own account."""
    return db.session.scalar(select(Producer).where(Producer.user_id == user.id))


def account_prefill(user: User) -> dict[str, str]:
    """What a producer's own account already holds, to start "Mis datos" with: the name she
    gave at sign-up split into given names and surnames, and the mobile she signed up with.

    With three or more words the last two are the surnames (father's and mother's, as in
    Peru, Mexico and Colombia); she can correct the split before saving.
    """
    words = (user.name or "").split()
    surnames = 2 if len(words) >= 3 else max(len(words) - 1, 0)
    split = len(words) - surnames
    return {
        "first_name": " ".join(words[:split]),
        "last_name": " ".join(words[split:]),
        "phone": user.phone or "",
    }


def open_data_requests(producer: Producer) -> list[DataRequest]:
    """The producer's data-protection requests still awaiting an answer, oldest first."""
    return list(
        db.session.scalars(
            select(DataRequest)
            .where(DataRequest.producer_id == producer.id, DataRequest.status == RequestStatus.OPEN)
            .order_by(DataRequest.created_at, DataRequest.id)
        )
    )


def _joinable():
    """Cooperatives an admin verified and did not suspend: the only ones offered to producers."""
    return (
        Organization.kind == OrgKind.COOPERATIVE,
        Organization.verified_at.is_not(None),
        Organization.suspended_at.is_(None),
    )


def cooperatives(country: str | None = None, current_id: int | None = None) -> list[Organization]:
    """Cooperatives a producer may join, by name; plus `current_id`, the one she belongs to,
    so that editing her profile does not silently drop it."""
    offered = and_(*_joinable())
    if country:
        offered = and_(offered, Organization.country == country)
    if current_id is not None:
        offered = or_(offered, Organization.id == current_id)
    query = select(Organization).where(offered)
    return list(db.session.scalars(query.order_by(Organization.name, Organization.id)))


def _check_cooperative(cooperative_id: int | None, producer: Producer | None) -> None:
    """A producer joins only a verified, active cooperative (she may keep the one she has)."""
    if cooperative_id is None:
        return
    if producer is not None and producer.cooperative_id == cooperative_id:
        return
    joinable = select(Organization.id).where(Organization.id == cooperative_id, *_joinable())
    if db.session.scalar(joinable) is None:
        raise DomainError(_l("Elija una cooperativa de la lista."), "cooperative_id")


def unverified_cooperative(user: User) -> Organization | None:
    """A technician's cooperative while it may not reach producers (pending, rejected or
    suspended), to tell them why; None when it may, or for anyone else."""
    if user.role != Role.TECHNICIAN or serving_cooperative_id(user) is not None:
        return None
    return user.organization


def _clean_profile(data: ProfileData, producer: Producer | None) -> dict:
    values = asdict(data)
    values["first_name"] = data.first_name.strip()
    values["last_name"] = data.last_name.strip()
    values["national_id"] = national_id.normalize(data.country, data.national_id)
    if not national_id.is_valid(data.country, values["national_id"]):
        messages = {
            "PE": _l("El DNI tiene 8 dígitos."),
            "CO": _l("La cédula tiene de 6 a 10 dígitos."),
            "MX": _l("La CURP tiene 18 caracteres, por ejemplo HEGG560427MVZRRL04."),
        }
        raise DomainError(messages.get(data.country, _l("Documento no válido.")), "national_id")
    duplicate = select(Producer.id).where(
        Producer.country == data.country, Producer.national_id == values["national_id"]
    )
    if producer is not None:
        duplicate = duplicate.where(Producer.id != producer.id)
    existing = db.session.scalar(duplicate)
    if existing is not None:
        raise NationalIdTaken(existing)
    if data.phone.strip():
        values["phone"] = normalize_phone(data.phone, data.country)
        if values["phone"] is None:
            raise DomainError(_l("Escriba un número de celular válido."), "phone")
    else:
        values["phone"] = None
    for name in MESSAGE_FIELDS:
        if values[name] is None:
            del values[name]  # not asked: left as it was
    if values.get("message_locale") not in (None, "es", "en"):
        raise DomainError(_l("Elija un idioma de la lista."), "message_locale")
    if (values.get("sms_opt_in") or values.get("whatsapp_opt_in")) and not values["phone"]:
        raise DomainError(_l("Escriba el celular donde recibirá los mensajes."), "phone")
    return values


def _message_consent(producer: Producer) -> dict:
    return {name: getattr(producer, name) for name in MESSAGE_FIELDS}


def save_profile(actor: User, data: ProfileData, producer: Producer | None = None) -> Producer:
    """Create or update a producer's profile; a technician's producers join their cooperative,
    which must be verified and active."""
    if actor.role == Role.TECHNICIAN:
        coop_id = serving_cooperative_id(actor)
        if coop_id is None:
            raise DomainError(UNVERIFIED_COOPERATIVE)
        data = replace(data, cooperative_id=coop_id)
    else:
        _check_cooperative(data.cooperative_id, producer)
    values = _clean_profile(data, producer)
    created = producer is None
    if created:
        producer = Producer(registered_by_id=actor.id, sms_opt_in=False, whatsapp_opt_in=False)
        producer.message_locale = "es"
        if actor.role == Role.PRODUCER:
            producer.user_id = actor.id
        db.session.add(producer)
    consent_before = _message_consent(producer)
    for name, value in values.items():
        setattr(producer, name, value)
    db.session.flush()
    audit.record(
        actor,
        "producer.created" if created else "producer.updated",
        producer,
        fields=sorted(k for k in values if k not in ("national_id", *MESSAGE_FIELDS)),
    )
    consent_after = _message_consent(producer)
    if consent_after != consent_before:
        changes = {k: [consent_before[k], v] for k, v in consent_after.items()}
        audit.record(
            actor,
            "producer.messages_consent_changed",
            producer,
            changes={k: v for k, v in changes.items() if v[0] != v[1]},
        )
    db.session.commit()
    return producer


def _farm_problems(data: FarmData) -> dict[str, str]:
    """Every rule a farm's figures and place break, by field."""
    problems: dict[str, str] = {}
    for name in ("total_ha", "productive_ha", "forest_ha"):
        if not 0 <= getattr(data, name) <= MAX_HECTARES:
            problems[name] = _l("Escriba un número entre 0 y %(max)s.", max=number(MAX_HECTARES, 0))
    if "total_ha" not in problems and data.total_ha <= 0:
        problems["total_ha"] = _l("El área total debe ser mayor que 0.")
    if not problems and data.productive_ha + data.forest_ha > data.total_ha + 1e-9:
        problems["productive_ha"] = _l(
            "El área en producción más el bosque no puede superar el área total."
        )
    problems |= place_problems(data.country, data.region, data.district_code, data.lat, data.lon)
    if data.tenure not in TENURE_BY_COUNTRY.get(data.country, tuple(Tenure)):
        problems["tenure"] = _l("Ese documento de tenencia no se emite en el país de la finca.")
    return problems


def save_farm(actor: User, producer: Producer, data: FarmData, farm: Farm | None = None) -> Farm:
    """Create or update a farm after checking areas, the district and the coordinates."""
    problems = _farm_problems(data)
    if problems:
        raise InvalidInput(problems)
    created = farm is None
    if created:
        farm = Farm(producer=producer)
        db.session.add(farm)
    for name, value in asdict(data).items():
        setattr(farm, name, value)
    farm.name = data.name.strip()
    db.session.flush()
    audit.record(actor, "farm.created" if created else "farm.updated", farm, producer=producer.id)
    risk.assess(farm)  # its point or area may have moved it into or out of a loss area
    db.session.commit()
    return farm


def delete_farm(actor: User, farm: Farm) -> None:
    """Remove a farm, keeping a trace in the audit log."""
    audit.record(actor, "farm.deleted", farm, producer=farm.producer_id, name=farm.name)
    # its disputes and deforestation assessments go with it (SQLite does not cascade); Core
    # deletes, below the ORM guards that keep them from being deleted one by one
    disputes = select(ForestDispute.id).where(ForestDispute.farm_id == farm.id)
    db.session.execute(
        delete(ForestDisputeEvidence).where(ForestDisputeEvidence.dispute_id.in_(disputes))
    )
    db.session.execute(delete(ForestDispute).where(ForestDispute.farm_id == farm.id))
    db.session.execute(delete(ForestAssessment).where(ForestAssessment.farm_id == farm.id))
    db.session.delete(farm)
    db.session.commit()


def consent_states(producer: Producer) -> dict[str, Consent | None]:
    """Each scope's current consent row (None when never decided)."""
    rows = db.session.scalars(select(Consent).where(Consent.producer_id == producer.id))
    by_scope = {row.scope: row for row in rows}
    return {scope.value: by_scope.get(scope.value) for scope in ConsentScope}


def with_live_consent(producer_ids, scope: str) -> set[int]:
    """Which of these producers share their details with `scope` (lenders, buyers) now."""
    ids = list(producer_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Consent.producer_id).where(
                Consent.producer_id.in_(ids),
                Consent.scope == scope,
                Consent.granted.is_(True),
                ~objecting(SCOPE_OBJECTIONS[scope], Consent.producer_id),
            )
        )
    )


def set_consent(actor: User, producer: Producer, scope: str, granted: bool) -> Consent:
    """Grant or revoke one scope; time-stamped and audit-logged."""
    if scope not in set(ConsentScope):
        raise DomainError(_l("Ese tipo de consentimiento no existe."), "scope")
    if granted and objects_to(producer.id, SCOPE_OBJECTIONS[scope]):
        raise DomainError(
            _l("Se opuso a este uso de sus datos: retire primero la oposición en «Sus derechos»."),
            "scope",
        )
    consent = db.session.scalar(
        select(Consent).where(Consent.producer_id == producer.id, Consent.scope == scope)
    )
    if consent is None:
        consent = Consent(producer_id=producer.id, scope=scope)
        db.session.add(consent)
    consent.granted = granted
    consent.changed_at = utcnow()
    consent.changed_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "consent.granted" if granted else "consent.revoked",
        consent,
        producer=producer.id,
        scope=scope,
        on_behalf=actor.id != producer.user_id,
    )
    db.session.commit()
    return consent


def cooperative_producers(cooperative_id: int, search: str = "", page: int = 1, per_page: int = 25):
    """A page of a cooperative's producers with their farms, optionally filtered by name or id."""
    query = (
        select(Producer)
        .where(Producer.cooperative_id == cooperative_id, Producer.erased_at.is_(None))
        .options(selectinload(Producer.farms))
        .order_by(Producer.last_name, Producer.first_name, Producer.id)
    )
    if search.strip():
        query = query.where(producer_matches(search))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def producer_matches(search: str):
    """A producer whose name contains `search` (any case) or whose document is it."""
    text = search.strip()
    return or_(
        func.lower(Producer.first_name + " " + Producer.last_name).like(f"%{text.lower()}%"),
        Producer.national_id == text.upper(),
    )
