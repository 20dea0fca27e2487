"""Lenders' pages for reviewing matched credit groups and following their loans; thin
wrappers around credit.review and credit.loans."""

from __future__ import annotations

import hashlib

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace import charts
from marketplace.credit import (
    balances,
    decisions,
    group_export,
    loan_terms,
    loans,
    portfolio,
    proposals,
    review,
)
from marketplace.credit.blueprint import bp
from marketplace.credit.checkoff import checkoffs_by_repayment
from marketplace.credit.forms import DeclineForm, InfoForm, RepaymentForm, approval_form
from marketplace.credit.permissions import can_manage_loan, reviewing_org
from marketplace.credit.review import can_review
from marketplace.errors import DomainError
from marketplace.i18n import ngettext
from marketplace.models import Loan, LoanStatus, Match, Role, ValueChain
from marketplace.money import AmountError, amount_text, parse_money
from marketplace.permissions import load_or_404, role_required
from marketplace.web import csv_download, page_number, show_errors

NO_AMOUNT = _l("Escriba un monto o excluya a este miembro, con el motivo.")


def _org_or_403():
    org = reviewing_org(current_user)
    if org is None:
        abort(403)
    return org


@bp.route("/credito/grupos")
@role_required(Role.LENDER)
def groups():
    org = reviewing_org(current_user)
    filters = review.GroupFilters(
        status=request.args.get("estado", ""), value_chain=request.args.get("cadena", "")
    )
    context = {
        "org": org,
        "filters": filters,
        "statuses": review.LISTED_STATUSES,
        "chains": ValueChain.choices(),
    }
    if org is not None:
        mix, histogram = review.member_charts(org.id, filters)
        mix, height = charts.horizontal(mix)
        context |= {
            "page": review.groups_page(org.id, filters, page_number()),
            "points": review.map_points(org.id, filters),
            "mix": mix,
            "mix_height": height,
            "histogram": charts.histogram(histogram),
        }
    return render_template("credit/groups.html", **context)


def _group_page(match: Match, decline_form=None, info_form=None):
    members = review.members(match)
    review.record_views(current_user, match, members, "credit.members_viewed")
    plan = decisions.approval(match)
    share = proposals.instalment_share(match.run_id)
    return render_template(
        "credit/group.html",
        match=match,
        cluster=match.cluster,
        members=members,
        hidden=sum(not m.shown for m in members),
        plan=plan,
        steps=proposals.steps_text(plan.totals, match.credit_product, share),
        alternatives=[
            (alt, proposals.totals(proposals.for_match(alt).values()).proposed_minor)
            for alt in review.alternatives(match)
        ],
        decline_form=decline_form or DeclineForm(formdata=None),
        info_form=info_form or InfoForm(formdata=None),
        is_open=match.status in review.OPEN,
        shortfall=(
            decisions.budget_shortfall(plan, match) if match.status in review.OPEN else None
        ),
    )


@bp.route("/credito/grupos/<int:match_id>")
@role_required(Role.LENDER)
def group(match_id: int):
    _org_or_403()
    return _group_page(load_or_404(Match, match_id, can_review))


@bp.route("/credito/grupos/<int:match_id>/csv")
@role_required(Role.LENDER)
def group_csv(match_id: int):
    _org_or_403()
    match = load_or_404(Match, match_id, can_review)
    members = review.members(match)
    review.record_views(current_user, match, members, "credit.members_exported")
    return csv_download(group_export.group_csv(match, members), group_export.csv_filename(match))


@bp.route("/credito/grupos/<int:match_id>/rechazar", methods=["POST"])
@role_required(Role.LENDER)
def decline(match_id: int):
    _org_or_403()
    match = load_or_404(Match, match_id, can_review)
    form = DeclineForm()
    if form.validate():
        try:
            decisions.decline(current_user, match, form.reason.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Grupo rechazado."), "success")
            return redirect(url_for("credit.group", match_id=match.id))
    return _group_page(match, decline_form=form)


@bp.route("/credito/grupos/<int:match_id>/pedir-informacion", methods=["POST"])
@role_required(Role.LENDER)
def request_info(match_id: int):
    _org_or_403()
    match = load_or_404(Match, match_id, can_review)
    form = InfoForm()
    if form.validate():
        try:
            decisions.request_info(current_user, match, form.message.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Pedido de información enviado."), "success")
            return redirect(url_for("credit.group", match_id=match.id))
    return _group_page(match, info_form=form)


def _choices(form, candidates, currency: str):
    """Each member's amount in minor units (None: no loan) and the excluded ones with their
    reason; None when an amount is unreadable or missing without an exclusion."""
    amounts, excluded, readable = {}, {}, True
    for candidate in candidates:
        pid = candidate.producer_id
        if form[f"exclude_{pid}"].data:
            amounts[pid], excluded[pid] = None, form[decisions.exclusion_field(pid)].data
            continue
        field = form[decisions.amount_field(pid)]
        text = (field.data or "").strip()
        try:
            amounts[pid] = parse_money(text, currency) if text else None
        except AmountError as error:
            field.errors = [*field.errors, str(error.message)]
            readable = False
        if not text:
            field.errors = [*field.errors, str(NO_AMOUNT)]
            readable = False
    return (amounts, excluded) if readable else None


@bp.route("/credito/grupos/<int:match_id>/aprobar", methods=["GET", "POST"])
@role_required(Role.LENDER)
def approve(match_id: int):
    _org_or_403()
    match = load_or_404(Match, match_id, can_review)
    if match.status not in review.OPEN:
        flash(str(review.ALREADY_DECIDED), "error")
        return redirect(url_for("credit.group", match_id=match.id))
    product = match.credit_product
    plan = decisions.approval(match)
    defaults = {
        c.producer_id: amount_text(c.default_minor, product.currency) for c in plan.candidates
    }
    form = approval_form(plan.candidates, defaults)
    confirm = None
    if form.is_submitted():
        chosen = _choices(form, plan.candidates, product.currency) if form.validate() else None
        if chosen is not None and not _confirmed(*chosen):
            # one tap must not approve a group's loans: show their number and total first
            try:
                decisions.check_approval(current_user, match, *chosen)
            except DomainError as error:
                show_errors(form, error)
            else:
                confirm = _confirmation(*chosen)
        elif chosen is not None:
            try:
                created = decisions.approve(current_user, match, *chosen)
            except DomainError as error:
                show_errors(form, error)
            else:
                approved = ngettext(
                    "Grupo aprobado: %(num)s préstamo registrado.",
                    "Grupo aprobado: %(num)s préstamos registrados.",
                    len(created),
                )
                flash(approved, "success")
                return redirect(url_for("credit.loans"))
    members = {m.producer_id: m for m in review.members(match) if m.shown}
    review.record_views(current_user, match, members.values(), "credit.members_viewed")
    return render_template(
        "credit/approve.html",
        match=match,
        product=product,
        plan=plan,
        members=members,
        form=form,
        confirm=confirm,
        remaining=decisions.remaining_budget(product.id),
    )


def _confirmation(amounts: dict[int, int | None], excluded: dict[int, str]) -> dict:
    """The loans about to be approved: their number and total (what the lender confirms),
    and a token of exactly who gets what, so changing an amount or an exclusion asks again."""
    chosen = {pid: amount for pid, amount in amounts.items() if amount is not None}
    digest = hashlib.sha256(repr(sorted(chosen.items())).encode()).hexdigest()[:12]
    total = sum(chosen.values())
    return {
        "count": len(chosen),
        "total_minor": total,
        "excluded": len(excluded),
        "token": f"{len(chosen)}:{total}:{digest}",
    }


def _confirmed(amounts: dict[int, int | None], excluded: dict[int, str]) -> bool:
    """True when the lender confirmed exactly these loans."""
    return request.form.get("confirmed") == _confirmation(amounts, excluded)["token"]


@bp.route("/credito/prestamos", endpoint="loans")
@role_required(Role.LENDER)
def loans_list():
    org = _org_or_403()
    status = request.args.get("estado", "")
    page = loans.loans_page(org.id, status, page_number())
    return render_template(
        "credit/loans.html",
        page=page,
        portfolio=portfolio.cached_portfolio(org.id, detail=False),
        totals=loans.loan_totals(org.id, status),
        names=loans.borrower_names(page.items),
        status=status,
        statuses=[s.value for s in LoanStatus],
    )


@bp.route("/credito/cartera", endpoint="portfolio")
@role_required(Role.LENDER)
def portfolio_page():
    org = _org_or_403()
    return render_template(
        "credit/portfolio.html",
        portfolio=portfolio.cached_portfolio(org.id),
        breakdowns=portfolio.BREAKDOWNS,
    )


def _loan_page(loan, form=None):
    return render_template(
        "credit/loan.html",
        loan=loan,
        borrower=loans.borrower_names([loan])[loan.producer_id],
        standing=balances.ledger_of(loan),
        checkoffs=checkoffs_by_repayment(loan),
        schedule=loan_terms.loan_schedule(loan, loans.producer_of(loan)),
        form=form or RepaymentForm(formdata=None),
    )


@bp.route("/credito/prestamos/<int:loan_id>")
@role_required(Role.LENDER)
def loan(loan_id: int):
    _org_or_403()
    return _loan_page(load_or_404(Loan, loan_id, can_manage_loan))


@bp.route("/credito/prestamos/<int:loan_id>/cronograma.csv")
@role_required(Role.LENDER)
def loan_schedule_csv(loan_id: int):
    _org_or_403()
    loan = load_or_404(Loan, loan_id, can_manage_loan)
    return csv_download(*loan_terms.loan_schedule_file(loan, loans.producer_of(loan)))


def _loan_action(loan_id: int, action, done: str):
    _org_or_403()
    loan = load_or_404(Loan, loan_id, can_manage_loan)
    try:
        action(current_user, loan)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(done, "success")
    return redirect(url_for("credit.loan", loan_id=loan.id))


@bp.route("/credito/prestamos/<int:loan_id>/desembolso", methods=["POST"])
@role_required(Role.LENDER)
def disburse(loan_id: int):
    return _loan_action(loan_id, loans.disburse, _("Desembolso registrado."))


@bp.route("/credito/prestamos/<int:loan_id>/pagos", methods=["POST"])
@role_required(Role.LENDER)
def repayment(loan_id: int):
    _org_or_403()
    loan = load_or_404(Loan, loan_id, can_manage_loan)
    if loan.status != LoanStatus.DISBURSED:  # the page shows no form then
        flash(str(loans.NOT_DISBURSED), "error")
        return redirect(url_for("credit.loan", loan_id=loan.id))
    form = RepaymentForm()
    valid = form.validate()
    amount = None
    text = (form.amount.data or "").strip()
    if text and not form.amount.errors:
        try:
            amount = parse_money(text, loan.currency)
        except AmountError as error:
            form.amount.errors = [*form.amount.errors, str(error.message)]
            valid = False
    if valid:
        try:
            loans.record_repayment(current_user, loan, amount, form.paid_on.data, form.outcome.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Pago registrado."), "success")
            return redirect(url_for("credit.loan", loan_id=loan.id))
    return _loan_page(loan, form)
