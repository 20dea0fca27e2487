"""Order pages: a producer orders and follows their orders; a supplier handles what it got."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.catalog.search import similar_listings
from marketplace.credit.spending import spendable_loans
from marketplace.errors import DomainError
from marketplace.i18n import money, number
from marketplace.links import directions_url
from marketplace.models import (
    DeliveryPoint,
    Listing,
    Order,
    OrderStatus,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
    Role,
)
from marketplace.money import AmountError, amount_text, parse_money
from marketplace.orders import permissions, queries, services, states
from marketplace.orders.blueprint import bp
from marketplace.orders.forms import CancelForm, OrderForm, ProducerCancelForm, parse_payment
from marketplace.orders.states import Side
from marketplace.payments import checkout as card_payments
from marketplace.payments import methods as payment_methods
from marketplace.payments import transfers
from marketplace.payments.forms import (
    ButtonForm,
    ConfirmTransferForm,
    DisputeForm,
    RecordTransferForm,
)
from marketplace.permissions import load_or_404, role_required
from marketplace.producers.services import producer_of
from marketplace.web import page_number, show_errors

SUPPLIER_TARGETS = {
    states.CONFIRMED: "confirm",
    states.DELIVERED: "mark_delivered",
    states.COMPLETED: "complete",
}


@bp.context_processor
def _order_helpers() -> dict:
    return {"step_label": queries.step_label}


def _own_producer():
    producer = producer_of(current_user)
    if producer is None:
        flash(_("Primero complete sus datos; después podrá hacer pedidos."), "info")
    return producer


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _center_choice(center, km: float | None) -> str:
    if km is None:
        return center.name
    return _("%(name)s — %(km)s km", name=center.name, km=number(km, 1))


def _loan_choice(loan) -> tuple[int, str]:
    text = _(
        "Crédito (préstamo de %(lender)s) · disponible %(available)s",
        lender=loan.lender.name,
        available=money(loan.available_minor, loan.currency),
    )
    return loan.id, text


def _order_form(producer, listing: Listing) -> tuple[OrderForm, str, list, list]:
    form = OrderForm()
    form.set_methods(
        payment_methods.offered(listing.organization_id),
        [_loan_choice(loan) for loan in spendable_loans(producer, listing.currency)],
    )
    point = services.delivery_point_for(listing)
    centers, farms = [], []
    if point == DeliveryPoint.COLLECTION_CENTER:
        centers = services.pickup_centers(producer, listing)
        form.center_id.choices = [(str(c.id), _center_choice(c, km)) for c, km in centers]
        del form.farm_id
    else:
        farms = [farm for farm in producer.farms if farm.country == listing.country]
        form.farm_id.choices = [(str(f.id), f.name) for f in farms]
        del form.center_id
    if not form.is_submitted():
        form.quantity.data = 1
        form.idempotency_key.data = secrets.token_urlsafe(24)
        if centers:
            form.center_id.data = str(centers[0][0].id)  # the nearest
        if farms:
            form.farm_id.data = str(farms[0].id)
    return form, point, centers, farms


@bp.route("/catalogo/<int:listing_id>/pedir", methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def new(listing_id: int):
    producer = _own_producer()
    if producer is None:
        return redirect(url_for("producers.my_profile"))
    listing = services.orderable_listing(listing_id)
    if listing is None:
        abort(404)
    if listing.sold_out:  # no dead form: say so, and offer what is in stock nearby
        posted = request.method == "POST"
        if posted:
            flash(_("No hay suficiente stock: este producto se agotó."), "warning")
        page = render_template(
            "orders/sold_out.html", listing=listing, similar=similar_listings(listing, producer)
        )
        return page, 409 if posted else 200
    form, point, centers, farms = _order_form(producer, listing)
    step = request.form.get("step", "review")
    if step != "edit" and form.validate_on_submit():
        method, loan_id = parse_payment(form.payment_method.data)
        args = {
            "quantity": form.quantity.data,
            "delivery_point": point,
            "center_id": _int_or_none(form.center_id.data) if "center_id" in form else None,
            "farm_id": _int_or_none(form.farm_id.data) if "farm_id" in form else None,
            "note": form.note.data or "",
            "payment_method": method,
            "loan_id": loan_id,
        }
        try:
            if step == "confirm":
                order = services.place_order(
                    current_user,
                    producer,
                    listing.id,
                    idempotency_key=form.idempotency_key.data or "",
                    expected_unit_price_minor=request.form.get("unit_price", type=int),
                    **args,
                )
                if order.payment_method == PaymentMethod.CARD:
                    flash(_("Pedido enviado. Ahora páguelo con su tarjeta."), "success")
                elif order.payment_method == PaymentMethod.OXXO:
                    flash(_("Pedido enviado. Ahora pida su ficha para pagar en OXXO."), "success")
                elif order.payment_method == PaymentMethod.TRANSFER:
                    flash(
                        _("Pedido enviado. Pague al proveedor y registre aquí su pago."), "success"
                    )
                else:
                    flash(
                        _("Pedido enviado. El proveedor le avisará cuando lo confirme."), "success"
                    )
                return redirect(url_for("orders.detail", order_id=order.id))
            quote = services.quote(producer, listing.id, **args)
        except DomainError as error:
            show_errors(form, error)
        else:
            km = dict((c.id, d) for c, d in centers)
            return render_template(
                "orders/review.html", form=form, quote=quote, listing=listing, km=km
            )
    return render_template(
        "orders/new.html",
        form=form,
        listing=listing,
        point=point,
        centers=centers,
        farms=farms,
        producer=producer,
        foreign=listing.country != producer.country,
    )


@bp.route("/pedidos")
@role_required(Role.PRODUCER)
def mine():
    producer = _own_producer()
    if producer is None:
        return redirect(url_for("producers.my_profile"))
    page = queries.producer_orders(producer, page_number())
    return render_template("orders/mine.html", page=page)


@bp.route("/pedidos/<int:order_id>")
@role_required(Role.PRODUCER)
def detail(order_id: int):
    order = load_or_404(Order, order_id, permissions.can_view)
    back = request.args.get("pago")
    if back == "ok" and order.payment_status != PaymentStatus.PAID:
        flash(_("Gracias. Estamos confirmando su pago; en unos momentos aparecerá aquí."), "info")
    elif back == "cancelado" and order.payment_status != PaymentStatus.PAID:
        flash(_("No se hizo el pago. Puede pagar cuando quiera desde esta página."), "info")
    return producer_detail(order)


def producer_detail(order: Order, transfer_form: RecordTransferForm | None = None):
    """The producer's order page (with the transfer form as submitted, when it had errors)."""
    return render_template(
        "orders/detail.html",
        order=order,
        steps=queries.timeline(order),
        can_cancel=states.can_move(order.status, states.CANCELLED, Side.PRODUCER),
        form=ProducerCancelForm(),
        can_pay=card_payments.can_pay(order),
        pay_form=ButtonForm(),
        transfer=transfer_block(order, transfer_form),
    )


def transfer_block(order: Order, form: RecordTransferForm | None = None) -> dict | None:
    """What the producer needs to pay by transfer: the supplier's details, what is still
    due, and the form to record a payment."""
    if order.payment_method != PaymentMethod.TRANSFER:
        return None
    details = payment_methods.transfer_details(order.supplier_id)
    form = form or RecordTransferForm(formdata=None)
    form.channel.choices = [(d.channel, PaymentChannel(d.channel).lazy_label) for d in details]
    if form.channel.data is None and details:
        form.channel.data = details[0].channel
    due = transfers.due_minor(order)
    if not form.amount.data and due:
        form.amount.data = amount_text(due, order.currency)
    return {
        "details": details,
        "due": due,
        "form": form,
        "can_record": bool(details) and due > 0 and order.status in transfers.PAYABLE_ORDER,
        "button": ButtonForm(),
    }


@bp.route("/pedidos/<int:order_id>/cancelar", methods=["POST"])
@role_required(Role.PRODUCER)
def cancel(order_id: int):
    order = load_or_404(Order, order_id, permissions.can_view)
    form = ProducerCancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(current_user, order, form.reason.data or "")
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Pedido cancelado."), "success")
    else:
        flash(_("Revise el motivo: escriba como máximo 500 caracteres."), "error")
    return redirect(url_for("orders.detail", order_id=order.id))


def _supplier_org_id() -> int:
    if current_user.organization_id is None:
        abort(403)
    return current_user.organization_id


@bp.route("/proveedor/pedidos")
@role_required(Role.SUPPLIER)
def received():
    chosen = request.args.get("estado", queries.DEFAULT_FILTER)
    if chosen not in queries.SUPPLIER_FILTERS:
        chosen = queries.DEFAULT_FILTER
    page = queries.supplier_orders(_supplier_org_id(), chosen, page_number())
    return render_template(
        "orders/received.html", page=page, chosen=chosen, filters=queries.SUPPLIER_FILTERS
    )


def _received_detail(order: Order, cancel_form: CancelForm, **forms):
    return render_template(
        "orders/received_detail.html",
        order=order,
        directions_url=directions_url,
        steps=queries.timeline(order),
        targets=states.allowed_targets(order.status, Side.SUPPLIER),
        cancel_form=cancel_form,
        payout=card_payments.payout(order)
        if order.payment_method in card_payments.STRIPE_METHODS
        else None,
        confirm_form=forms.get("confirm_form") or ConfirmTransferForm(formdata=None),
        dispute_form=forms.get("dispute_form") or DisputeForm(formdata=None),
        answering=forms.get("answering"),
        button=ButtonForm(),
    )


@bp.route("/proveedor/pedidos/<int:order_id>")
@role_required(Role.SUPPLIER)
def received_detail(order_id: int):
    _supplier_org_id()
    return _received_detail(load_or_404(Order, order_id, permissions.is_supplier_of), CancelForm())


def _refund_amount(form: CancelForm, order: Order) -> int | None:
    """The typed partial refund in minor units (None: refund all)."""
    text = (form.refund_amount.data or "").strip()
    if not text:
        return None
    try:
        return parse_money(text, order.currency)
    except AmountError as error:
        raise DomainError(error.message, "refund_amount") from error


@bp.route("/proveedor/pedidos/<int:order_id>/estado", methods=["POST"])
@role_required(Role.SUPPLIER)
def change_status(order_id: int):
    _supplier_org_id()
    order = load_or_404(Order, order_id, permissions.is_supplier_of)
    target = request.form.get("to", "")
    cancel_form = CancelForm()
    if target == states.CANCELLED and not cancel_form.validate_on_submit():
        return _received_detail(order, cancel_form)
    try:
        if target == states.CANCELLED:
            refund = _refund_amount(cancel_form, order)
            services.cancel(current_user, order, cancel_form.reason.data, refund)
        elif target in SUPPLIER_TARGETS:
            getattr(services, SUPPLIER_TARGETS[target])(current_user, order)
        else:
            raise DomainError(_("Este cambio de estado no es posible."), "status")
    except DomainError as error:
        if error.field == "refund_amount":
            show_errors(cancel_form, error)
            return _received_detail(order, cancel_form)
        flash(str(error.message), "error")
    else:
        flash(
            _("Pedido #%(id)s: %(status)s.", id=order.id, status=OrderStatus(target).label),
            "success",
        )
    return redirect(url_for("orders.received_detail", order_id=order.id))
