"""Producers (people) and their farms."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from marketplace.extensions import db
from marketplace.models.accounts import Organization, User
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Vocabulary
from marketplace.types import UTCDateTime

if TYPE_CHECKING:
    from marketplace.models.traceability import ForestAssessment


class Gender(Vocabulary):
    """Self-declared gender, kept for inclusion figures."""

    FEMALE = "female", _l("Mujer")
    MALE = "male", _l("Hombre")
    OTHER = "other", _l("Otro")
    UNDISCLOSED = "undisclosed", _l("Prefiero no decirlo")


class ValueChain(Vocabulary):
    """What a farm produces (cadena de valor)."""

    CACAO = "cacao", _l("Cacao")
    CAFE = "cafe", _l("Café")
    MIEL = "miel", _l("Miel")
    GANADERIA = "ganaderia", _l("Ganadería")
    MADERA = "madera", _l("Madera")
    ECOTURISMO = "ecoturismo", _l("Ecoturismo")


class Certification(Vocabulary):
    """Certifications common among smallholders in the region."""

    ORGANIC = "organic", _l("Orgánico")
    FAIRTRADE = "fairtrade", _l("Comercio Justo (Fairtrade)")
    RAINFOREST = "rainforest", _l("Rainforest Alliance")
    SPP = "spp", _l("Símbolo de Pequeños Productores (SPP)")
    BIRD_FRIENDLY = "bird_friendly", _l("Bird Friendly")
    FOUR_C = "4c", _l("4C")


class Clearing(Vocabulary):
    """Whether the farm cleared forest after the deforestation cut-off date."""

    NO = "no", _l("No")
    YES = "yes", _l("Sí")
    UNKNOWN = "unknown", _l("No sé")


class Tenure(Vocabulary):
    """The document by which a producer holds the farm's land, as each country issues them."""

    TITLE = "title", _l("Título de propiedad inscrito")
    PARCEL_CERTIFICATE = "parcel_certificate", _l("Certificado parcelario (ejido)")
    AGRARIAN_RIGHTS = "agrarian_rights", _l("Certificado de derechos agrarios (ejido o comunidad)")
    POSSESSION = "possession", _l("Certificado o constancia de posesión")
    USE_GRANT = "use_grant", _l("Cesión en uso (tierras forestales)")
    TENANT = "tenant", _l("Arriendo o aparcería")
    NONE = "none", _l("Sin documento")


# What a lender can rely on as secure tenure: a registered title (Peru: SUNARP; Mexico:
# dominio pleno; Colombia: matrícula inmobiliaria), an ejido's certificado parcelario or de
# derechos agrarios (RAN, Mexico: the ejidatario's recognised right, the tenure of over half
# of Mexico's farmland) and Peru's certificado de posesión (issued by the municipality or
# COFOPRI to a possessor, the step before the title). Peru's cesión en uso (a contract with the
# State on forest land, SERFOR) is a legal right to farm but never a title: not secure here.
# For the credit factor a declared secure tenure counts only with an accepted document of a
# kind that proves it (traceability.tenure.documented_clause).
SECURE_TENURE: frozenset[str] = frozenset(
    {Tenure.TITLE, Tenure.PARCEL_CERTIFICATE, Tenure.AGRARIAN_RIGHTS, Tenure.POSSESSION}
)
# The kinds each country issues, in the order the form offers them.
TENURE_BY_COUNTRY: dict[str, tuple[Tenure, ...]] = {
    "PE": (Tenure.TITLE, Tenure.POSSESSION, Tenure.USE_GRANT, Tenure.TENANT, Tenure.NONE),
    "MX": (
        Tenure.TITLE, Tenure.PARCEL_CERTIFICATE, Tenure.AGRARIAN_RIGHTS, Tenure.TENANT,
        Tenure.NONE,
    ),
    "CO": (Tenure.TITLE, Tenure.TENANT, Tenure.NONE),
}  # fmt: skip


def secure_tenure(kind: str | None) -> bool:
    """Whether a tenure kind counts as secure for credit (the readiness factor "land_title")."""
    return kind in SECURE_TENURE


class Producer(db.Model):
    """A smallholder; may have a login of their own or be registered by a technician."""

    __tablename__ = "producer"
    __table_args__ = (
        UniqueConstraint("country", "national_id"),
        # a cooperative's list of its producers, by name, a page at a time
        Index(
            "ix_producer_cooperative_name",
            "cooperative_id",
            "last_name",
            "first_name",
            "id",
            sqlite_where=text("erased_at IS NULL"),
            postgresql_where=text("erased_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), unique=True)
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    gender: Mapped[str] = mapped_column(String(12))
    birth_year: Mapped[int | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    national_id: Mapped[str] = mapped_column(String(18))
    # her consent to messages on her phone, per channel, and the language they are written in
    # (server defaults only: rows written before the columns existed read the same)
    sms_opt_in: Mapped[bool] = mapped_column(server_default=sa_false())
    whatsapp_opt_in: Mapped[bool] = mapped_column(server_default=sa_false())
    message_locale: Mapped[str] = mapped_column(String(5), server_default="es")
    # set when a deletion request was carried out: the row stays (loans, deliveries and orders
    # point to it) with its personal fields replaced, and no feature uses it again
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    cooperative: Mapped[Organization | None] = relationship()
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    farms: Mapped[list[Farm]] = relationship(
        back_populates="producer", cascade="all, delete-orphan", order_by="Farm.id"
    )

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    @property
    def masked_national_id(self) -> str:
        """The national id with all but its last three characters hidden."""
        return "•" * max(len(self.national_id) - 3, 0) + self.national_id[-3:]

    def __repr__(self) -> str:
        return f"<Producer {self.id} {self.full_name!r}>"


class Farm(db.Model):
    """A plot a producer works: where it is, how big, what it grows."""

    __tablename__ = "farm"
    __table_args__ = (Index("ix_farm_country_district", "country", "district_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(80))
    district_code: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float]
    lon: Mapped[float]
    polygon_geojson: Mapped[dict | None] = mapped_column(JSON)
    # geodesic area of the polygon (ha); how it was given: drawn | walked | geojson | kml
    polygon_area_ha: Mapped[float | None]
    polygon_source: Mapped[str | None] = mapped_column(String(10))
    # a walked outline: the mean GPS accuracy (m) of its corners
    polygon_accuracy_m: Mapped[float | None]
    # deforestation risk against the cut-off (traceability.RiskStatus), from the forest layer
    risk_status: Mapped[str] = mapped_column(
        String(20), default="unassessed", server_default="unassessed"
    )
    risk_loss_ha: Mapped[float | None]
    risk_loss_share: Mapped[float | None]
    risk_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the current row of the farm's assessment history (forest_assessment), with its reason
    risk_assessment_id: Mapped[int | None]
    risk_assessment: Mapped[ForestAssessment | None] = relationship(
        primaryjoin="foreign(Farm.risk_assessment_id) == ForestAssessment.id", viewonly=True
    )
    # field evidence accepted by one admin or buyer, before disputes (traceability/disputes.py)
    # took over: farms verified that way stay verified while no loss appears (tree.decide)
    risk_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    risk_verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    total_ha: Mapped[float]
    productive_ha: Mapped[float]
    forest_ha: Mapped[float]
    value_chain: Mapped[str] = mapped_column(String(20), index=True)
    yield_kg_ha: Mapped[float | None]
    plant_age_years: Mapped[int | None]
    agroforestry: Mapped[bool] = mapped_column(default=False)
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the tenure document (Tenure); land_title follows it: True when the tenure is secure
    tenure: Mapped[str] = mapped_column(String(20), default=Tenure.NONE, server_default="none")
    land_title: Mapped[bool] = mapped_column(default=False)
    cleared_after_cutoff: Mapped[str] = mapped_column(String(8), default=Clearing.UNKNOWN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    producer: Mapped[Producer] = relationship(back_populates="farms")

    @validates("tenure")
    def _secure(self, key: str, kind: str) -> str:
        self.land_title = secure_tenure(kind)
        return kind

    def __repr__(self) -> str:
        return f"<Farm {self.id} {self.name!r} {self.value_chain}>"
