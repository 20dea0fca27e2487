"""Paying input orders with a loan: which loans a producer may spend, taking an order's total
from a loan and giving it back when the order is cancelled.

The balance changes only through conditional UPDATEs checked by their row count (``used +
total <= amount``), never read-then-write, so two orders racing for the last of a loan's
balance cannot both win. The caller owns the transaction (orders.services).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.models import Loan, LoanStatus, Producer

SPENDABLE = (LoanStatus.APPROVED.value, LoanStatus.DISBURSED.value)
FIELD = "payment_method"


def spendable_loans(producer: Producer, currency: str | None = None) -> list[Loan]:
    """The producer's approved or disbursed loans with balance left (in `currency`)."""
    query = (
        select(Loan)
        .options(joinedload(Loan.lender))
        .where(
            Loan.producer_id == producer.id,
            Loan.status.in_(SPENDABLE),
            Loan.accepted_at.is_not(None),
            Loan.used_minor < Loan.amount_minor,
        )
        .order_by(Loan.approved_at, Loan.id)
    )
    if currency is not None:
        query = query.where(Loan.currency == currency)
    return list(db.session.scalars(query))


def check_loan(producer: Producer, loan_id: object, total_minor: int, currency: str) -> Loan:
    """The producer's loan that can pay `total_minor` now; a DomainError saying why not."""
    loan = db.session.get(Loan, loan_id, populate_existing=True) if _is_id(loan_id) else None
    if loan is None or loan.producer_id != producer.id:
        raise DomainError(_l("Elija uno de sus préstamos de la lista."), FIELD)
    if loan.status not in SPENDABLE:
        raise DomainError(_l("Ese préstamo ya no se puede usar para pagar pedidos."), FIELD)
    if loan.accepted_at is None:
        raise DomainError(_l("Primero acepte el préstamo en «Mi crédito»."), FIELD)
    if loan.currency != currency:
        raise DomainError(
            _l(
                "Ese préstamo es en %(loan)s y este pedido en %(order)s: pague de otra forma.",
                loan=loan.currency,
                order=currency,
            ),
            FIELD,
        )
    if total_minor > loan.available_minor:
        raise DomainError(_short_message(loan, total_minor), FIELD)
    return loan


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _short_message(loan: Loan, total_minor: int):
    return _l(
        "A su préstamo le quedan %(available)s y el pedido cuesta %(total)s: pida menos o "
        "pague de otra forma.",
        available=money(loan.available_minor, loan.currency),
        total=money(total_minor, loan.currency),
    )


def take(loan_id: int, producer_id: int, currency: str, amount_minor: int) -> bool:
    """Spend `amount_minor` of the loan in one conditional UPDATE; False when it cannot
    (balance short, loan closed, not the producer's, other currency)."""
    result = db.session.execute(
        update(Loan)
        .where(
            Loan.id == loan_id,
            Loan.producer_id == producer_id,
            Loan.currency == currency,
            Loan.status.in_(SPENDABLE),
            Loan.accepted_at.is_not(None),
            Loan.used_minor + amount_minor <= Loan.amount_minor,
        )
        .values(used_minor=Loan.used_minor + amount_minor)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def refusal(loan_id: int, producer: Producer, total_minor: int, currency: str) -> DomainError:
    """After a failed `take`: why the loan could not pay (read again, after the rollback)."""
    try:
        check_loan(producer, loan_id, total_minor, currency)
    except DomainError as error:
        return error
    loan = db.session.get(Loan, loan_id)
    return DomainError(_short_message(loan, total_minor), FIELD)


def give_back(loan_id: int, amount_minor: int) -> None:
    """Return a cancelled order's total to the loan it was taken from."""
    db.session.execute(
        update(Loan)
        .where(Loan.id == loan_id, Loan.used_minor >= amount_minor)
        .values(used_minor=Loan.used_minor - amount_minor)
        .execution_options(synchronize_session=False)
    )
