"""Producers' pages: the commitments open to their farms, pledging, their own pledges.

Technicians of a producer's cooperative reach the same pages under the producer's address
(/productores/<id>/compromisos) and pledge or withdraw on the producer's behalf.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.commitments import offers, queries, services
from marketplace.commitments.blueprint import bp
from marketplace.commitments.forms import ConfirmForm, PledgeForm
from marketplace.commitments.permissions import can_withdraw
from marketplace.commitments.views import FIELD_ALIASES
from marketplace.errors import DomainError
from marketplace.i18n import number
from marketplace.models import Pledge, Producer, PurchaseCommitment, Role
from marketplace.models.base import local_today
from marketplace.permissions import load_or_404, role_required
from marketplace.producers.permissions import can_view
from marketplace.producers.services import producer_of
from marketplace.web import page_number, safe_next, show_errors

FIELD_ROLES = (Role.PRODUCER, Role.TECHNICIAN)


def _own_producer() -> Producer | None:
    producer = producer_of(current_user)
    if producer is None:
        flash(_("Primero complete sus datos y registre sus fincas."), "info")
    return producer


def _links(producer: Producer, own: bool) -> dict:
    """Where this producer's pages live: their own addresses, or under /productores/<id>."""
    if own:
        return {"own": True, "list_url": url_for("commitments.browse")}
    return {"own": False, "list_url": url_for("commitments.for_producer", producer_id=producer.id)}


def _offer_url(producer: Producer, own: bool, commitment_id: int) -> str:
    if own:
        return url_for("commitments.offer", commitment_id=commitment_id)
    return url_for("commitments.offer_for", producer_id=producer.id, commitment_id=commitment_id)


def _browse(producer: Producer, own: bool):
    today = local_today()
    page = offers.matching_page(producer, page_number(), today)
    return render_template(
        "commitments/browse.html",
        producer=producer,
        page=page,
        km=offers.delivery_km(producer, page.items),
        far_km=offers.FAR_KM,
        summary=offers.producer_pledge_summary(producer, today),
        pledges=None if own else offers.producer_pledges(producer.id, 1, per_page=50),
        offer_url=lambda commitment_id: _offer_url(producer, own, commitment_id),
        today=today,
        **_links(producer, own),
    )


def _offer(producer: Producer, own: bool, commitment_id: int):
    today = local_today()
    commitment = load_or_404(PurchaseCommitment, commitment_id)
    mine = offers.pledges_of(producer.id, commitment.id)
    farms = offers.matching_farms(producer, commitment)
    if not farms and not mine:  # nothing to do with this producer: no probing by id
        abort(404)
    offered = offers.is_offered_to(producer, commitment, today)
    form = PledgeForm()
    form.set_farms(farms, queries.available_kg(farms, today))
    if offered and form.validate_on_submit():
        try:
            services.pledge_volume(
                current_user, producer, commitment.id, int(form.farm_id.data), form.kg.data
            )
        except DomainError as error:
            show_errors(form, error, FIELD_ALIASES)
        else:
            flash(_("Se comprometió a entregar %(kg)s kg.", kg=number(form.kg.data, 0)), "success")
            return redirect(_offer_url(producer, own, commitment.id))
    return render_template(
        "commitments/offer.html",
        producer=producer,
        commitment=commitment,
        offered=offered,
        form=form,
        farms=farms,
        pledges=mine,
        fill=queries.fill_pct(commitment),
        km=offers.delivery_km(producer, [commitment]).get(commitment.id),
        far_km=offers.FAR_KM,
        today=today,
        **_links(producer, own),
    )


@bp.route("/compromisos")
@role_required(Role.PRODUCER)
def browse():
    producer = _own_producer()
    if producer is None:
        return redirect(url_for("producers.my_profile"))
    return _browse(producer, own=True)


@bp.route("/compromisos/<int:commitment_id>", methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def offer(commitment_id: int):
    producer = _own_producer()
    if producer is None:
        return redirect(url_for("producers.my_profile"))
    return _offer(producer, True, commitment_id)


@bp.route("/mis-compromisos-de-venta")
@role_required(Role.PRODUCER)
def my_pledges():
    producer = _own_producer()
    if producer is None:
        return redirect(url_for("producers.my_profile"))
    page = offers.producer_pledges(producer.id, page_number())
    return render_template(
        "commitments/my_pledges.html",
        producer=producer,
        page=page,
        today=local_today(),
    )


@bp.route("/productores/<int:producer_id>/compromisos")
@role_required(*FIELD_ROLES)
def for_producer(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_view)
    if current_user.role == Role.PRODUCER:
        return redirect(url_for("commitments.browse"))
    return _browse(producer, own=False)


@bp.route("/productores/<int:producer_id>/compromisos/<int:commitment_id>", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def offer_for(producer_id: int, commitment_id: int):
    producer = load_or_404(Producer, producer_id, can_view)
    if current_user.role == Role.PRODUCER:
        return redirect(url_for("commitments.offer", commitment_id=commitment_id))
    return _offer(producer, False, commitment_id)


@bp.route("/compromisos-de-venta/<int:pledge_id>/retirar", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def withdraw(pledge_id: int):
    pledge = load_or_404(Pledge, pledge_id, can_withdraw)
    own = current_user.role == Role.PRODUCER
    back = safe_next(
        url_for("commitments.my_pledges")
        if own
        else url_for("commitments.for_producer", producer_id=pledge.producer_id)
    )
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.withdraw_pledge(current_user, pledge.id)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Compromiso de venta retirado: el volumen queda libre."), "success")
        return redirect(back)
    return render_template(
        "commitments/withdraw.html",
        pledge=pledge,
        back=back,
        form=form,
        today=local_today(),
    )
