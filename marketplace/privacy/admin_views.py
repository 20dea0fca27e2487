"""The admin's pages: open data requests with their legal deadlines, and answering one."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from marketplace.errors import DomainError
from marketplace.models import DataRequest, RequestStatus, Role
from marketplace.models.base import local_today
from marketplace.permissions import load_or_404, role_required
from marketplace.privacy import deadlines, erasure, services
from marketplace.privacy.blueprint import bp
from marketplace.privacy.forms import AnswerForm
from marketplace.web import show_errors

admin_only = role_required(Role.ADMIN)
ACTIONS = ("carry_out", "done", "reject")


@bp.route("/admin/solicitudes-de-datos")
@admin_only
def admin_requests():
    return render_template("privacy/admin_list.html", rows=services.open_requests())


def _answer(data_request: DataRequest, action: str, note: str) -> None:
    if action == "carry_out":
        erasure.carry_out(current_user, data_request, Path(current_app.instance_path))
    elif action == "done":
        services.mark_done(current_user, data_request, note)
    else:
        services.reject(current_user, data_request, note)


@bp.route("/admin/solicitudes-de-datos/<int:request_id>", methods=["GET", "POST"])
@admin_only
def admin_request(request_id: int):
    data_request = load_or_404(DataRequest, request_id, options=[joinedload(DataRequest.producer)])
    form = AnswerForm()
    action = request.form.get("action", "")
    if form.validate_on_submit() and action in ACTIONS:
        try:
            _answer(data_request, action, form.note.data or "")
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Respuesta guardada."), "success")
            return redirect(url_for("privacy.admin_request", request_id=data_request.id))
    days_left = None
    if data_request.status == RequestStatus.OPEN:
        days_left = deadlines.business_days_left(data_request.due_on, local_today())
    return render_template(
        "privacy/admin_detail.html",
        item=data_request,
        form=form,
        days_left=days_left,
    )
