"""Tenure documents of a plot (the papers that prove the farm's declared Tenure) and their
review by Minka's admins: uploaded as PDF or photo, accepted or rejected with a reason."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import User
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class TenureDocKind(Vocabulary):
    """The kinds of tenure document Minka reviews; which country issues each, which Tenure it
    proves and its registry number's format are in traceability.tenure_rules."""

    PE_TITLE = "pe_title", _l("Título de propiedad inscrito en SUNARP (partida electrónica)")
    PE_POSSESSION = "pe_possession", _l("Certificado o constancia de posesión")
    PE_USE_GRANT = "pe_use_grant", _l("Contrato de cesión en uso (tierras forestales)")
    CO_REGISTRY = (
        "co_registry",
        _l("Folio de matrícula inmobiliaria (certificado de tradición y libertad)"),
    )
    CO_ADJUDICATION = "co_adjudication", _l("Resolución de adjudicación de la ANT")
    MX_PARCEL = "mx_parcel", _l("Certificado parcelario (RAN)")
    MX_COMMON_USE = "mx_common_use", _l("Certificado de derechos de uso común (ejido, RAN)")
    MX_TITLE = "mx_title", _l("Título de propiedad (dominio pleno)")
    LEASE = "lease", _l("Contrato de arrendamiento o aparcería")


class TenureDocStatus(Vocabulary):
    """Where one document stands in Minka's review."""

    PENDING = "pending", _l("En revisión"), Tone.WARN
    ACCEPTED = "accepted", _l("Aceptado"), Tone.OK
    REJECTED = "rejected", _l("Rechazado"), Tone.BAD


class Legality(Vocabulary):
    """A plot's tenure legality as its documents show it (computed, never stored)."""

    NONE = "none", _l("Sin documento"), Tone.NEUTRAL
    IN_REVIEW = "in_review", _l("En revisión"), Tone.WARN
    DOCUMENTED = "documented", _l("Documentado"), Tone.OK
    REJECTED = "rejected", _l("Rechazado"), Tone.BAD


class TenureRejection(Vocabulary):
    """Why a reviewer refused a tenure document."""

    ILLEGIBLE = "illegible", _l("No se puede leer el documento")
    INCOMPLETE = "incomplete", _l("Faltan páginas, firmas o sellos")
    HOLDER_MISMATCH = "holder_mismatch", _l("El titular no es el productor")
    OTHER_PLOT = "other_plot", _l("El documento es de otro predio")
    NUMBER_MISMATCH = "number_mismatch", _l("El número no coincide con el documento")
    NOT_IN_FORCE = "not_in_force", _l("El documento no está vigente")
    OTHER = "other", _l("Otro motivo")


class TenureDocument(db.Model):
    """One document a producer, her technician or an admin uploaded for a plot; its file lives
    under the instance folder (never under static/)."""

    __tablename__ = "tenure_document"
    __table_args__ = (
        # the admin's queue: pending documents, oldest first, and how many wait
        Index(
            "ix_tenure_document_pending",
            "created_at",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farm.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # TenureDocKind
    # the Tenure the document proves (copied from its kind at upload, so queries can match it
    # against the farm's declared tenure)
    tenure: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(40))
    authority: Mapped[str] = mapped_column(String(120))
    issued_on: Mapped[date]
    holder_name: Mapped[str] = mapped_column(String(160))
    file_path: Mapped[str] = mapped_column(String(200))  # relative to the instance folder
    status: Mapped[str] = mapped_column(
        String(12), default=TenureDocStatus.PENDING, server_default="pending"
    )
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(20))  # TenureRejection
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    def __repr__(self) -> str:
        return f"<TenureDocument {self.id} {self.kind} {self.status}>"


def documented_clause(farm_id, farm_tenure):
    """SQL: the farm (its id and declared tenure columns) has an accepted document proving
    that tenure. The credit factor "land_title" and the plot's legality read the same rule."""
    return (
        db.select(TenureDocument.id)
        .where(
            TenureDocument.farm_id == farm_id,
            TenureDocument.status == TenureDocStatus.ACCEPTED,
            TenureDocument.tenure == farm_tenure,
        )
        .exists()
    )
