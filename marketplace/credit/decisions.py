"""A lender's decisions on a group matched to its products: approve (a loan per member,
within the product's limits and remaining budget), decline with a reason, ask for information.

Each decision moves the match out of an open status with one conditional UPDATE, so of two
requests deciding at once only one changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace import audit
from marketplace.credit import budgets, loan_terms, proposals, usury
from marketplace.credit.frames import grant_snapshot
from marketplace.credit.permissions import can_decide
from marketplace.credit.proposals import Proposal
from marketplace.credit.review import ALREADY_DECIDED, OPEN, consenting
from marketplace.credit.schedules import rate_bp
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.i18n import money
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
from marketplace.notifications.services import (
    notify_organization,
    notify_producer,
    notify_user,
)

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
    """A consenting member who may get a loan, with the proposal for her."""

    producer_id: int
    name: str
    proposal: Proposal

    @property
    def requested_minor(self) -> int:
        return self.proposal.requested_minor

    @property
    def default_minor(self) -> int | None:
        return self.proposal.amount_minor


@dataclass
class Approval:
    """Who can get a loan in a group, and who cannot (counts, and what was proposed for
    them): the proposals' total less what cannot be lent now is the approvable total."""

    candidates: list[Candidate]
    without_consent: int
    with_active_loan: int
    below_minimum: int = 0
    outside_coverage: int = 0  # live outside the product's coverage (the run's reason)
    proposals: dict[int, Proposal] = field(default_factory=dict)
    withheld_minor: dict[str, int] = field(default_factory=dict)

    @property
    def total_minor(self) -> int:
        """What approving every candidate at her proposal would lend."""
        return sum(c.default_minor for c in self.candidates)

    @property
    def totals(self) -> proposals.Totals:
        """Every member's proposal added up (consent or not)."""
        return proposals.totals(self.proposals.values())


def _busy(producer_ids: list[int]) -> set[int]:
    """Which of these producers have a loan in course."""
    return set(
        db.session.scalars(
            select(Loan.producer_id).where(
                Loan.producer_id.in_(producer_ids), Loan.status.in_(ACTIVE_LOAN)
            )
        )
    )


def approval(match: Match) -> Approval:
    """The members an approval would lend to: a live consent, no loan in course and a
    proposal under the product (credit.proposals), which is the default amount."""
    rows = db.session.execute(
        select(Assessment.producer_id, Producer)
        .join(Producer, Producer.id == Assessment.producer_id)
        .where(Assessment.cluster_id == match.cluster_id)
        .order_by(Producer.last_name, Producer.first_name, Producer.id)
    ).all()
    ids = [r.producer_id for r in rows]
    allowed, busy = consenting(ids), _busy(ids)
    proposed = proposals.for_match(match)
    open_to = [r for r in rows if r.producer_id in allowed and r.producer_id not in busy]
    withheld = {
        "without_consent": sum(proposed[i].amount_minor or 0 for i in ids if i not in allowed),
        "with_active_loan": sum(
            proposed[i].amount_minor or 0 for i in ids if i in allowed and i in busy
        ),
    }
    return Approval(
        candidates=[
            Candidate(r.producer_id, r.Producer.full_name, proposed[r.producer_id])
            for r in open_to
            if proposed[r.producer_id].proposable
        ],
        without_consent=sum(i not in allowed for i in ids),
        with_active_loan=sum(i in allowed and i in busy for i in ids),
        below_minimum=sum(
            proposals.BELOW_MINIMUM in proposed[r.producer_id].reasons for r in open_to
        ),
        outside_coverage=sum(
            proposals.OUTSIDE_COVERAGE in proposed[r.producer_id].reasons for r in open_to
        ),
        proposals=proposed,
        withheld_minor=withheld,
    )


def amount_field(producer_id: int) -> str:
    """The approval form's field for one member's amount."""
    return f"amount_{producer_id}"


def _amount_problem(product: CreditProduct, amount: int, proposal: Proposal | None):
    """Why this amount cannot be lent to her (None: it can)."""
    if not product.min_amount_minor <= amount <= product.max_amount_minor:
        return _l("El monto debe estar entre el mínimo y el máximo del producto.")
    step = product.amount_step_minor or 0
    if step and amount % step:
        return _l("Use un múltiplo de %(step)s.", step=money(step, product.currency))
    limit = proposal.affordable_minor if proposal is not None else None
    if limit is not None and amount > limit:
        return _l(
            "Pasa su capacidad de pago: como máximo %(limit)s.",
            limit=money(proposals.round_down(limit, step), product.currency),
        )
    return None


def _amount_problems(match: Match, amounts: dict[int, int | None]) -> dict[str, str]:
    product = match.credit_product
    proposed = proposals.for_match(match)
    problems = {}
    for producer_id, amount in amounts.items():
        if amount is not None:
            problem = _amount_problem(product, amount, proposed.get(producer_id))
            if problem is not None:
                problems[amount_field(producer_id)] = problem
    if not problems and not any(a is not None for a in amounts.values()):
        problems["amounts"] = _l("Indique el monto de al menos un productor o productora.")
    return problems


def remaining_budget(product_id: int) -> int:
    """What the product can still approve (credit/budgets.py: a cap on what is out)."""
    return budgets.remaining_minor(product_id)


def budget_shortfall(plan: Approval, match: Match) -> tuple[int, int] | None:
    """(left, asked) when the product's remaining budget cannot cover the amounts the
    approval `plan` of `match` proposes; None when it can."""
    asked = plan.total_minor
    left = remaining_budget(match.credit_product_id)
    return (left, asked) if asked > left else None


def _lock_product(product_id: int) -> None:
    """Serialise approvals under one product (PostgreSQL row lock; SQLite has one writer)."""
    db.session.execute(
        select(CreditProduct.id).where(CreditProduct.id == product_id).with_for_update()
    )


def exclusion_field(producer_id: int) -> str:
    """The approval form's field for the reason a member is left out."""
    return f"exclude_reason_{producer_id}"


def _exclusion_reasons(
    amounts: dict[int, int | None], excluded: dict[int, str | None]
) -> dict[int, str]:
    """Each excluded member's reason, checked: required, short, and no amount beside it."""
    reasons, problems = {}, {}
    for producer_id, reason in excluded.items():
        text = (reason or "").strip()
        if not text:
            problems[exclusion_field(producer_id)] = _l("Diga por qué excluye a este miembro.")
        elif len(text) > MAX_TEXT:
            problems[exclusion_field(producer_id)] = _l("Use como máximo 1000 caracteres.")
        if amounts.get(producer_id) is not None:
            problems[amount_field(producer_id)] = _l("Un miembro excluido no recibe un préstamo.")
        reasons[producer_id] = text
    if problems:
        raise InvalidInput(problems)
    return reasons


def _check_members_and_budget(
    match: Match,
    product: CreditProduct,
    amounts: dict[int, int | None],
    excluded: dict[int, str] | None = None,
) -> None:
    allowed = {c.producer_id for c in approval(match).candidates}
    if (set(amounts) | set(excluded or {})) - allowed:
        raise DomainError(
            _l("Algunos miembros ya no pueden recibir un préstamo; revise el formulario.")
        )
    total = sum(a for a in amounts.values() if a is not None)
    if total > remaining_budget(product.id):
        raise InvalidInput({"amounts": _l("La suma pasa el presupuesto que le queda al producto.")})


def _check_terms(
    actor: User, match: Match, amounts: dict[int, int | None], excluded: dict[int, str | None]
) -> tuple[CreditProduct, dict[int, str]]:
    """The checks that need no lock: the group still open, the product active, each amount
    within its limits, each exclusion with its reason. The product and the reasons."""
    _check_open(actor, match)
    reasons = _exclusion_reasons(amounts, excluded)
    product = match.credit_product
    if not product.active:
        raise DomainError(_l("El producto de este grupo ya no está activo; actívelo para aprobar."))
    problems = _amount_problems(match, amounts) or _usury_problems(product, amounts)
    if problems:
        raise InvalidInput(problems)
    return product, reasons


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


def check_approval(
    actor: User,
    match: Match,
    amounts: dict[int, int | None],
    excluded: dict[int, str | None] | None = None,
) -> None:
    """Everything `approve` would refuse, without writing: run before asking the lender to
    confirm the loans (approve checks again, under the product's lock)."""
    product, reasons = _check_terms(actor, match, amounts, excluded or {})
    _check_members_and_budget(match, product, amounts, reasons)


def approve(
    actor: User,
    match: Match,
    amounts: dict[int, int | None],
    excluded: dict[int, str | None] | None = None,
) -> list[Loan]:
    """Approve a group: one loan per member given an amount (None: no loan for that member);
    `excluded` members (with the reason, required) get none, and each exclusion is audited.

    Only consenting members without a loan in course may get one; each amount within the
    product's limits and her capacity to pay, and their sum within the product's remaining
    budget.
    """
    product, reasons = _check_terms(actor, match, amounts, excluded or {})
    # Claim first: the checks below then see what the request that won before us wrote.
    _claim(actor, match, MatchStatus.APPROVED)
    _lock_product(product.id)
    try:
        _check_members_and_budget(match, product, amounts, reasons)
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
            # what the lender knew at approval: the readiness model learns from it
            factors_at_grant=grant_snapshot(db.session.get(Producer, producer_id)),
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
        excluded=sorted(reasons),
    )
    _record_exclusions(actor, match, reasons)
    _notify_members(match, "credit.loan_approved", only=[loan.producer_id for loan in loans])
    db.session.commit()
    return loans


def _record_exclusions(actor: User, match: Match, reasons: dict[int, str]) -> None:
    for producer_id, reason in sorted(reasons.items()):
        producer = db.session.get(Producer, producer_id)
        audit.record(
            actor,
            "credit.member_excluded",
            producer,
            match=match.id,
            group=match.cluster.code,
            reason=reason,
        )


def _notify_members(match: Match, kind: str, only: list[int] | None = None) -> None:
    """Tell the group's members (or only those in `only`): in the app those with an account,
    by SMS those who opted in."""
    query = (
        select(Producer)
        .join(Assessment, Assessment.producer_id == Producer.id)
        .where(Assessment.cluster_id == match.cluster_id)
        .order_by(Producer.id)
    )
    if only is not None:
        query = query.where(Producer.id.in_(only))
    for producer in db.session.scalars(query):
        notify_producer(producer, kind, link=path_for("credit.mine"), lender=match.lender.name)


def loan_cost_bp(product: CreditProduct, amount_minor: int) -> int:
    """The loan's own cost: from its schedule for this amount (fixed fees weigh more on
    small loans than the product's figure, computed at its maximum, says)."""
    schedule = loan_terms.schedule_for(product, amount_minor)
    return rate_bp(loan_terms.cost_of(product, schedule).rate)
