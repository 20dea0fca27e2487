"""A lender's loans after approval: disbursement, repayments, and closing (repaid or default).

Every change of status is one conditional UPDATE from the expected prior status, so two
requests at once cannot both move a loan; every change is audit-logged.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from marketplace import audit, shared
from marketplace.credit import balances
from marketplace.credit.ledger import Ledger
from marketplace.credit.permissions import can_manage_loan
from marketplace.credit.review import HIDDEN_NAME, consenting
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.models import Loan, LoanStatus, Producer, Repayment, RepaymentOutcome, User
from marketplace.models.base import local_date, local_today, utcnow

PAGE_SIZE = 25
NOT_DISBURSED = _l("Solo se registran pagos de un préstamo desembolsado y no cerrado.")
CHANGED = _l("El préstamo cambió mientras tanto; vuelva a cargar la página.")
PAYMENT, DEFAULT = "payment", "default"
KINDS = (PAYMENT, DEFAULT)
NOT_ACCEPTED = _l(
    "El productor todavía no aceptó el cronograma y el costo: no se puede desembolsar."
)


def _lender_loans(org_id: int, status: str = ""):
    query = select(Loan).where(Loan.lender_id == org_id)
    if status in {s.value for s in LoanStatus}:
        query = query.where(Loan.status == status)
    return query


def loans_page(org_id: int, status: str = "", page: int = 1):
    """One page of the lender's loans, newest first, optionally of one status."""
    query = _lender_loans(org_id, status).order_by(Loan.approved_at.desc(), Loan.id.desc())
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def loan_totals(org_id: int, status: str = "") -> list[tuple[str, int, int]]:
    """(currency, loans, amount lent) of the lender's loans, optionally of one status: over
    the whole book, so reused for MINKA_COUNTS_CACHE_SECONDS like the portfolio above them."""

    def totals() -> list[tuple[str, int, int]]:
        listed = _lender_loans(org_id, status).subquery()
        rows = db.session.execute(
            select(listed.c.currency, func.count(), func.sum(listed.c.amount_minor))
            .group_by(listed.c.currency)
            .order_by(listed.c.currency)
        )
        return [(currency, count, int(total or 0)) for currency, count, total in rows]

    status = status if status in {s.value for s in LoanStatus} else ""  # a bounded key
    seconds = current_app.config.get("MINKA_COUNTS_CACHE_SECONDS", 0)
    return shared.cached(f"loan-totals:{org_id}:{status}", seconds, totals)


def borrower_names(page_loans: list[Loan]) -> dict[int, str]:
    """producer id -> what the lender sees of the borrower: her name while she shares her
    details with lenders, "Productor/a sin consentimiento" once she revokes it (as on the
    group pages); two queries for a page."""
    ids = {loan.producer_id for loan in page_loans}
    if not ids:
        return {}
    shared = consenting(list(ids))
    rows = db.session.scalars(select(Producer).where(Producer.id.in_(ids)))
    return {
        producer.id: producer.full_name if producer.id in shared else str(HIDDEN_NAME)
        for producer in rows
    }


def producer_of(loan: Loan) -> Producer:
    """Who borrowed, for the schedule's harvest months; never shown as such (see
    borrower_names)."""
    return db.session.get(Producer, loan.producer_id)


def repaid_minor(loan: Loan) -> int:
    """What the producer has paid back so far."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Repayment.amount_minor), 0)).where(
            Repayment.loan_id == loan.id
        )
    )
    return int(total)  # PostgreSQL sums bigints as numeric


def payoff_minor(loan: Loan, on: date | None = None) -> int:
    """What closes a disbursed loan on ``on`` (today): everything due with its late
    charges, the next instalment's interest, insurance and fee, and the capital left."""
    standing = balances.ledger_of(loan, on)
    return standing.payoff_minor if standing is not None else 0


def _check_owner(actor: User, loan: Loan) -> None:
    if not can_manage_loan(actor, loan):
        raise DomainError(_l("Este préstamo es de otra entidad."))


def _move(loan: Loan, before: str, after: str, *also, **values) -> None:
    """Change the loan's status if it still is `before` (and `also` holds); refuse otherwise."""
    result = db.session.execute(
        update(Loan)
        .where(Loan.id == loan.id, Loan.status == before, *also)
        .values(status=after, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(CHANGED)


def disburse(actor: User, loan: Loan) -> Loan:
    """Record that the money reached the producer (approved -> disbursed)."""
    _check_owner(actor, loan)
    if loan.status != LoanStatus.APPROVED:
        raise DomainError(_l("Solo se desembolsa un préstamo aprobado."))
    if loan.accepted_at is None:
        raise DomainError(NOT_ACCEPTED)
    _move(
        loan,
        LoanStatus.APPROVED,
        LoanStatus.DISBURSED,
        Loan.accepted_at.is_not(None),
        disbursed_at=utcnow(),
    )
    db.session.refresh(loan)
    balances.fix_schedule(loan)
    audit.record(
        actor,
        "credit.loan_disbursed",
        loan,
        amount_minor=loan.amount_minor,
        currency=loan.currency,
    )
    db.session.commit()
    return loan


def _close_if_paid(actor: User, loan: Loan, standing: Ledger | None) -> None:
    """A loan whose ledger shows nothing left to pay closes as repaid."""
    if standing is None or not standing.fully_paid:
        return
    _move(loan, LoanStatus.DISBURSED, LoanStatus.REPAID, closed_at=utcnow())
    audit.record(
        actor,
        "credit.loan_repaid",
        loan,
        repaid_minor=standing.paid_minor,
        currency=loan.currency,
    )


def _repayment_problems(
    loan: Loan, amount_minor: int | None, paid_on: date | None, kind: str
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if kind not in KINDS:
        problems["outcome"] = _l("Elija si es un pago o un impago.")
    if amount_minor is None:
        problems["amount"] = _l("Este dato es obligatorio.")
    elif amount_minor < 0:
        problems["amount"] = _l("El monto no puede ser negativo.")
    elif amount_minor == 0 and kind != DEFAULT:
        problems["amount"] = _l("Escriba un monto mayor que 0 (0 solo para un impago).")
    if paid_on is None:
        problems["paid_on"] = _l("Este dato es obligatorio.")
    elif paid_on > local_today():
        problems["paid_on"] = _l("La fecha no puede ser futura.")
    elif loan.disbursed_at is not None and paid_on < local_date(loan.disbursed_at):
        problems["paid_on"] = _l("La fecha es anterior al desembolso.")
    if not problems and amount_minor > (payoff := payoff_minor(loan, paid_on)):
        problems["amount"] = _l(
            "El monto pasa lo que cierra el préstamo ese día (%(payoff)s); revise los ceros.",
            payoff=money(payoff, loan.currency),
        )
    return problems


def record_repayment(
    actor: User, loan: Loan, amount_minor: int | None, paid_on: date | None, kind: str
) -> Repayment:
    """Record a repayment of a disbursed loan (``kind`` PAYMENT) or that she will not pay
    (DEFAULT, which closes the loan as defaulted). The ledger says whether a payment came
    late, applies it oldest instalment first, and closes the loan once nothing is owed."""
    _check_owner(actor, loan)
    if loan.status != LoanStatus.DISBURSED:
        raise DomainError(NOT_DISBURSED)
    problems = _repayment_problems(loan, amount_minor, paid_on, kind)
    if problems:
        raise InvalidInput(problems)
    if kind == DEFAULT:
        _move(loan, LoanStatus.DISBURSED, LoanStatus.DEFAULTED, closed_at=utcnow())
        outcome = RepaymentOutcome.DEFAULT
    else:
        outcome = outcome_of(loan, paid_on)
    repayment = add_repayment(actor, loan, amount_minor, paid_on, outcome, kind == PAYMENT)
    audit.record(
        actor,
        "credit.repayment_recorded",
        loan,
        repayment=repayment.id,
        amount_minor=amount_minor,
        currency=loan.currency,
        paid_on=paid_on.isoformat(),
        outcome=outcome,
    )
    db.session.commit()
    return repayment


def outcome_of(loan: Loan, paid_on: date) -> str:
    """On time, or late when an instalment due before ``paid_on`` is still unpaid."""
    standing = balances.ledger_of(loan, paid_on, extra=(paid_on, 0))
    late = standing is not None and standing.late_repayments[-1]
    return RepaymentOutcome.LATE if late else RepaymentOutcome.ON_TIME


def add_repayment(
    actor: User, loan: Loan, amount_minor: int, paid_on: date, outcome: str, close: bool = True
) -> Repayment:
    """Store a repayment and bring the ledger up to date; with ``close``, a loan with
    nothing left to pay closes as repaid."""
    repayment = Repayment(
        loan_id=loan.id,
        amount_minor=amount_minor,
        paid_on=paid_on,
        outcome=outcome,
        recorded_by_id=actor.id,
    )
    db.session.add(repayment)
    db.session.flush()
    standing = balances.refresh(loan)
    if close:
        _close_if_paid(actor, loan, standing)
    return repayment
