"""Matching runs and what they produce: producers' assessments, credit groups, matches."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import Organization, User
from marketplace.models.base import utcnow
from marketplace.models.credit import CreditProduct
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class RunStatus(Vocabulary):
    """queued -> running -> succeeded | failed."""

    QUEUED = "queued", _l("En cola"), Tone.WARN
    RUNNING = "running", _l("En curso"), Tone.WARN
    SUCCEEDED = "succeeded", _l("Terminada"), Tone.OK
    FAILED = "failed", _l("Falló"), Tone.BAD


class RunBackend(Vocabulary):
    """Where a run ran: a thread of the web app, the Redis job queue, or the command line."""

    THREAD = "thread", _l("En la aplicación")
    RQ = "rq", _l("Cola de trabajos (Redis)")
    CLI = "cli", _l("Línea de comandos")


class MatchingRun(db.Model):
    """One run of the matching pipeline over every producer, with its figures."""

    __tablename__ = "matching_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1 while queued or running, NULL after: the unique constraint lets one run at a time
    active_slot: Mapped[int | None] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.QUEUED)
    backend: Mapped[str] = mapped_column(String(10), default=RunBackend.THREAD)
    stage: Mapped[str] = mapped_column(String(40), default="")
    progress: Mapped[float] = mapped_column(default=0.0)  # 0..1
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    # per country: archetype centroids and names, the next run's `previous`
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # last sign of life of the process running it: a run silent for long was interrupted
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    started_by: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    def __repr__(self) -> str:
        return f"<MatchingRun {self.id} {self.status} {self.progress:.0%}>"


class Assessment(db.Model):
    """A producer's result in one run: eligibility, archetype, readiness, group, request."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("run_id", "producer_id"),
        Index("ix_assessment_producer_run", "producer_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_run.id", ondelete="CASCADE"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"))
    farm_id: Mapped[int | None] = mapped_column(ForeignKey("farm.id", ondelete="SET NULL"))
    eligible: Mapped[bool]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # codes, see labels
    archetype: Mapped[str] = mapped_column(String(80))
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("cluster.id", ondelete="SET NULL"), index=True
    )
    readiness: Mapped[float]
    # [[factor, "+"|"-"], ...], largest contribution first
    explanation: Mapped[list] = mapped_column(JSON, default=list)
    requested_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    productive_ha: Mapped[float]
    expected_kg: Mapped[float]
    pledged_kg: Mapped[float]

    cluster: Mapped[Cluster | None] = relationship(back_populates="members")


class Cluster(db.Model):
    """A credit group: producers of one value chain, archetype and cooperative living near
    each other."""

    __tablename__ = "cluster"
    __table_args__ = (Index("ix_cluster_run_country", "run_id", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_run.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))  # e.g. PE-12, for people and CSV files
    country: Mapped[str] = mapped_column(String(2))
    value_chain: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    lat: Mapped[float]
    lon: Mapped[float]
    total_ha: Mapped[float]
    expected_kg: Mapped[float]
    pledged_share: Mapped[float]
    readiness_mean: Mapped[float]
    readiness_min: Mapped[float]
    requested_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # every member is of this archetype and this cooperative (None: none, a solidarity
    # group); None for both in groups of runs from before groups were formed so
    archetype: Mapped[str | None] = mapped_column(String(80))
    cooperative_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    # members per tenth of readiness (0-10 %, ..., 90-100 %): the lender's histogram sums
    # its groups' in SQL instead of reading every member (None: groups of runs from before);
    # jsonb on PostgreSQL, where json text would be parsed again for every tenth
    readiness_tenths: Mapped[list[int] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )

    cooperative: Mapped[Organization | None] = relationship()
    members: Mapped[list[Assessment]] = relationship(
        back_populates="cluster", order_by="Assessment.producer_id"
    )

    def __repr__(self) -> str:
        return f"<Cluster {self.code} {self.value_chain} n={self.size}>"


class MatchStatus(Vocabulary):
    """A lender's decision on a proposed match; superseded when a newer run replaces it."""

    PROPOSED = "proposed", _l("Propuesto a la entidad de crédito"), Tone.WARN
    INFO_REQUESTED = "info_requested", _l("La entidad pidió más información"), Tone.WARN
    APPROVED = "approved", _l("Aprobado"), Tone.OK
    DECLINED = "declined", _l("No aprobado"), Tone.BAD
    SUPERSEDED = "superseded", _l("Reemplazado por una evaluación más nueva"), Tone.NEUTRAL


class Match(db.Model):
    """A credit group matched to a credit product (rank 0: chosen; others: alternatives)."""

    __tablename__ = "match"
    __table_args__ = (
        Index("ix_match_lender_status", "lender_id", "status"),
        Index("ix_match_cluster", "cluster_id", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_run.id", ondelete="CASCADE"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"))
    credit_product_id: Mapped[int] = mapped_column(ForeignKey("credit_product.id"))
    lender_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    rank: Mapped[int]
    score: Mapped[float]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=MatchStatus.PROPOSED)
    reason: Mapped[str | None] = mapped_column(Text)  # decline reason or information asked
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cluster: Mapped[Cluster] = relationship()
    credit_product: Mapped[CreditProduct] = relationship()
    lender: Mapped[Organization] = relationship()
    decided_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Match {self.id} cluster={self.cluster_id} rank={self.rank} {self.status}>"
