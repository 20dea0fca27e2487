"""Instalment reminders by SMS: due in three days, and overdue (again each week it stays so).

Each reminder has a key (instalment, kind, and for overdue ones the week), unique in the
outbox, so running the command twice a day, or every hour, queues each reminder once.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Loan, LoanInstalment, LoanStatus, Producer
from marketplace.models.base import local_today
from marketplace.sms import outbox

DAYS_AHEAD = 3


def _owing(instalment: LoanInstalment) -> int:
    return instalment.due_minor + instalment.late_charge_minor - instalment.paid_minor


def _reminder(instalment: LoanInstalment, today: date) -> tuple[str, str] | None:
    """(kind, key) of the reminder `instalment` calls for today, or None."""
    if instalment.due_on == today + timedelta(days=DAYS_AHEAD):
        return "loan.instalment_due", f"instalment-due:{instalment.id}"
    if instalment.due_on < today:
        week = (today - instalment.due_on).days // 7
        return "loan.instalment_overdue", f"instalment-overdue:{instalment.id}:{week}"
    return None


def queue_reminders(today: date | None = None, *, send_after_commit: bool = True) -> int:
    """Queue the reminders due today to producers who opted in; how many were queued.

    With `send_after_commit=False` they are not sent once committed (a thread or the RQ
    queue): the caller sends them with `outbox.drain`."""
    today = today or local_today()
    rows = db.session.execute(
        select(LoanInstalment, Loan, Producer)
        .join(Loan, Loan.id == LoanInstalment.loan_id)
        .join(Producer, Producer.id == Loan.producer_id)
        .where(
            Loan.status.in_([LoanStatus.DISBURSED, LoanStatus.DEFAULTED]),
            LoanInstalment.paid_on.is_(None),
            LoanInstalment.due_on <= today + timedelta(days=DAYS_AHEAD),
            Producer.erased_at.is_(None),
        )
        .order_by(LoanInstalment.due_on, LoanInstalment.id)
    ).all()
    queued = 0
    for instalment, loan, producer in rows:
        reminder = _reminder(instalment, today)
        owing = _owing(instalment)
        if reminder is None or owing <= 0:
            continue
        kind, key = reminder
        params = {
            "number": instalment.number,
            "loan": loan.id,
            "amount": {"minor": owing, "currency": loan.currency},
            "date": instalment.due_on.isoformat(),
        }
        queued += len(outbox.for_producer(producer, kind, params, dedupe_key=key))
    if not send_after_commit:
        outbox.leave_to_caller()
    db.session.commit()
    return queued
