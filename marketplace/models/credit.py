"""Lenders' credit products: the terms a lender offers to groups of producers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import Organization
from marketplace.models.base import utcnow
from marketplace.types import UTCDateTime


class Repayment(StrEnum):
    """Instalments timed to the harvest, or every month."""

    HARVEST = "harvest"
    MONTHLY = "monthly"


class CreditProduct(db.Model):
    """A lender organization's credit product; rates in basis points, money in minor units."""

    __tablename__ = "credit_product"
    __table_args__ = (Index("ix_credit_product_active_country", "active", "coverage_country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    value_chains: Mapped[list[str]] = mapped_column(JSON, default=list)
    coverage_country: Mapped[str] = mapped_column(String(2))
    # gazetteer district codes of coverage_country (at least one)
    coverage_districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_amount_minor: Mapped[int] = mapped_column(BigInteger)
    max_amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    annual_rate_bp: Mapped[int]  # TEA, 2850 = 28.50 %
    total_cost_bp: Mapped[int]  # TCEA, never below the TEA
    term_months: Mapped[int]
    grace_months: Mapped[int] = mapped_column(default=0)
    repayment: Mapped[str] = mapped_column(String(10), default=Repayment.HARVEST)
    requires_offtake: Mapped[bool] = mapped_column(default=False)
    budget_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    min_readiness: Mapped[float] = mapped_column(default=0.0)  # 0..1
    active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<CreditProduct {self.id} {self.name!r} active={self.active}>"
