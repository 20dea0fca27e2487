"""Routes of deliveries and lots: the collection centre's staff (members of the cooperative
that runs it, and admins) record deliveries and build lots; producers see their deliveries;
the buyer traces a commitment to its plots and downloads the due-diligence export."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.fields import as_float
from marketplace.i18n import number
from marketplace.models import CollectionCenter, Pledge, PurchaseCommitment, Role
from marketplace.models.base import local_today
from marketplace.models.traceability import Lot, LotStatus, RiskStatus
from marketplace.permissions import load_or_404, role_required
from marketplace.producers.services import producer_of
from marketplace.traceability import (
    deliveries,
    export,
    lot_changes,
    lots,
    shipments,
    tenure,
    tracing,
)
from marketplace.traceability.blueprint import bp
from marketplace.traceability.delivery_forms import DeliveryForm, LotForm, MergeForm, WeightForm
from marketplace.traceability.permissions import (
    can_manage_deliveries,
    can_manage_lot,
    can_trace,
    can_trace_lot,
)
from marketplace.web import csv_download, page_number, show_errors

STAFF = (Role.TECHNICIAN, Role.ADMIN)


SEARCH = "productor"  # the centre page's query parameter: a producer's name or document


def _pledge_choices(pledges: list[Pledge]) -> list[tuple[str, str]]:
    rows = [("", _("— Elija —"))]
    done = deliveries.delivered_by_pledge([p.id for p in pledges])
    for pledge in pledges:
        label = _(
            "%(producer)s · %(farm)s · %(product)s (quedan %(left)s kg)",
            producer=pledge.producer.full_name,
            farm=pledge.farm.name,
            product=pledge.commitment.product,
            left=number(pledge.kg - done.get(pledge.id, 0), 0),
        )
        rows.append((str(pledge.id), label))
    return rows


def _commitment_choices(commitments: list[PurchaseCommitment]) -> list[tuple[str, str]]:
    return [("", _("— Elija —"))] + [
        (str(c.id), f"{c.product} · {c.organization.name}") for c in commitments
    ]


def _center_page(center, delivery_form=None, lot_form=None):
    delivery_form = delivery_form or DeliveryForm(formdata=None, delivered_on=local_today())
    lot_form = lot_form or LotForm(formdata=None)
    search = request.args.get(SEARCH, "").strip()[:80]
    pledges = deliveries.open_pledges(center, search)
    delivery_form.pledge_id.choices = _pledge_choices(pledges.shown)
    lot_form.commitment_id.choices = _commitment_choices(deliveries.lot_commitments(center))
    return render_template(
        "traceability/center.html",
        center=center,
        delivery_form=delivery_form,
        lot_form=lot_form,
        pledges=pledges,
        search=search,
        search_param=SEARCH,
        deliveries=deliveries.center_deliveries(center),
        lots=lots.center_lots(center),
    )


@bp.route("/acopio/centros/<int:center_id>")
@role_required(*STAFF)
def center(center_id: int):
    return _center_page(load_or_404(CollectionCenter, center_id, can_manage_deliveries))


def _int(text) -> int | None:
    return int(text) if text and str(text).isdigit() else None


def _delivery_data(form: DeliveryForm) -> deliveries.DeliveryData:
    return deliveries.DeliveryData(
        pledge_id=_int(form.pledge_id.data),
        kg=form.kg.data,
        delivered_on=form.delivered_on.data,
        humidity_pct=as_float(form.humidity_pct.data),
        fermentation_pct=as_float(form.fermentation_pct.data),
        quality_note=form.quality_note.data or "",
        harvest_start=form.harvest_start.data,
        harvest_end=form.harvest_end.data,
        product_state=form.product_state.data or None,
    )


@bp.route("/acopio/centros/<int:center_id>/entregas", methods=["POST"])
@role_required(*STAFF)
def record_delivery(center_id: int):
    center = load_or_404(CollectionCenter, center_id, can_manage_deliveries)
    form = DeliveryForm()  # record_delivery decides whether the pledge is delivered here
    if form.validate_on_submit():
        try:
            delivery = deliveries.record_delivery(current_user, center, _delivery_data(form))
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Entrega %(code)s registrada.", code=delivery.code), "success")
            return redirect(url_for("traceability.center", center_id=center.id))
    return _center_page(center, delivery_form=form), 422


@bp.route("/acopio/centros/<int:center_id>/lotes", methods=["POST"])
@role_required(*STAFF)
def create_lot(center_id: int):
    center = load_or_404(CollectionCenter, center_id, can_manage_deliveries)
    form = LotForm()  # create_lot decides whether the commitment's lots are built here
    if form.validate_on_submit():
        try:
            lot = lots.create_lot(
                current_user,
                center,
                _int(form.commitment_id.data),
                form.output_state.data or None,
            )
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Lote %(code)s abierto.", code=lot.code), "success")
            return redirect(url_for("traceability.lot", lot_id=lot.id))
    return _center_page(center, lot_form=form), 422


def _lot_page(lot, weight_form=None, status=200):
    weight_form = weight_form or WeightForm(formdata=None, weight_kg=lot.weight_kg or None)
    commitment = db.session.get(PurchaseCommitment, lot.commitment_id)
    is_open = lot.status == LotStatus.OPEN
    merge_form = MergeForm(formdata=None)
    mergeable = lot_changes.mergeable_lots(lot) if is_open else []
    merge_form.other_lot_id.choices = [("", _("— Elija —"))] + [
        (str(other.id), other.code) for other in mergeable
    ]
    return render_template(
        "traceability/lot.html",
        lot=lot,
        commitment=commitment,
        center=db.session.get(CollectionCenter, lot.collection_center_id),
        entered_kg=lots.lot_kg(lot.id),
        capacity_kg=lots.capacity_kg(lot),
        addable=lots.addable_deliveries(lot) if is_open else [],
        weight_form=weight_form,
        merge_form=merge_form,
        mergeable=mergeable,
        reviews=tracing.reviews_of([lot]),
        free=lots.is_deforestation_free(d.risk_status for d in lot.deliveries),
        shipped=shipments.shipments_of_lots([lot.id]),
    ), status


@bp.route("/acopio/lotes/<int:lot_id>")
@role_required(*STAFF)
def lot(lot_id: int):
    return _lot_page(load_or_404(Lot, lot_id, can_manage_lot))


def _lot_action(lot: Lot, action) -> Response:
    try:
        action()
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("traceability.lot", lot_id=lot.id))


@bp.route("/acopio/lotes/<int:lot_id>/entregas", methods=["POST"])
@role_required(*STAFF)
def add_to_lot(lot_id: int):
    lot = load_or_404(Lot, lot_id, can_manage_lot)
    ids = [i for i in (_int(v) for v in request.form.getlist("delivery_ids")) if i]
    return _lot_action(lot, lambda: lots.add_deliveries(current_user, lot, ids))


@bp.route("/acopio/lotes/<int:lot_id>/entregas/<int:delivery_id>/quitar", methods=["POST"])
@role_required(*STAFF)
def remove_from_lot(lot_id: int, delivery_id: int):
    lot = load_or_404(Lot, lot_id, can_manage_lot)
    return _lot_action(lot, lambda: lots.remove_delivery(current_user, lot, delivery_id))


@bp.route("/acopio/lotes/<int:lot_id>/peso", methods=["POST"])
@role_required(*STAFF)
def lot_weight(lot_id: int):
    lot = load_or_404(Lot, lot_id, can_manage_lot)
    form = WeightForm()
    if form.validate_on_submit():
        try:
            lots.set_weight(current_user, lot, form.weight_kg.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Peso del lote guardado."), "success")
            return redirect(url_for("traceability.lot", lot_id=lot.id))
    db.session.refresh(lot)
    return _lot_page(lot, weight_form=form, status=422)


@bp.route("/acopio/lotes/<int:lot_id>/dividir", methods=["POST"])
@role_required(*STAFF)
def split_lot(lot_id: int):
    lot = load_or_404(Lot, lot_id, can_manage_lot)
    ids = [i for i in (_int(v) for v in request.form.getlist("delivery_ids")) if i]
    try:
        new = lot_changes.split_lot(current_user, lot, ids)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("traceability.lot", lot_id=lot.id))
    flash(_("Lote dividido: las entregas marcadas pasaron a %(code)s.", code=new.code), "success")
    return redirect(url_for("traceability.lot", lot_id=new.id))


@bp.route("/acopio/lotes/<int:lot_id>/fusionar", methods=["POST"])
@role_required(*STAFF)
def merge_lot(lot_id: int):
    lot = load_or_404(Lot, lot_id, can_manage_lot)
    other = _int(request.form.get("other_lot_id"))
    return _lot_action(lot, lambda: lot_changes.merge_lots(current_user, lot, other))


@bp.route("/acopio/lotes/<int:lot_id>/cerrar", methods=["POST"])
@role_required(*STAFF)
def close_lot(lot_id: int):
    lot = load_or_404(Lot, lot_id, can_manage_lot)
    return _lot_action(lot, lambda: lots.close_lot(current_user, lot))


@bp.route("/mis-entregas")
@role_required(Role.PRODUCER)
def my_deliveries():
    producer = producer_of(current_user)
    if producer is None:
        return redirect(url_for("producers.my_farms"))
    page = deliveries.producer_deliveries(producer, page_number())
    return render_template("traceability/my_deliveries.html", page=page)


# --- the buyer's side ---------------------------------------------------------------------


def _trace_page(commitment, lot=None):
    found = tracing.trace(commitment, lot)
    return render_template(
        "traceability/trace.html",
        commitment=commitment,
        lot=lot,
        trace=found,
        features=tracing.map_features(found.farms, found.farm_status),
        legend=list(RiskStatus),
        shipped=shipments.shipments_of_lots(s.lot.id for s in found.lots),
        lot_codes={s.lot.id: s.lot.code for s in found.lots},
        review=export.review(commitment, tracing.commitment_deliveries(commitment, lot)),
        pending_message=export.pending_message,
        tenure_states=tenure.legality_by_farm(found.farms.values()),
    )


@bp.route("/compras/compromisos/<int:commitment_id>/trazabilidad")
@role_required(Role.BUYER)
def commitment_trace(commitment_id: int):
    return _trace_page(load_or_404(PurchaseCommitment, commitment_id, can_trace))


@bp.route("/compras/lotes/<int:lot_id>")
@role_required(Role.BUYER)
def lot_trace(lot_id: int):
    lot = load_or_404(Lot, lot_id, can_trace_lot)
    return _trace_page(db.session.get(PurchaseCommitment, lot.commitment_id), lot)


def _geojson_download(body: str, filename: str) -> Response:
    response = Response(body, mimetype="application/geo+json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # may hold producers' names
    return response


def _export(commitment, lot, fmt: str) -> Response:
    rows = tracing.commitment_deliveries(commitment, lot)
    name = lot.code if lot is not None else f"compromiso-{commitment.id}"
    try:
        found = export.due_diligence(commitment, rows)
        if fmt == "pendientes":
            return csv_download(export.pending_csv(found), f"{name}-pendientes.csv")
        if fmt == "csv":
            return csv_download(export.to_csv(found), f"{name}.csv")
        return _geojson_download(export.checked_text(found), f"{name}.geojson")
    except DomainError as error:
        flash(error.message, "error")
        if lot is not None:
            return redirect(url_for("traceability.lot_trace", lot_id=lot.id))
        return redirect(url_for("traceability.commitment_trace", commitment_id=commitment.id))


@bp.route("/compras/compromisos/<int:commitment_id>/diligencia.<any(geojson, csv):fmt>")
@role_required(Role.BUYER)
def commitment_export(commitment_id: int, fmt: str):
    return _export(load_or_404(PurchaseCommitment, commitment_id, can_trace), None, fmt)


@bp.route("/compras/lotes/<int:lot_id>/diligencia.<any(geojson, csv):fmt>")
@role_required(Role.BUYER)
def lot_export(lot_id: int, fmt: str):
    lot = load_or_404(Lot, lot_id, can_trace_lot)
    return _export(db.session.get(PurchaseCommitment, lot.commitment_id), lot, fmt)


@bp.route("/compras/compromisos/<int:commitment_id>/diligencia-pendientes.csv")
@role_required(Role.BUYER)
def commitment_pending(commitment_id: int):
    return _export(load_or_404(PurchaseCommitment, commitment_id, can_trace), None, "pendientes")


@bp.route("/compras/lotes/<int:lot_id>/diligencia-pendientes.csv")
@role_required(Role.BUYER)
def lot_pending(lot_id: int):
    lot = load_or_404(Lot, lot_id, can_trace_lot)
    return _export(db.session.get(PurchaseCommitment, lot.commitment_id), lot, "pendientes")
