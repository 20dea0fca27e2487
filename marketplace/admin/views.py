"""Admin pages: thin wrappers around admin.services; every route is for admins only."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.admin import services
from marketplace.admin.blueprint import bp
from marketplace.admin.forms import AuditFilterForm, OrganizationFilterForm, UserFilterForm
from marketplace.credit import run_report, runs
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import MatchingRun, Organization, Role, User
from marketplace.permissions import load_or_404, role_required
from marketplace.web import safe_next

admin_only = role_required(Role.ADMIN)


@bp.context_processor
def _admin_helpers() -> dict:
    return {
        "action_label": services.action_label,
        "entity_label": services.entity_label,
        "detail_items": services.detail_items,
    }


def _page() -> int:
    return request.args.get("page", 1, type=int)


def _act(action: Callable[[], object], success: str, default: str):
    """Run a service action, flash its outcome and go back where the admin came from."""
    try:
        action()
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(success, "success")
    return redirect(safe_next(default))


@bp.route("/usuarios")
@admin_only
def users():
    filters = UserFilterForm(request.args)
    page = services.users_page(filters.q.data or "", filters.role.data or "", _page())
    return render_template("admin/users.html", filters=filters, page=page)


@bp.route("/usuarios/<int:user_id>/desactivar", methods=["POST"])
@admin_only
def deactivate_user(user_id: int):
    user = load_or_404(User, user_id)
    return _act(
        lambda: services.set_user_active(current_user, user, False),
        _("La cuenta de %(name)s fue desactivada.", name=user.name),
        url_for(".users"),
    )


@bp.route("/usuarios/<int:user_id>/reactivar", methods=["POST"])
@admin_only
def reactivate_user(user_id: int):
    user = load_or_404(User, user_id)
    return _act(
        lambda: services.set_user_active(current_user, user, True),
        _("La cuenta de %(name)s fue reactivada.", name=user.name),
        url_for(".users"),
    )


@bp.route("/organizaciones")
@admin_only
def organizations():
    filters = OrganizationFilterForm(request.args)
    page = services.organizations_page(
        filters.q.data or "",
        kind=filters.kind.data or "",
        status=filters.status.data or "",
        country=filters.country.data or "",
        page=_page(),
    )
    counts = services.member_counts(page.items)
    return render_template("admin/organizations.html", filters=filters, page=page, counts=counts)


@bp.route("/organizaciones/<int:org_id>")
@admin_only
def organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return render_template(
        "admin/organization.html",
        org=org,
        members=services.organization_members(org),
        history=services.organization_history(org),
    )


@bp.route("/organizaciones/<int:org_id>/verificar", methods=["POST"])
@admin_only
def verify_organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return _act(
        lambda: services.verify_organization(current_user, org),
        _("%(name)s quedó verificada: ya puede publicar.", name=org.name),
        url_for(".organization", org_id=org.id),
    )


@bp.route("/organizaciones/<int:org_id>/suspender", methods=["POST"])
@admin_only
def suspend_organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return _act(
        lambda: services.suspend_organization(current_user, org, request.form.get("reason", "")),
        _("%(name)s quedó suspendida: no puede publicar.", name=org.name),
        url_for(".organization", org_id=org.id),
    )


@bp.route("/organizaciones/<int:org_id>/reincorporar", methods=["POST"])
@admin_only
def reinstate_organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return _act(
        lambda: services.reinstate_organization(current_user, org),
        _("Se levantó la suspensión de %(name)s.", name=org.name),
        url_for(".organization", org_id=org.id),
    )


@bp.route("/auditoria")
@admin_only
def audit_log():
    filters = AuditFilterForm(request.args)
    actor_id = request.args.get("actor_id", type=int)
    page = services.audit_page(
        filters.action.data or "", filters.actor.data or "", actor_id, _page()
    )
    return render_template(
        "admin/audit_log.html",
        filters=filters,
        page=page,
        prefixes=services.action_prefixes(),
        actor_user=db.session.get(User, actor_id) if actor_id else None,
    )


@bp.route("/emparejamiento")
@admin_only
def matching():
    running = runs.running_run()
    page = runs.runs_page(_page())
    return render_template(
        "admin/matching.html",
        running=running,
        progress=run_report.progress_of(running) if running else None,
        page=page,
        figures=run_report.run_figures(page.items),
    )


@bp.route("/emparejamiento/iniciar", methods=["POST"])
@admin_only
def start_matching_run():
    try:
        run = runs.start_run(current_user)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Corrida %(id)d iniciada: el avance se ve abajo.", id=run.id), "success")
    return redirect(url_for(".matching"))


@bp.route("/emparejamiento/corridas/<int:run_id>")
@admin_only
def matching_run(run_id: int):
    run = load_or_404(MatchingRun, run_id)
    return render_template(
        "admin/matching_run.html",
        run=run,
        progress=run_report.progress_of(run),
        figures=run_report.run_figures([run])[0],
        fairness=run_report.fairness(run),
    )


@bp.route("/matching/runs/<int:run_id>/progress")
@admin_only
def matching_progress(run_id: int):
    run = load_or_404(MatchingRun, run_id)
    response = jsonify(run_report.progress_of(run))
    response.headers["Cache-Control"] = "no-store"
    return response
