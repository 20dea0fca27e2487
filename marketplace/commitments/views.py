"""Buyers' pages: their commitments, the form to post or edit one, its pledges, closing it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace import currencies
from marketplace.commitments import queries, services
from marketplace.commitments.blueprint import bp
from marketplace.commitments.forms import (
    CUTOFF_PRESETS,
    CommitmentForm,
    ConfirmForm,
)
from marketplace.commitments.permissions import can_manage, is_buyer_member
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.fields import as_float
from marketplace.models import CollectionCenter, CommitmentStatus, PurchaseCommitment, Role
from marketplace.money import amount_text
from marketplace.permissions import load_or_404, role_required
from marketplace.web import page_number, show_errors

PRESET_DATES = {code for code, _label in CUTOFF_PRESETS if code != "other"}


@bp.context_processor
def _date_format() -> dict:
    """Dates (not datetimes: no time-zone shift) in the viewer's locale, for these pages."""
    return {"format_date": format_date}


# The services name some fields after the model; the form after what people type.
FIELD_ALIASES = {
    "price_minor_per_kg": "price",
    "premium_minor_per_kg": "premium",
    "cutoff_date": "cutoff",
}


def _centers(country: str) -> list[CollectionCenter]:
    """Active collection centres of a country, for the commitment form's select."""
    return list(
        db.session.scalars(
            select(CollectionCenter)
            .where(CollectionCenter.country == country, CollectionCenter.active.is_(True))
            .order_by(CollectionCenter.region, CollectionCenter.name)
        )
    )


def _fill_from(form: CommitmentForm, commitment: PurchaseCommitment) -> None:
    form.price.data = amount_text(commitment.price_minor_per_kg, commitment.currency)
    form.premium.data = amount_text(commitment.premium_minor_per_kg, commitment.currency)
    form.regions.data = [region.region for region in commitment.regions]
    form.collection_center_id.data = str(commitment.collection_center_id or "")
    cutoff = commitment.cutoff_date.isoformat() if commitment.cutoff_date else None
    form.cutoff.data = cutoff if cutoff in PRESET_DATES or cutoff is None else "other"
    if form.cutoff.data == "other":
        form.cutoff_other.data = commitment.cutoff_date


def _form(commitment: PurchaseCommitment | None) -> CommitmentForm:
    form = CommitmentForm(obj=commitment)
    if not form.is_submitted():
        if commitment is None:
            org = current_user.organization
            known = org.country in currencies.CURRENCY_OF_COUNTRY
            form.country.data = org.country if known else "PE"
            form.currency.data = currencies.of_country(form.country.data)
        else:
            _fill_from(form, commitment)
    form.set_places(form.country.data or "PE", _centers(form.country.data or "PE"))
    return form


def _data(form: CommitmentForm) -> services.CommitmentData:
    center = form.collection_center_id.data
    return services.CommitmentData(
        product=form.product.data or "",
        value_chain=form.value_chain.data,
        country=form.country.data,
        volume_kg=form.volume_kg.data,
        min_kg_per_producer=form.min_kg_per_producer.data,
        max_kg_per_producer=form.max_kg_per_producer.data,
        price_type=form.price_type.data,
        currency=form.currency.data,
        delivery_start=form.delivery_start.data,
        delivery_end=form.delivery_end.data,
        price_minor_per_kg=form.price_minor,
        premium_minor_per_kg=form.premium_minor,
        reference_price=form.reference_price.data or "",
        max_humidity_pct=as_float(form.max_humidity_pct.data),
        min_fermentation_pct=as_float(form.min_fermentation_pct.data),
        quality_notes=form.quality_notes.data or "",
        deforestation_free=form.deforestation_free.data,
        cutoff_date=form.cutoff_date,
        collection_center_id=int(center) if center and center.isdigit() else None,
        regions=list(form.regions.data or []),
    )


def _edit(commitment: PurchaseCommitment | None):
    form = _form(commitment)
    # "refresh" (the country changed) only reloads the regions and centres of that country.
    if "refresh" not in request.form and form.validate_on_submit():
        try:
            if commitment is None:
                saved = services.create_commitment(current_user, _data(form))
            else:
                saved = services.update_commitment(current_user, commitment, _data(form))
        except DomainError as error:
            show_errors(form, error, FIELD_ALIASES)
        else:
            done = _("Compromiso guardado.") if commitment else _("Compromiso publicado.")
            flash(done, "success")
            return redirect(url_for("commitments.buyer_detail", commitment_id=saved.id))
    return render_template(
        "commitments/form.html",
        form=form,
        commitment=commitment,
        org=current_user.organization,
    )


@bp.route("/compras/compromisos")
@role_required(Role.BUYER)
def mine():
    if not is_buyer_member(current_user):
        return render_template("commitments/mine.html", page=None, org=None)
    page = queries.buyer_commitments(current_user.organization_id, page_number())
    return render_template(
        "commitments/mine.html", page=page, org=current_user.organization, fill=queries.fill_pct
    )


@bp.route("/compras/compromisos/nuevo", methods=["GET", "POST"])
@role_required(Role.BUYER)
def new():
    if not is_buyer_member(current_user):
        return redirect(url_for("commitments.mine"))
    return _edit(None)


@bp.route("/compras/compromisos/<int:commitment_id>")
@role_required(Role.BUYER)
def buyer_detail(commitment_id: int):
    commitment = load_or_404(PurchaseCommitment, commitment_id, can_manage)
    pagination, farms = queries.pledges_by_farm(commitment.id, page_number())
    return render_template(
        "commitments/buyer_detail.html",
        commitment=commitment,
        fill=queries.fill_pct(commitment),
        regions=queries.pledges_by_region(commitment.id),
        pagination=pagination,
        farms=farms,
    )


@bp.route("/compras/compromisos/<int:commitment_id>/editar", methods=["GET", "POST"])
@role_required(Role.BUYER)
def edit(commitment_id: int):
    commitment = load_or_404(PurchaseCommitment, commitment_id, can_manage)
    if commitment.status != CommitmentStatus.OPEN:
        flash(_("Solo se pueden modificar compromisos abiertos."), "error")
        return redirect(url_for("commitments.buyer_detail", commitment_id=commitment.id))
    return _edit(commitment)


@bp.route("/compras/compromisos/<int:commitment_id>/cerrar", methods=["GET", "POST"])
@role_required(Role.BUYER)
def close(commitment_id: int):
    commitment = load_or_404(PurchaseCommitment, commitment_id, can_manage)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.close_commitment(current_user, commitment)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Compromiso cerrado. Los volúmenes comprometidos siguen en pie."), "success")
        return redirect(url_for("commitments.buyer_detail", commitment_id=commitment.id))
    return render_template("commitments/close.html", commitment=commitment, form=form)
