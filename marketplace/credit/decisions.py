"""A lender's decisions on a group matched to its products: approve (a loan per member,
within the product's limits and remaining budget), decline with a reason, ask for information.

Each decision moves the match out of an open status with one conditional UPDATE, so of two
requests deciding at once only one changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from marketplace import audit
from marketplace.credit import loan_terms, usury
from marketplace.credit.permissions import can_decide
from marketplace.credit.review import ALREADY_DECIDED, OPEN, consenting
from marketplace.credit.schedules import rate_bp
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import (
    Assessment,
    CreditProduct,
    Loan,
    LoanStatus,
    Match,
    MatchStatus,
    Organization,
    Producer,
    Role,
    User,
)
from marketplace.models.base import utcnow
from marketplace.notifications.services import notify_organization, notify_user

ACTIVE_LOAN = (LoanStatus.APPROVED, LoanStatus.DISBURSED)
MAX_TEXT = 1000


def _check_open(actor: User, match: Match) -> Organization:
    if not can_decide(actor, match):
        raise DomainError(_l("Este grupo es de otra entidad."))
    if match.status not in OPEN:
        raise DomainError(ALREADY_DECIDED)
    return actor.organization


def _claim(actor: User, match: Match, status: str, reason: str | None = None) -> None:
    """Move an open match to `status` in one conditional UPDATE: of two requests deciding at
    once, the second finds it decided and changes nothing."""
    result = db.session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status.in_(OPEN))
        .values(status=status, reason=reason, decided_by_id=actor.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(ALREADY_DECIDED)


def _text(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput({name: _l("Este dato es obligatorio.")})
    if len(text) > MAX_TEXT:
        raise InvalidInput({name: _l("Use como máximo 1000 caracteres.")})
    return text


def decline(actor: User, match: Match, reason: str | None) -> Match:
    """Decline a group, with the reason (required)."""
    _check_open(actor, match)
    reason = _text(reason, "reason")
    _claim(actor, match, MatchStatus.DECLINED, reason)
    audit.record(actor, "credit.match_declined", match, group=match.cluster.code, reason=reason)
    _notify_members(match, "credit.group_declined")
    db.session.commit()
    return match


def request_info(actor: User, match: Match, message: str | None) -> Match:
    """Ask the members' cooperatives and Minka's admins for information about a group."""
    org = _check_open(actor, match)
    message = _text(message, "message")
    _claim(actor, match, MatchStatus.INFO_REQUESTED, message)
    params = {"lender": org.name, "group": match.cluster.code, "message": message}
    cooperatives = db.session.scalars(
        select(Producer.cooperative_id)
        .join(Assessment, Assessment.producer_id == Producer.id)
        .where(Assessment.cluster_id == match.cluster_id, Producer.cooperative_id.is_not(None))
        .distinct()
    )
    for cooperative_id in cooperatives:
        notify_organization(cooperative_id, "credit.info_requested", **params)
    for admin_id in db.session.scalars(select(User.id).where(User.role == Role.ADMIN)):
        notify_user(admin_id, "credit.info_requested", **params)
    audit.record(actor, "credit.info_requested", match, group=match.cluster.code, message=message)
    db.session.commit()
    return match


@dataclass
class Candidate:
    """A consenting member who may get a loan, with the amount proposed."""

    producer_id: int
    name: str
    requested_minor: int
    default_minor: int


@dataclass
class Approval:
    """Who can get a loan in a group, and who cannot (counts only)."""

    candidates: list[Candidate]
    without_consent: int
    with_active_loan: int


def approval(match: Match) -> Approval:
    """The members an approval would lend to: a live consent and no loan in course; the
    default amount is what they asked for, brought within the product's limits."""
    product = match.credit_product
    rows = db.session.execute(
        select(Assessment.producer_id, Assessment.requested_minor, Producer)
        .join(Producer, Producer.id == Assessment.producer_id)
        .where(Assessment.cluster_id == match.cluster_id)
        .order_by(Producer.last_name, Producer.first_name, Producer.id)
    ).all()
    allowed = consenting([r.producer_id for r in rows])
    busy = set(
        db.session.scalars(
            select(Loan.producer_id).where(
                Loan.producer_id.in_([r.producer_id for r in rows]),
                Loan.status.in_(ACTIVE_LOAN),
            )
        )
    )
    candidates = [
        Candidate(
            producer_id=r.producer_id,
            name=r.Producer.full_name,
            requested_minor=r.requested_minor,
            default_minor=min(
                max(r.requested_minor, product.min_amount_minor), product.max_amount_minor
            ),
        )
        for r in rows
        if r.producer_id in allowed and r.producer_id not in busy
    ]
    return Approval(
        candidates=candidates,
        without_consent=sum(r.producer_id not in allowed for r in rows),
        with_active_loan=sum(r.producer_id in allowed and r.producer_id in busy for r in rows),
    )


def amount_field(producer_id: int) -> str:
    """The approval form's field for one member's amount."""
    return f"amount_{producer_id}"


def _amount_problems(product: CreditProduct, amounts: dict[int, int | None]) -> dict[str, str]:
    problems = {}
    for producer_id, amount in amounts.items():
        if amount is not None and not (
            product.min_amount_minor <= amount <= product.max_amount_minor
        ):
            problems[amount_field(producer_id)] = _l(
                "El monto debe estar entre el mínimo y el máximo del producto."
            )
    if not problems and not any(a is not None for a in amounts.values()):
        problems["amounts"] = _l("Indique el monto de al menos un productor o productora.")
    return problems


def remaining_budget(product_id: int) -> int:
    """The product's budget minus every loan approved under it."""
    budget, lent = db.session.execute(
        select(
            CreditProduct.budget_minor,
            select(func.coalesce(func.sum(Loan.amount_minor), 0))
            .where(Loan.credit_product_id == product_id)
            .scalar_subquery(),
        ).where(CreditProduct.id == product_id)
    ).one()
    return budget - int(lent)  # PostgreSQL sums bigints as numeric


def _lock_product(product_id: int) -> None:
    """Serialise approvals under one product (PostgreSQL row lock; SQLite has one writer)."""
    db.session.execute(
        select(CreditProduct.id).where(CreditProduct.id == product_id).with_for_update()
    )


def _check_members_and_budget(
    match: Match, product: CreditProduct, amounts: dict[int, int | None]
) -> None:
    allowed = {c.producer_id for c in approval(match).candidates}
    if set(amounts) - allowed:
        raise DomainError(
            _l("Algunos miembros ya no pueden recibir un préstamo; revise el formulario.")
        )
    total = sum(a for a in amounts.values() if a is not None)
    if total > remaining_budget(product.id):
        raise InvalidInput({"amounts": _l("La suma pasa el presupuesto que le queda al producto.")})


def _check_terms(actor: User, match: Match, amounts: dict[int, int | None]) -> CreditProduct:
    """The checks that need no lock: the group still open, the product active, each amount
    within its limits. The group's product."""
    _check_open(actor, match)
    product = match.credit_product
    if not product.active:
        raise DomainError(_l("El producto de este grupo ya no está activo; actívelo para aprobar."))
    problems = _amount_problems(product, amounts) or _usury_problems(product, amounts)
    if problems:
        raise InvalidInput(problems)
    return product


def _usury_problems(product: CreditProduct, amounts: dict[int, int | None]) -> dict[str, str]:
    """Loans whose own cost passes Colombia's usury ceiling in force (credit/usury.py)."""
    ceiling = usury.current() if usury.applies(product.coverage_country) else None
    if ceiling is None:
        return {}
    problems = {}
    for producer_id, amount in amounts.items():
        cost_bp = loan_cost_bp(product, amount) if amount is not None else 0
        if usury.above(cost_bp, ceiling):
            problems[amount_field(producer_id)] = usury.refusal(cost_bp, ceiling)
    return problems


def check_approval(actor: User, match: Match, amounts: dict[int, int | None]) -> None:
    """Everything `approve` would refuse, without writing: run before asking the lender to
    confirm the loans (approve checks again, under the product's lock)."""
    product = _check_terms(actor, match, amounts)
    _check_members_and_budget(match, product, amounts)


def approve(actor: User, match: Match, amounts: dict[int, int | None]) -> list[Loan]:
    """Approve a group: one loan per member given an amount (None: no loan for that member).

    Only consenting members without a loan in course may get one; each amount within the
    product's limits and their sum within the product's remaining budget.
    """
    product = _check_terms(actor, match, amounts)
    # Claim first: the checks below then see what the request that won before us wrote.
    _claim(actor, match, MatchStatus.APPROVED)
    _lock_product(product.id)
    try:
        _check_members_and_budget(match, product, amounts)
    except DomainError:
        db.session.rollback()
        raise
    total = sum(a for a in amounts.values() if a is not None)
    loans = [
        Loan(
            producer_id=producer_id,
            lender_id=match.lender_id,
            credit_product_id=product.id,
            match_id=match.id,
            amount_minor=amount,
            currency=product.currency,
            annual_rate_bp=product.annual_rate_bp,
            total_cost_bp=loan_cost_bp(product, amount),
            term_months=product.term_months,
            status=LoanStatus.APPROVED,
            approved_by_id=actor.id,
        )
        for producer_id, amount in sorted(amounts.items())
        if amount is not None
    ]
    db.session.add_all(loans)
    db.session.flush()
    audit.record(
        actor,
        "credit.match_approved",
        match,
        group=match.cluster.code,
        loans=[loan.id for loan in loans],
        total_minor=total,
        currency=product.currency,
    )
    _notify_members(match, "credit.loan_approved", only=[loan.producer_id for loan in loans])
    db.session.commit()
    return loans


def _notify_members(match: Match, kind: str, only: list[int] | None = None) -> None:
    """Tell the group's members who have an account (or only those in `only`)."""
    query = (
        select(Producer.user_id)
        .join(Assessment, Assessment.producer_id == Producer.id)
        .where(Assessment.cluster_id == match.cluster_id, Producer.user_id.is_not(None))
    )
    if only is not None:
        query = query.where(Producer.id.in_(only))
    for user_id in db.session.scalars(query):
        notify_user(user_id, kind, link=path_for("credit.mine"), lender=match.lender.name)


def loan_cost_bp(product: CreditProduct, amount_minor: int) -> int:
    """The loan's own cost: from its schedule for this amount (fixed fees weigh more on
    small loans than the product's figure, computed at its maximum, says)."""
    schedule = loan_terms.schedule_for(product, amount_minor)
    return rate_bp(loan_terms.cost_of(product, schedule).rate)
