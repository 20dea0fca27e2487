"""Users, their roles, and the organizations they belong to."""

from __future__ import annotations

import secrets
import time
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.extensions import db
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class Role(Vocabulary):
    """What a user does on Minka; decides navigation and permissions."""

    PRODUCER = "producer", _l("Productor o productora")
    SUPPLIER = "supplier", _l("Proveedor/a de insumos o asistencia técnica")
    BUYER = "buyer", _l("Comprador/a")
    LENDER = "lender", _l("Entidad de crédito")
    TECHNICIAN = "technician", _l("Técnico/a de cooperativa")
    ADMIN = "admin", _l("Administrador/a")


class OrgKind(Vocabulary):
    """Kinds of organization; `cooperative` groups producers and employs technicians."""

    SUPPLIER = "supplier", _l("Proveedor de insumos")
    TA_PROVIDER = "ta_provider", _l("Proveedor de asistencia técnica")
    BUYER = "buyer", _l("Comprador")
    LENDER = "lender", _l("Entidad de crédito (caja, cooperativa, microfinanciera)")
    COOPERATIVE = "cooperative", _l("Cooperativa o asociación de productores")


class OrgStatus(Vocabulary):
    """Where an organization stands with the admins (never stored: read from its dates)."""

    PENDING = "pending", _l("Pendiente de verificación"), Tone.WARN
    VERIFIED = "verified", _l("Verificada"), Tone.OK
    REJECTED = "rejected", _l("Rechazada"), Tone.BAD
    SUSPENDED = "suspended", _l("Suspendida"), Tone.BAD


# Which organization kinds a member of each role may belong to.
ROLE_ORG_KINDS: dict[Role, tuple[OrgKind, ...]] = {
    Role.SUPPLIER: (OrgKind.SUPPLIER, OrgKind.TA_PROVIDER),
    Role.BUYER: (OrgKind.BUYER, OrgKind.COOPERATIVE),
    Role.LENDER: (OrgKind.LENDER,),
    Role.TECHNICIAN: (OrgKind.COOPERATIVE,),
}


def new_join_code() -> str:
    """A short code colleagues type at sign-up to join an organization."""
    return secrets.token_hex(4).upper()


class Organization(db.Model):
    """A supplier, TA provider, buyer, lender or cooperative; verified by an admin."""

    __tablename__ = "organization"
    # No two verified organizations of a country share a name or a tax id, even when two
    # admins verify look-alikes at the same moment: the keys are set only on verification.
    __table_args__ = (
        UniqueConstraint("country", "verified_name_key", name="uq_organization_verified_name"),
        UniqueConstraint("country", "verified_tax_id", name="uq_organization_verified_tax_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str] = mapped_column(String(2))
    join_code: Mapped[str] = mapped_column(String(16), unique=True, default=new_join_code)
    # What the organization submits for verification: its tax id (RUC, NIT or RFC, stored
    # normalised) and one document, a path under the instance folder.
    tax_id: Mapped[str | None] = mapped_column(String(20), index=True)
    document_path: Mapped[str | None] = mapped_column(String(200))
    verified_name_key: Mapped[str | None] = mapped_column(String(160))
    verified_tax_id: Mapped[str | None] = mapped_column(String(20))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organization")

    @property
    def verified(self) -> bool:
        """True once an admin has verified it."""
        return self.verified_at is not None

    @property
    def suspended(self) -> bool:
        """True while an admin has it suspended."""
        return self.suspended_at is not None

    @property
    def rejected(self) -> bool:
        """True while an admin's rejection stands (until the organization resubmits)."""
        return self.rejected_at is not None and not self.verified

    @property
    def status(self) -> OrgStatus:
        """Suspended, verified, rejected or pending (a suspension wins over the rest)."""
        if self.suspended:
            return OrgStatus.SUSPENDED
        if self.verified:
            return OrgStatus.VERIFIED
        return OrgStatus.REJECTED if self.rejected else OrgStatus.PENDING

    @property
    def can_publish(self) -> bool:
        """Only verified, active organizations may publish, and only their technicians reach
        producers' data (marketplace.permissions.serving_cooperative_id)."""
        return self.verified and not self.suspended

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.kind} {self.name!r}>"


class User(UserMixin, db.Model):
    """Someone who signs in, with an e-mail address or a phone number."""

    __tablename__ = "user"
    # the admin's list of accounts, newest first
    __table_args__ = (Index("ix_user_newest", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    country: Mapped[str | None] = mapped_column(String(2))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Moves on sign-out, password change and deactivation: every session and remember-me
    # cookie issued before then stops working (see get_id and web.load_user).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    organization: Mapped[Organization | None] = relationship(back_populates="members")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The identity Flask-Login keeps in the session and the remember-me cookie at sign-in:
        "<id>:<session version>:<issued at, Unix seconds>"."""
        return f"{self.id}:{self.session_version}:{int(time.time())}"

    def end_sessions(self) -> None:
        """Make every session and remember-me cookie issued until now stop working."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        """True when the user's role is one of `roles`."""
        return self.role in roles

    @property
    def login(self) -> str:
        """What the user signs in with: e-mail if any, else phone."""
        return self.email or self.phone or ""

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role} {self.login!r}>"
