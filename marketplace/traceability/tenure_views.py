"""Routes of a plot's tenure documents: upload, the file, an admin's decision and queue."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import uploads
from marketplace.errors import DomainError, InvalidInput
from marketplace.models import Farm, Role, TenureDocument
from marketplace.permissions import load_or_404, role_required
from marketplace.traceability import tenure, tenure_page
from marketplace.traceability.blueprint import bp
from marketplace.traceability.permissions import (
    can_review_tenure_document,
    can_see_tenure_documents,
    can_upload_tenure_document,
    can_view_plot,
)
from marketplace.traceability.plot_forms import EvidenceForm, OutlineForm
from marketplace.traceability.plot_views import _page
from marketplace.traceability.tenure_rules import Upload
from marketplace.web import show_errors


def _blank_page(farm: Farm, **tenure_forms):
    blank = {"formdata": None}
    return _page(farm, OutlineForm(**blank), EvidenceForm(**blank), **tenure_forms)


def _back(farm: Farm):
    return redirect(url_for("traceability.plot", farm_id=farm.id, _anchor="tenencia"))


@bp.route("/fincas/<int:farm_id>/tenencia", methods=["POST"])
@role_required(Role.PRODUCER, Role.TECHNICIAN, Role.ADMIN)
def upload_tenure(farm_id: int):
    farm = load_or_404(Farm, farm_id, can_view_plot)
    if not can_upload_tenure_document(current_user, farm):
        abort(403)
    form = tenure_page.upload_form(farm, submitted=True)
    if form.validate_on_submit():
        upload = Upload(
            kind=form.kind.data or "",
            number=form.number.data or "",
            authority=form.authority.data or "",
            issued_on=form.issued_on.data,
            holder_name=form.holder_name.data or "",
            data=form.file.data.read() if form.file.data else b"",
        )
        try:
            tenure.upload_document(
                current_user, farm, upload, instance_path=Path(current_app.instance_path)
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Documento subido: Minka lo revisará."), "success")
            return _back(farm)
    return _blank_page(farm, upload=form)


@bp.route("/fincas/<int:farm_id>/tenencia/<int:document_id>/archivo")
@role_required(Role.PRODUCER, Role.TECHNICIAN, Role.ADMIN)
def tenure_file(farm_id: int, document_id: int):
    farm = load_or_404(Farm, farm_id, can_see_tenure_documents)
    doc = load_or_404(TenureDocument, document_id, farm_id=farm.id)
    response = uploads.private_file(
        tenure.document_file(doc, Path(current_app.instance_path)), doc.file_path
    )
    return response or abort(404)


@bp.route("/fincas/<int:farm_id>/tenencia/<int:document_id>/revisar", methods=["POST"])
@role_required(Role.ADMIN)
def review_tenure(farm_id: int, document_id: int):
    farm = load_or_404(Farm, farm_id, can_view_plot)
    doc = load_or_404(TenureDocument, document_id, farm_id=farm.id)
    if not can_review_tenure_document(current_user):
        abort(403)
    form = tenure_page.review_form(doc.id, submitted=True)
    if form.validate_on_submit():
        decision = tenure.Decision(
            accept=form.decision.data == "accept",
            reason=form.reason.data or None,
            note=form.note.data or "",
        )
        try:
            tenure.review_document(current_user, doc, decision)
        except InvalidInput as error:
            show_errors(form, error)
        except DomainError as error:  # someone decided first
            flash(error.message, "error")
            return _back(farm)
        else:
            if decision.accept:
                flash(_("Documento aceptado."), "success")
            else:
                flash(_("Documento rechazado; el productor recibió el motivo."), "success")
            return _back(farm)
    return _blank_page(farm, review=(doc.id, form))


@bp.app_template_global("tenure_legality_of")
def _tenure_legality_of(farm: Farm):
    return tenure.legality_of(farm)


@bp.route("/admin/tenencia")
@role_required(Role.ADMIN)
def tenure_queue():
    return render_template(
        "traceability/tenure_queue.html",
        rows=tenure.review_queue(),
        pending=tenure.pending_count(),
    )
