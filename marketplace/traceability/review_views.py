"""Routes of a plot's disputes: opening one, the first review (a proposal), the second
review (confirm or send back), and the reviewers' list of disputes waiting on them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.models import Farm, Role
from marketplace.models.disputes import ForestDispute
from marketplace.permissions import load_or_404, role_required
from marketplace.traceability import disputes
from marketplace.traceability.blueprint import bp
from marketplace.traceability.permissions import (
    can_open_dispute,
    can_verify_plot,
    can_view_plot,
)
from marketplace.traceability.plot_forms import (
    ConfirmForm,
    DisputeForm,
    EvidenceForm,
    OutlineForm,
    ProposalForm,
    ReturnForm,
)
from marketplace.traceability.plot_views import _page
from marketplace.web import show_errors

REVIEWERS = (Role.ADMIN, Role.BUYER)


def _back(farm: Farm):
    return redirect(url_for("traceability.plot", farm_id=farm.id, _anchor="revision"))


def _again(farm: Farm, **forms):
    """The plot page again with the submitted form and its errors."""
    blank = {"formdata": None}
    return _page(farm, OutlineForm(**blank), EvidenceForm(**blank), **forms)


def _dispute_for_review(dispute_id: int) -> tuple[ForestDispute, Farm]:
    """The dispute and its farm: 404 unless the user sees the plot, 403 unless they review."""
    dispute = load_or_404(ForestDispute, dispute_id)
    farm = load_or_404(Farm, dispute.farm_id, can_view_plot)
    if not can_verify_plot(current_user, farm):
        abort(403)
    return dispute, farm


@bp.route("/fincas/<int:farm_id>/disputas", methods=["POST"])
@role_required(Role.PRODUCER, Role.TECHNICIAN)
def open_dispute(farm_id: int):
    farm = load_or_404(Farm, farm_id, can_view_plot)
    if not can_open_dispute(current_user, farm):
        abort(403)
    form = DisputeForm()
    if form.validate_on_submit():
        try:
            disputes.open_dispute(
                current_user,
                farm,
                ground=form.ground.data,
                claim=form.claim.data,
                evidence_ids=form.evidence.data or [],
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Disputa abierta: dos revisores distintos la decidirán."), "success")
            return _back(farm)
    return _again(farm, dispute_form=form)


@bp.route("/disputas/<int:dispute_id>/propuesta", methods=["POST"])
@role_required(*REVIEWERS)
def propose_outcome(dispute_id: int):
    dispute, farm = _dispute_for_review(dispute_id)
    form = ProposalForm()
    if form.validate_on_submit():
        try:
            disputes.propose(
                current_user, dispute, outcome=form.outcome.data, reason=form.reason.data
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Propuesta registrada: otra persona debe confirmarla."), "success")
            return _back(farm)
    return _again(farm, proposal_form=form)


@bp.route("/disputas/<int:dispute_id>/confirmar", methods=["POST"])
@role_required(*REVIEWERS)
def confirm_outcome(dispute_id: int):
    dispute, farm = _dispute_for_review(dispute_id)
    if ConfirmForm().validate_on_submit():
        try:
            disputes.confirm(current_user, dispute)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Decisión confirmada: quedó en el historial de la parcela."), "success")
    return _back(farm)


@bp.route("/disputas/<int:dispute_id>/devolver", methods=["POST"])
@role_required(*REVIEWERS)
def return_proposal(dispute_id: int):
    dispute, farm = _dispute_for_review(dispute_id)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            disputes.send_back(current_user, dispute, note=form.note.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Propuesta devuelta: la disputa espera una nueva primera revisión."), "success")
            return _back(farm)
    return _again(farm, return_form=form)


@bp.route("/revisiones")
@role_required(*REVIEWERS)
def review_queue():
    items = disputes.review_queue(current_user)
    return render_template("traceability/review_queue.html", items=items)
