"""The producer's and her technician's pages: a copy of her data, and her requests."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.admin.services import action_label
from marketplace.errors import DomainError
from marketplace.labels import factor_label
from marketplace.models import ObjectionUse, Producer, RequestKind, Role
from marketplace.models.base import local_date
from marketplace.permissions import load_or_404, role_required
from marketplace.privacy import export, services
from marketplace.privacy.blueprint import bp
from marketplace.privacy.forms import DeletionForm, InPersonForm, ObjectionForm, RectificationForm
from marketplace.privacy.labels import receipt_lines
from marketplace.privacy.permissions import can_download, can_file, is_self
from marketplace.producers.objections import active_uses
from marketplace.producers.services import producer_of
from marketplace.web import show_errors

FILERS = (Role.PRODUCER, Role.TECHNICIAN)


def _day(value: str | None) -> str:
    """An exported date or moment (ISO 8601) as a date in words, where Minka's users live."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value)
    day = local_date(moment) if "T" in value else moment.date()
    return format_date(day, "medium")


@bp.app_context_processor
def _privacy_helpers() -> dict:
    return {"receipt_lines": receipt_lines, "factor_label": factor_label, "exported_day": _day}


def _in_person_missing(form: InPersonForm, producer: Producer) -> bool:
    """A technician must confirm the producer is there and asks this herself."""
    if is_self(current_user, producer) or form.in_person.data:
        return False
    form.in_person.errors = [_("Confirme que la persona está presente y lo pide.")]
    return True


@bp.route("/mis-datos/derechos")
@role_required(Role.PRODUCER)
def my_rights():
    producer = producer_of(current_user)
    if producer is None:
        flash(_("Primero complete sus datos."), "info")
        return redirect(url_for("producers.my_profile"))
    return redirect(url_for("privacy.rights", producer_id=producer.id))


@bp.route("/productores/<int:producer_id>/derechos")
@role_required(*FILERS)
def rights(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_file)
    return render_template(
        "privacy/rights.html",
        producer=producer,
        requests=services.requests_of(producer),
        own=is_self(current_user, producer),
    )


@bp.route("/productores/<int:producer_id>/datos")
@role_required(*FILERS, Role.ADMIN)
def data(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_download)
    services.record_access(current_user, producer, "page")
    return render_template(
        "privacy/data.html",
        producer=producer,
        data=export.collect(producer),
        action_label=action_label,
    )


@bp.route("/productores/<int:producer_id>/datos.json")
@role_required(*FILERS, Role.ADMIN)
def data_json(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_download)
    services.record_access(current_user, producer, "json")
    body = json.dumps(export.collect(producer), ensure_ascii=False, indent=2, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="minka-datos-productor-{producer.id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/productores/<int:producer_id>/derechos/correccion", methods=["GET", "POST"])
@role_required(*FILERS)
def rectify(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_file)
    form = RectificationForm()
    if form.validate_on_submit() and not _in_person_missing(form, producer):
        try:
            services.file_request(
                current_user, producer, RequestKind.RECTIFICATION, form.detail.data
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Solicitud enviada. Minka le responderá dentro del plazo legal."), "success")
            return redirect(url_for("privacy.rights", producer_id=producer.id))
    return render_template(
        "privacy/rectify.html", producer=producer, form=form, own=is_self(current_user, producer)
    )


@bp.route("/productores/<int:producer_id>/derechos/oposicion", methods=["GET", "POST"])
@role_required(*FILERS)
def object_to(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_file)
    form = ObjectionForm()
    if form.validate_on_submit() and not _in_person_missing(form, producer):
        try:
            services.set_objection(current_user, producer, form.use.data, form.objects.data == "1")
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Listo: su decisión ya está en vigor."), "success")
            return redirect(url_for("privacy.object_to", producer_id=producer.id))
    return render_template(
        "privacy/object.html",
        producer=producer,
        form=form,
        uses=list(ObjectionUse),
        objected=active_uses(producer.id),
        own=is_self(current_user, producer),
    )


@bp.route("/productores/<int:producer_id>/derechos/supresion", methods=["GET", "POST"])
@role_required(*FILERS)
def delete(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_file)
    form = DeletionForm()
    if form.validate_on_submit() and not _in_person_missing(form, producer):
        try:
            services.file_request(
                current_user, producer, RequestKind.DELETION, form.detail.data or ""
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Solicitud de supresión enviada. Un administrador la revisará."), "success")
            return redirect(url_for("privacy.rights", producer_id=producer.id))
    return render_template(
        "privacy/delete.html", producer=producer, form=form, own=is_self(current_user, producer)
    )
