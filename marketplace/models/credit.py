"""Lenders' credit products: the terms a lender offers to groups of producers."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import Organization
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class RepaymentSchedule(Vocabulary):
    """Instalments timed to the harvest, or every month."""

    HARVEST = "harvest", _l("En la cosecha")
    MONTHLY = "monthly", _l("Cada mes")


class GraceInterest(Vocabulary):
    """What happens to the interest of the grace months."""

    CAPITALISED = "capitalised", _l("Se suma al saldo y se paga después")
    PAID = "paid", _l("Se paga cada mes durante la gracia")


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
    # the country's cost (TCEA, CAT, E.A.) of a loan of max_amount, from its schedule's flows
    total_cost_bp: Mapped[int]
    term_months: Mapped[int]
    grace_months: Mapped[int] = mapped_column(default=0)
    # capitalised: grace interest is added to the balance; paid: it is paid each month
    grace_interest: Mapped[str] = mapped_column(String(12), default=GraceInterest.CAPITALISED)
    repayment: Mapped[str] = mapped_column(String(10), default=RepaymentSchedule.HARVEST)
    # desgravamen: parts per million of the balance a month (700 = 0.07 %)
    insurance_monthly_ppm: Mapped[int] = mapped_column(default=0)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # charged with each payment
    # interés moratorio: a yearly effective rate on overdue capital, on top of the interest
    late_rate_bp: Mapped[int] = mapped_column(default=0)
    # loan amounts are proposed in multiples of this (1000 = S/ 10.00); 0: to the minor unit
    amount_step_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    requires_offtake: Mapped[bool] = mapped_column(default=False)
    # with offtake: a member's pledged value must cover this share of her harvest-month
    # instalments (10 000 = 100 %)
    collateral_ratio_bp: Mapped[int] = mapped_column(default=10_000)
    budget_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    min_readiness: Mapped[float] = mapped_column(default=0.0)  # 0..1
    # group size: covered members at least min_members; the whole group at most max_members
    min_members: Mapped[int] = mapped_column(default=5)
    max_members: Mapped[int] = mapped_column(default=30)
    # archetype types the product is meant for (matching.profiles.TYPES); empty: any
    target_archetypes: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<CreditProduct {self.id} {self.name!r} active={self.active}>"


class LoanStatus(Vocabulary):
    """approved -> (accepted by the producer) disbursed -> repaid | defaulted; or approved ->
    declined, when she does not accept the schedule."""

    APPROVED = "approved", _l("Aprobado, por desembolsar"), Tone.WARN
    DISBURSED = "disbursed", _l("Desembolsado"), Tone.WARN
    REPAID = "repaid", _l("Pagado por completo"), Tone.OK
    DEFAULTED = "defaulted", _l("En mora"), Tone.BAD
    DECLINED = "declined", _l("No aceptado por el productor"), Tone.NEUTRAL


class Loan(db.Model):
    """A loan to one producer under a credit product, usually from an approved group match."""

    __tablename__ = "loan"
    __table_args__ = (
        Index("ix_loan_producer_status", "producer_id", "status"),
        Index("ix_loan_lender_status", "lender_id", "status"),
        Index("ix_loan_lender_approved", "lender_id", "approved_at", "id"),  # newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"))
    lender_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    credit_product_id: Mapped[int] = mapped_column(ForeignKey("credit_product.id"))
    match_id: Mapped[int | None] = mapped_column(ForeignKey("match.id", ondelete="SET NULL"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    # spent on input orders paid with the loan (never above amount_minor)
    used_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    annual_rate_bp: Mapped[int]
    total_cost_bp: Mapped[int]
    term_months: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=LoanStatus.APPROVED)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disbursed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The producer's answer to the hoja resumen (schedule, cost, charges, prepayment): no
    # money is disbursed or spent before she accepts. `accepted_in_person`: her technician
    # recorded it with her, face to face.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    accepted_in_person: Mapped[bool] = mapped_column(default=False)
    # the capital still owed, kept by the ledger at every repayment (None before
    # disbursement): the portfolio and the product's budget add it up
    balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    # the producer's readiness factors when the loan was approved (matching's
    # readiness.SNAPSHOT_COLUMNS): the model learns from what the lender knew then
    factors_at_grant: Mapped[dict | None] = mapped_column(JSON)

    credit_product: Mapped[CreditProduct] = relationship()
    lender: Mapped[Organization] = relationship()
    repayments: Mapped[list[Repayment]] = relationship(
        back_populates="loan", order_by="Repayment.paid_on"
    )
    instalments: Mapped[list[LoanInstalment]] = relationship(
        back_populates="loan", order_by="LoanInstalment.number"
    )

    @property
    def available_minor(self) -> int:
        """What is left to pay input orders with (nothing before she accepts)."""
        if self.accepted_at is None:
            return 0
        return max(self.amount_minor - self.used_minor, 0)

    @property
    def awaiting_answer(self) -> bool:
        """Approved, and the producer has not yet accepted or declined it."""
        return self.status == LoanStatus.APPROVED and self.accepted_at is None

    def __repr__(self) -> str:
        return f"<Loan {self.id} producer={self.producer_id} {self.status}>"


class RepaymentOutcome(Vocabulary):
    """How an instalment was paid; late and default count against readiness."""

    ON_TIME = "on_time", _l("A tiempo")
    LATE = "late", _l("Con atraso")
    DEFAULT = "default", _l("No pagado")


class Repayment(db.Model):
    """A repayment recorded by the lender (default: nothing paid by the due date)."""

    __tablename__ = "repayment"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date]
    outcome: Mapped[str] = mapped_column(String(10))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    loan: Mapped[Loan] = relationship(back_populates="repayments")

    def __repr__(self) -> str:
        return f"<Repayment {self.id} loan={self.loan_id} {self.outcome}>"


class LoanInstalment(db.Model):
    """One line of a disbursed loan's schedule, fixed at disbursement (the product's terms
    may change later; her schedule does not), and where it stands: the ledger
    (credit/ledger.py) rewrites the `due_*`, `paid_minor` and `paid_on` columns from the
    schedule and every repayment each time one is recorded."""

    __tablename__ = "loan_instalment"
    __table_args__ = (Index("ix_loan_instalment_due", "loan_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id", ondelete="CASCADE"))
    number: Mapped[int]
    month: Mapped[int]  # months after disbursement
    due_on: Mapped[date]
    # as scheduled at disbursement
    capital_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    insurance_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    # as it stands: a prepayment lowers what later instalments owe; paying late adds a charge
    due_minor: Mapped[int] = mapped_column(BigInteger)  # capital, interest, insurance, fee
    late_charge_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_on: Mapped[date | None]  # the day it was paid in full

    loan: Mapped[Loan] = relationship(back_populates="instalments")

    @property
    def scheduled_minor(self) -> int:
        return self.capital_minor + self.interest_minor + self.insurance_minor + self.fee_minor

    @property
    def unpaid_minor(self) -> int:
        return max(self.due_minor + self.late_charge_minor - self.paid_minor, 0)

    def __repr__(self) -> str:
        return f"<LoanInstalment loan={self.loan_id} #{self.number} {self.due_on}>"


class HarvestCalendar(db.Model):
    """The calendar months a harvest-paid loan is repaid in, for one country's value chain:
    the month a season's sales are done. An admin keeps it (credit/harvests.py)."""

    __tablename__ = "harvest_calendar"
    __table_args__ = (UniqueConstraint("country", "value_chain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    value_chain: Mapped[str] = mapped_column(String(20))
    months: Mapped[list[int]] = mapped_column(JSON, default=list)  # 1..12, ascending
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    def __repr__(self) -> str:
        return f"<HarvestCalendar {self.country} {self.value_chain} {self.months}>"
