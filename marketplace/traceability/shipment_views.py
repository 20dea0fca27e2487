"""Routes of the buyer's shipments (embarques): list, new, the shipment's page, its lots, its
files in parts, the pending plots and the DDS numbers. Members of the owning buyer
organization only; any other shipment answers 404."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.commitments.permissions import is_buyer_member
from marketplace.errors import DomainError
from marketplace.models import Role, Shipment, ShipmentStatus
from marketplace.permissions import load_or_404, role_required
from marketplace.traceability import export, shipment_files, shipment_rules, shipments, tracing
from marketplace.traceability.blueprint import bp
from marketplace.traceability.permissions import can_manage_shipment
from marketplace.traceability.shipment_forms import (
    ShipmentForm,
    StatementForm,
    eu_country_choices,
    hs_label,
)
from marketplace.web import csv_download, show_errors


def _load(shipment_id: int) -> Shipment:
    return load_or_404(Shipment, shipment_id, can_manage_shipment)


@bp.route("/compras/embarques")
@role_required(Role.BUYER)
def shipments_list():
    rows = []
    if is_buyer_member(current_user):
        rows = shipments.organization_shipments(current_user.organization_id)
    return render_template(
        "traceability/shipments.html", rows=rows, member=is_buyer_member(current_user)
    )


def _new_form(form=None) -> ShipmentForm:
    form = form or ShipmentForm(formdata=None, exporter_name=current_user.organization.name)
    form.importer_country.choices = eu_country_choices()
    return form


@bp.route("/compras/embarques/nuevo", methods=["GET", "POST"])
@role_required(Role.BUYER)
def shipment_new():
    if not is_buyer_member(current_user):
        return redirect(url_for("traceability.shipments_list"))
    form = _new_form(ShipmentForm() if request.method == "POST" else None)
    if form.validate_on_submit():
        data = shipments.ShipmentData(
            **{name: (form[name].data or "").strip() for name in shipments.FIELDS}
        )
        try:
            shipment = shipments.create_shipment(current_user, data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Embarque %(code)s creado.", code=shipment.code), "success")
            return redirect(url_for("traceability.shipment", shipment_id=shipment.id))
    status = 422 if request.method == "POST" else 200
    return render_template("traceability/shipment_new.html", form=form), status


def _statement_forms(files, failed: dict[int, StatementForm]) -> dict[int, StatementForm]:
    """A form per part (prefixed by the part, so the fields' ids differ); `failed` kept."""
    blank = {p.number: StatementForm(formdata=None, prefix=f"p{p.number}") for p in files.parts}
    return blank | failed


def _shipment_page(shipment: Shipment, failed=None, status=200):
    try:
        files = shipment_files.files(shipment)
    except DomainError as error:
        flash(error.message, "error")
        files = shipment_files.Files(parts=[], pending=[])
    return render_template(
        "traceability/shipment.html",
        shipment=shipment,
        lots=shipments.shipment_lots(shipment),
        reviews=tracing.reviews_of(shipments.shipment_lots(shipment)),
        addable=(
            shipments.addable_lots(shipment) if shipment.status == ShipmentStatus.DRAFT else []
        ),
        net_mass_kg=shipments.net_mass_kg(shipment),
        harvest=shipments.harvest_period(shipment),
        files=files,
        pending=shipment_files.pending_rows(files.pending),
        statements={s.part: s for s in shipment.statements},
        statement_forms=_statement_forms(files, failed or {}),
        hs_label=hs_label,
        limits=shipment_rules,
    ), status


@bp.route("/compras/embarques/<int:shipment_id>")
@role_required(Role.BUYER)
def shipment(shipment_id: int):
    return _shipment_page(_load(shipment_id))


def _action(shipment: Shipment, action, done: str | None = None) -> Response:
    try:
        action()
    except DomainError as error:
        flash(error.message, "error")
    else:
        if done:
            flash(done, "success")
    return redirect(url_for("traceability.shipment", shipment_id=shipment.id))


def _ids(values) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 10]


@bp.route("/compras/embarques/<int:shipment_id>/lotes", methods=["POST"])
@role_required(Role.BUYER)
def shipment_add_lots(shipment_id: int):
    shipment = _load(shipment_id)
    ids = _ids(request.form.getlist("lot_ids"))
    return _action(shipment, lambda: shipments.add_lots(current_user, shipment, ids))


@bp.route("/compras/embarques/<int:shipment_id>/lotes/<int:lot_id>/quitar", methods=["POST"])
@role_required(Role.BUYER)
def shipment_remove_lot(shipment_id: int, lot_id: int):
    shipment = _load(shipment_id)
    return _action(shipment, lambda: shipments.remove_lot(current_user, shipment, lot_id))


@bp.route("/compras/embarques/<int:shipment_id>/listo", methods=["POST"])
@role_required(Role.BUYER)
def shipment_ready(shipment_id: int):
    shipment = _load(shipment_id)
    done = _("El embarque está listo: presente cada parte como un DDS y registre sus números.")
    return _action(shipment, lambda: shipments.mark_ready(current_user, shipment), done)


@bp.route("/compras/embarques/<int:shipment_id>/borrador", methods=["POST"])
@role_required(Role.BUYER)
def shipment_reopen(shipment_id: int):
    shipment = _load(shipment_id)
    return _action(shipment, lambda: shipments.reopen(current_user, shipment))


@bp.route("/compras/embarques/<int:shipment_id>/partes/<int:part>/dds", methods=["POST"])
@role_required(Role.BUYER)
def shipment_statement(shipment_id: int, part: int):
    shipment = _load(shipment_id)
    form = StatementForm(prefix=f"p{part}")
    if form.validate_on_submit():
        try:
            shipments.record_statement(
                current_user,
                shipment,
                part,
                form.reference_number.data,
                form.verification_number.data,
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Números del DDS de la parte %(part)s registrados.", part=part), "success")
            return redirect(url_for("traceability.shipment", shipment_id=shipment.id))
    return _shipment_page(shipment, failed={part: form}, status=422)


@bp.route("/compras/embarques/<int:shipment_id>/parte-<int:part>.<any(geojson, csv):fmt>")
@role_required(Role.BUYER)
def shipment_file(shipment_id: int, part: int, fmt: str):
    shipment = _load(shipment_id)
    try:
        files = shipment_files.files(shipment)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("traceability.shipment", shipment_id=shipment.id))
    found = next((p for p in files.parts if p.number == part), None)
    if found is None or not found.features:
        return redirect(url_for("traceability.shipment", shipment_id=shipment.id))
    name = f"{shipment.code}-parte-{part}-de-{len(files.parts)}"
    try:
        text = export.checked_text(found.due_diligence)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("traceability.shipment", shipment_id=shipment.id))
    if fmt == "csv":
        return csv_download(export.to_csv(found.due_diligence), f"{name}.csv")
    response = Response(text, mimetype="application/geo+json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.geojson"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/compras/embarques/<int:shipment_id>/pendientes.csv")
@role_required(Role.BUYER)
def shipment_pending(shipment_id: int):
    shipment = _load(shipment_id)
    try:
        files = shipment_files.files(shipment)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("traceability.shipment", shipment_id=shipment.id))
    body = shipment_files.pending_csv(files.pending)
    return csv_download(body, f"{shipment.code}-pendientes.csv")
