"""Routes of a farm's plot page ("Parcela"): outline and field evidence; its review section
(disputes, their four-eyes decisions, the assessment history) is review_views.py."""

from __future__ import annotations

import json
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace import uploads
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest import overlaps
from marketplace.i18n import number
from marketplace.models import Farm, FieldEvidence, Role
from marketplace.permissions import load_or_404, role_required
from marketplace.traceability import evidence, plots, tenure_page, tenure_rules
from marketplace.traceability.blueprint import bp
from marketplace.traceability.permissions import (
    can_edit_plot,
    can_record_evidence,
    can_view_plot,
)
from marketplace.traceability.plot_forms import ConfirmForm, EvidenceForm, OutlineForm
from marketplace.traceability.review_context import review_context
from marketplace.web import handle_http, show_errors

VIEW_ROLES = (Role.PRODUCER, Role.TECHNICIAN, Role.ADMIN, Role.BUYER)
REVIEW_FORMS = ("dispute_form", "proposal_form", "return_form")
# request body limits (file + form fields) of the routes that take uploads
UPLOAD_LIMITS = {
    "traceability.plot": 2 * 1024 * 1024 + 64 * 1024,
    "traceability.add_evidence": evidence.MAX_PHOTO_BYTES + 64 * 1024,
    "traceability.upload_tenure": tenure_rules.MAX_FILE_BYTES + 64 * 1024,
}


@bp.url_value_preprocessor
def _limit_uploads(endpoint: str | None, values: dict | None) -> None:
    # URL preprocessors run before the CSRF check reads the body, so the limit holds there too.
    if endpoint in UPLOAD_LIMITS:
        request.max_content_length = UPLOAD_LIMITS[endpoint]


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """An oversized upload re-renders its page with a message (status 413)."""
    farm_id = (request.view_args or {}).get("farm_id")
    if request.endpoint not in UPLOAD_LIMITS or farm_id is None:
        return handle_http(error)
    # An error handler must not raise: a visitor who may not see the farm (or is signed
    # out) gets the plain error page, as a missing farm would.
    farm = db.session.get(Farm, farm_id) if current_user.is_authenticated else None
    if farm is None or not can_view_plot(current_user, farm):
        return handle_http(error)
    if request.endpoint == "traceability.plot":
        message = _("El archivo es demasiado grande: el máximo es 2 MB. No se guardó nada.")
    elif request.endpoint == "traceability.upload_tenure":
        message = _("El documento es demasiado grande: el máximo es 5 MB. No se guardó nada.")
    else:
        message = _("La foto es demasiado grande: el máximo es 5 MB. No se guardó nada.")
    flash(message, "error")
    blank = {"formdata": None}
    return _page(farm, OutlineForm(**blank), EvidenceForm(**blank)), 413


def _page(farm: Farm, outline_form: OutlineForm, evidence_form: EvidenceForm, **forms):
    """The plot page; `forms` re-show a form with its errors: a tenure form (upload=,
    review=) or one of the review section's (dispute_form=, proposal_form=, return_form=)."""
    review_forms = {name: forms.pop(name) for name in REVIEW_FORMS if name in forms}
    ready = plots.readiness(farm)
    items = evidence.evidence_of(farm)
    # A producer sees plain words; the pasted GeoJSON is for technicians and admins.
    technical = current_user.role != Role.PRODUCER
    if not technical:
        outline_form.outline.label.text = _("Contorno de la finca")
    outline_form.based_on.data = plots.outline_version(farm)  # the outline this page shows
    return render_template(
        "traceability/plot.html",
        farm=farm,
        technical=technical,
        outline_form=outline_form,
        evidence_form=evidence_form,
        confirm_form=ConfirmForm(formdata=None),
        evidence_items=items,
        evidence_distance={item.id: evidence.distance_m(item, farm) for item in items},
        far_m=evidence.FAR_M,
        can_edit=can_edit_plot(current_user, farm),
        can_record=can_record_evidence(current_user, farm),
        export_ready=ready.ready,
        export_reason=None if ready.ready else plots.pending_message_of(ready),
        plot_id=plots.plot_id(farm),
        area_differs=plots.area_differs(farm),
        draw_texts=_draw_texts(),
        review=review_context(farm, items, **review_forms),
        plot_overlaps=_overlaps(farm),
        **tenure_page.context(farm, **forms),
    )


def _overlaps(farm: Farm) -> list[tuple]:
    """The farm's overlaps with other producers' plots: (row, other farm, this plot's share,
    the other's share, whether the viewer may open the other plot)."""
    found = []
    for row, other in overlaps.overlaps_of(farm):
        mine_first = row.farm_a_id == farm.id
        own, theirs = (row.share_a, row.share_b) if mine_first else (row.share_b, row.share_a)
        found.append((row, other, own, theirs, can_view_plot(current_user, other)))
    return found


def _draw_texts() -> dict:
    """The drawing tool's texts (leaflet-draw's L.drawLocal, the parts this page uses)."""
    return {
        "draw": {
            "toolbar": {
                "actions": {"title": _("Cancelar el dibujo"), "text": _("Cancelar")},
                "finish": {"title": _("Terminar el dibujo"), "text": _("Terminar")},
                "undo": {"title": _("Borrar el último punto"), "text": _("Borrar último punto")},
                "buttons": {"polygon": _("Dibujar el contorno")},
            },
            "handlers": {
                "polygon": {
                    "tooltip": {
                        "start": _("Toque el mapa para empezar el contorno."),
                        "cont": _("Toque para seguir el contorno."),
                        "end": _("Toque el primer punto para cerrar el contorno."),
                    }
                },
                "polyline": {"error": _("Los bordes no pueden cruzarse.")},
            },
        },
        "edit": {
            "toolbar": {
                "actions": {
                    "save": {"title": _("Guardar los cambios"), "text": _("Listo")},
                    "cancel": {"title": _("Descartar los cambios"), "text": _("Cancelar")},
                    "clearAll": {"title": _("Borrar todo"), "text": _("Borrar todo")},
                },
                "buttons": {
                    "edit": _("Mover puntos del contorno"),
                    "editDisabled": _("No hay contorno que mover"),
                    "remove": _("Borrar el contorno del mapa"),
                    "removeDisabled": _("No hay contorno que borrar"),
                },
            },
            "handlers": {
                "edit": {
                    "tooltip": {
                        "text": _("Arrastre los puntos para corregir el contorno."),
                        "subtext": _("Toque Cancelar para deshacer."),
                    }
                },
                "remove": {"tooltip": {"text": _("Toque el contorno para quitarlo.")}},
            },
        },
    }


def outline_input(form: OutlineForm) -> plots.OutlineInput:
    """What a valid outline form sent (also the phone's queued outlines: fieldwork)."""
    upload = form.upload.data
    return plots.OutlineInput(
        text=form.outline.data or "",
        drawn=form.drawn.data == "1",
        filename=(upload.filename or "") if upload else "",
        data=upload.read() if upload else b"",
        walked=form.walked.data == "1",
        accuracy_m=form.walked_accuracy(),
        based_on=form.based_on.data if form.based_on.raw_data else None,
    )


@bp.route("/fincas/<int:farm_id>/parcela", methods=["GET", "POST"])
@role_required(*VIEW_ROLES)
def plot(farm_id: int):
    farm = load_or_404(Farm, farm_id, can_view_plot)
    form = OutlineForm()
    if not form.is_submitted() and farm.polygon_geojson:  # editable without JavaScript too
        form.outline.data = json.dumps(farm.polygon_geojson)
    if request.method == "POST":
        if not can_edit_plot(current_user, farm):
            abort(403)
        if form.validate_on_submit():
            try:
                plots.save_outline(current_user, farm, outline_input(form))
            except DomainError as error:
                show_errors(form, error)
            else:
                _flash_saved(farm)
                return redirect(url_for("traceability.plot", farm_id=farm.id))
    return _page(farm, form, EvidenceForm(formdata=None))


def _flash_saved(farm: Farm) -> None:
    area = number(farm.polygon_area_ha, 2, fixed=True)
    if plots.area_differs(farm):
        flash(
            _(
                "Contorno guardado, pero su área (%(area)s ha) difiere en más de 20 %% de las "
                "%(declared)s ha declaradas. Revise el dibujo o el área de la finca.",
                area=area,
                declared=number(farm.total_ha, 2, fixed=True),
            ),
            "warning",
        )
    else:
        flash(_("Contorno guardado: %(area)s ha.", area=area), "success")


@bp.route("/fincas/<int:farm_id>/parcela/borrar", methods=["POST"])
@role_required(Role.PRODUCER, Role.TECHNICIAN)
def remove_outline(farm_id: int):
    farm = load_or_404(Farm, farm_id, can_view_plot)
    if not can_edit_plot(current_user, farm):
        abort(403)
    if ConfirmForm().validate_on_submit() and farm.polygon_geojson is not None:
        plots.remove_outline(current_user, farm)
        flash(_("Contorno borrado."), "success")
    return redirect(url_for("traceability.plot", farm_id=farm.id))


def save_evidence(form: EvidenceForm, farm: Farm) -> FieldEvidence:
    """Record what a valid evidence form sent (also the phone's queued visits: fieldwork)."""
    return evidence.record_evidence(
        current_user,
        farm,
        note=form.note.data or "",
        observed_on=form.observed_on.data,
        photo=form.photo.data.read() if form.photo.data else b"",
        instance_path=Path(current_app.instance_path),
        position=evidence.Position(*form.position()),
    )


@bp.route("/fincas/<int:farm_id>/evidencias", methods=["POST"])
@role_required(Role.TECHNICIAN)
def add_evidence(farm_id: int):
    farm = load_or_404(Farm, farm_id, can_view_plot)
    if not can_record_evidence(current_user, farm):
        abort(403)
    form = EvidenceForm()
    if form.validate_on_submit():
        try:
            save_evidence(form, farm)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Evidencia registrada."), "success")
            return redirect(url_for("traceability.plot", farm_id=farm.id, _anchor="evidencias"))
    return _page(farm, OutlineForm(formdata=None), form)


@bp.route("/fincas/<int:farm_id>/evidencias/<int:evidence_id>/foto")
@role_required(*VIEW_ROLES)
def evidence_photo(farm_id: int, evidence_id: int):
    farm = load_or_404(Farm, farm_id, can_view_plot)
    item = load_or_404(FieldEvidence, evidence_id, farm_id=farm.id)
    response = uploads.private_file(
        evidence.photo_file(item, Path(current_app.instance_path)), item.photo_path
    )
    return response or abort(404)


@bp.app_template_global("export_ready")
def _export_ready(farm: Farm) -> bool:
    return plots.export_ready(farm)
