"""Admin pages: thin wrappers around admin.services; every route is for admins only."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.admin import org_review, services
from marketplace.admin.blueprint import bp
from marketplace.admin.forms import (
    AuditFilterForm,
    ConversionFactorsForm,
    HarvestCalendarForm,
    OrganizationFilterForm,
    UserFilterForm,
    UsuryCeilingForm,
)
from marketplace.credit import harvests, run_report, runs, usury
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.i18n import ngettext
from marketplace.models import MatchingRun, Organization, Role, User
from marketplace.models.base import local_today
from marketplace.organizations import lookalikes
from marketplace.permissions import load_or_404, role_required
from marketplace.sms import outbox as sms_outbox
from marketplace.sms import provider as sms_provider
from marketplace.sms import receipts as sms_receipts
from marketplace.sms import texts as sms_texts
from marketplace.traceability import custody
from marketplace.web import page_number, safe_next, show_errors

admin_only = role_required(Role.ADMIN)


@bp.context_processor
def _admin_helpers() -> dict:
    return {
        "action_label": services.action_label,
        "entity_label": services.entity_label,
        "detail_items": services.detail_items,
    }


def _page() -> int:
    return page_number()


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
    return render_template(
        "admin/organizations.html",
        filters=filters,
        page=page,
        counts=services.member_counts(page.items),
        flagged=lookalikes.flagged(page.items),
    )


@bp.route("/organizaciones/<int:org_id>")
@admin_only
def organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return render_template(
        "admin/organization.html",
        org=org,
        review=org_review.review(org),
        members=services.organization_members(org),
        history=services.organization_history(org),
    )


@bp.route("/organizaciones/<int:org_id>/verificar", methods=["POST"])
@admin_only
def verify_organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return _act(
        lambda: org_review.verify_organization(current_user, org),
        _("%(name)s quedó verificada: ya puede publicar.", name=org.name),
        url_for(".organization", org_id=org.id),
    )


@bp.route("/organizaciones/<int:org_id>/rechazar", methods=["POST"])
@admin_only
def reject_organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return _act(
        lambda: org_review.reject_organization(current_user, org, request.form.get("reason", "")),
        _("Se rechazó la verificación de %(name)s; se le avisó el motivo.", name=org.name),
        url_for(".organization", org_id=org.id),
    )


@bp.route("/organizaciones/<int:org_id>/suspender", methods=["POST"])
@admin_only
def suspend_organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return _act(
        lambda: org_review.suspend_organization(current_user, org, request.form.get("reason", "")),
        _("%(name)s quedó suspendida: no puede publicar.", name=org.name),
        url_for(".organization", org_id=org.id),
    )


@bp.route("/organizaciones/<int:org_id>/reincorporar", methods=["POST"])
@admin_only
def reinstate_organization(org_id: int):
    org = load_or_404(Organization, org_id)
    return _act(
        lambda: org_review.reinstate_organization(current_user, org),
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


# -- Credit settings: Colombia's usury ceiling and the harvest calendar ---------------------


def _credit_settings(usury_form=None, calendar_form=None, chosen=None, calendar_errors=None):
    """The credit settings page, with the forms as submitted when one was refused."""
    ceiling = usury.current()
    if usury_form is None:
        usury_form = UsuryCeilingForm(formdata=None)
        if ceiling is not None:
            usury_form.rate.data = ceiling.bp
            usury_form.valid_from.data = ceiling.valid_from
            usury_form.note.data = ceiling.note
    entries = harvests.entries()
    return render_template(
        "admin/credit_settings.html",
        ceiling=ceiling,
        stale=ceiling is not None and ceiling.is_stale(local_today()),
        products_above=usury.products_above(ceiling),
        usury_form=usury_form,
        calendar_form=calendar_form or HarvestCalendarForm(formdata=None),
        entries=entries,
        chosen=chosen or {entry.field: entry.months for entry in entries},
        calendar_errors=calendar_errors or {},
        month_names=harvests.month_names(),
    )


@bp.route("/credito/ajustes")
@admin_only
def credit_settings():
    return _credit_settings()


@bp.route("/credito/ajustes/usura", methods=["POST"])
@admin_only
def usury_ceiling():
    form = UsuryCeilingForm()
    typed = (form.rate.data, form.valid_from.data, form.note.data or "")
    if not form.validate_on_submit():
        # the service's problems too, on the fields the form itself did not refuse
        problems = {k: v for k, v in usury.ceiling_problems(*typed).items() if not form[k].errors}
        if problems:
            show_errors(form, InvalidInput(problems))
        return _credit_settings(usury_form=form)
    try:
        usury.set_ceiling(current_user, *typed)
    except DomainError as error:
        show_errors(form, error)
        return _credit_settings(usury_form=form)
    flash(_("Tasa de usura guardada."), "success")
    return redirect(url_for(".credit_settings"))


@bp.route("/credito/ajustes/cosechas", methods=["POST"])
@admin_only
def harvest_calendar():
    form = HarvestCalendarForm()
    chosen, typed = harvests.read_form(request.form)
    if form.validate_on_submit():
        try:
            changed = harvests.save_calendar(current_user, chosen)
        except DomainError as error:
            return _credit_settings(calendar_form=form, chosen=typed, calendar_errors=error.errors)
        flash(
            ngettext(
                "Calendario guardado: cambió %(num)s línea.",
                "Calendario guardado: cambiaron %(num)s líneas.",
                changed,
            ),
            "success",
        )
        return redirect(url_for(".credit_settings"))
    return _credit_settings(calendar_form=form, chosen=typed)


# -- Traceability settings: the chain of custody's conversion factors -----------------------


def _conversions_page(form=None):
    if form is None:
        form = ConversionFactorsForm(formdata=None)
        for key, thousandths in custody.factors().items():
            form[key].data = Decimal(thousandths) / custody.SCALE
    return render_template(
        "admin/conversions.html", form=form, defaults=custody.DEFAULT_FACTORS, steps=custody.STEPS
    )


@bp.route("/trazabilidad/conversiones")
@admin_only
def conversions():
    return _conversions_page()


@bp.route("/trazabilidad/conversiones", methods=["POST"])
@admin_only
def save_conversions():
    form = ConversionFactorsForm()
    if not form.validate_on_submit():
        return _conversions_page(form), 422
    values = {step.key: int(round(form[step.key].data * custody.SCALE)) for step in custody.STEPS}
    try:
        custody.set_factors(current_user, values)
    except DomainError as error:
        show_errors(form, error)
        return _conversions_page(form), 422
    flash(_("Factores de conversión guardados."), "success")
    return redirect(url_for(".conversions"))


@bp.route("/mensajes")
@admin_only
def text_messages():
    return render_template(
        "admin/text_messages.html",
        configured=sms_provider.configured(),
        whatsapp=sms_provider.whatsapp_configured(),
        counts=sms_outbox.status_counts(),
        delivery=sms_receipts.counts(),
        reports_asked=sms_provider.status_callback_url() is not None,
        error_words=sms_receipts.error_words,
        messages=sms_outbox.recent(),
        code_kinds=sms_texts.CODE_KINDS,
    )
