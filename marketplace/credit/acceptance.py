"""The producer's answer to an approved loan: she reads its hoja resumen (the schedule, the
total cost, what paying late costs, her right to prepay) and accepts or declines. Until she
accepts, nothing is disbursed and nothing can be spent on inputs.

She answers from her own account, or her cooperative's technician records her answer with
her, in person (many producers reach Minka only through a technician); the record says which.
The answer is one conditional UPDATE (still approved, still unanswered), so a double tap or a
technician and the producer at once record one answer; it is audit-logged and the lender told.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from marketplace import audit
from marketplace.credit import loan_terms
from marketplace.credit.schedules import Schedule
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import Loan, LoanStatus, Producer, User
from marketplace.models.base import utcnow
from marketplace.notifications.services import notify_organization
from marketplace.producers import permissions as producer_permissions

ANSWERED = _l("Este préstamo ya fue aceptado o rechazado.")


def _check(actor: User, loan: Loan) -> Producer:
    producer = db.session.get(Producer, loan.producer_id)
    if producer is None or not producer_permissions.can_edit(actor, producer):
        raise DomainError(_l("Solo el productor o su técnico pueden responder a este préstamo."))
    if not loan.awaiting_answer:
        raise DomainError(ANSWERED)
    return producer


def _answer(loan: Loan, **values) -> None:
    result = db.session.execute(
        update(Loan)
        .where(
            Loan.id == loan.id,
            Loan.status == LoanStatus.APPROVED,
            Loan.accepted_at.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(ANSWERED)


def accept(actor: User, loan: Loan) -> Loan:
    """She accepts the schedule and cost: the loan may now be disbursed and spent."""
    return _respond(actor, loan, "credit.loan_accepted", accepted=True)


def decline(actor: User, loan: Loan) -> Loan:
    """She does not take the loan: it closes as declined, and the lender is told."""
    return _respond(actor, loan, "credit.loan_declined", accepted=False)


def _respond(actor: User, loan: Loan, action: str, accepted: bool) -> Loan:
    producer = _check(actor, loan)
    in_person = actor.id != producer.user_id
    schedule = loan_terms.loan_schedule(loan, producer)
    if accepted:
        _answer(loan, accepted_at=utcnow(), accepted_by_id=actor.id, accepted_in_person=in_person)
    else:
        _answer(loan, status=LoanStatus.DECLINED, closed_at=utcnow())
    _record(actor, loan, action, schedule, in_person)
    db.session.commit()
    db.session.refresh(loan)
    return loan


def _record(actor: User, loan: Loan, action: str, schedule: Schedule, in_person: bool) -> None:
    audit.record(
        actor,
        action,
        loan,
        producer=loan.producer_id,
        in_person=in_person,
        amount_minor=loan.amount_minor,
        total_minor=schedule.total_paid_minor,
        payments=len(schedule.payments),
        currency=loan.currency,
    )
    notify_organization(
        loan.lender_id,
        "loan.accepted" if action == "credit.loan_accepted" else "loan.declined",
        link=path_for("credit.loan", loan_id=loan.id),
        loan=loan.id,
    )
