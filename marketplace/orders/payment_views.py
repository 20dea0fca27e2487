"""Transfers on the order pages: the producer records what they paid (or withdraws it),
the supplier confirms what arrived, says it did not arrive, or records a refund it made."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.models import Order, OrderPayment, OrderRefund, Role
from marketplace.money import AmountError, parse_money
from marketplace.orders import permissions
from marketplace.orders.blueprint import bp
from marketplace.orders.forms import CancelForm
from marketplace.orders.views import _received_detail, producer_detail, transfer_block
from marketplace.payments import transfers
from marketplace.payments.forms import (
    ButtonForm,
    ConfirmTransferForm,
    DisputeForm,
    RecordTransferForm,
)
from marketplace.payments.permissions import can_answer_payment, can_withdraw_payment
from marketplace.permissions import load_or_404, role_required
from marketplace.web import show_errors


def _amount(text: str | None, currency: str, field: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_money(text, currency)
    except AmountError as error:
        raise DomainError(error.message, field) from error


@bp.route("/pedidos/<int:order_id>/transferencia", methods=["POST"])
@role_required(Role.PRODUCER)
def record_transfer(order_id: int):
    order = load_or_404(Order, order_id, permissions.can_view)
    form = RecordTransferForm()
    transfer_block(order, form)  # the channel choices
    if not form.validate_on_submit():
        return producer_detail(order, form), 400
    try:
        amount = _amount(form.amount.data, order.currency, "amount")
        transfers.record(current_user, order, form.channel.data, form.reference.data, amount or 0)
    except DomainError as error:
        show_errors(form, error)
        return producer_detail(order, form), 400
    flash(_("Listo: avisamos al proveedor. El pedido queda pagado cuando confirme."), "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.route("/pedidos/pagos/<int:payment_id>/anular", methods=["POST"])
@role_required(Role.PRODUCER)
def withdraw_transfer(payment_id: int):
    payment = load_or_404(OrderPayment, payment_id, can_withdraw_payment)
    if ButtonForm().validate_on_submit():
        try:
            transfers.withdraw(current_user, payment)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Transferencia anulada."), "success")
    return redirect(url_for("orders.detail", order_id=payment.order_id))


@bp.route("/proveedor/pagos/<int:payment_id>/confirmar", methods=["POST"])
@role_required(Role.SUPPLIER)
def confirm_transfer(payment_id: int):
    payment = load_or_404(OrderPayment, payment_id, can_answer_payment)
    form = ConfirmTransferForm()
    order = payment.order
    if form.validate_on_submit():
        try:
            received = _amount(form.received.data, payment.currency, "received")
            transfers.confirm(current_user, payment, received)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Pago confirmado. Avisamos al productor."), "success")
            return redirect(url_for("orders.received_detail", order_id=order.id))
    return _received_detail(order, CancelForm(), confirm_form=form, answering=payment.id), 400


@bp.route("/proveedor/pagos/<int:payment_id>/no-recibido", methods=["POST"])
@role_required(Role.SUPPLIER)
def dispute_transfer(payment_id: int):
    payment = load_or_404(OrderPayment, payment_id, can_answer_payment)
    form = DisputeForm()
    order = payment.order
    if form.validate_on_submit():
        try:
            transfers.dispute(current_user, payment, form.reason.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Avisamos al productor y a Minka que el pago no llegó."), "success")
            return redirect(url_for("orders.received_detail", order_id=order.id))
    return _received_detail(order, CancelForm(), dispute_form=form, answering=payment.id), 400


@bp.route("/proveedor/devoluciones/<int:refund_id>/hecha", methods=["POST"])
@role_required(Role.SUPPLIER)
def refund_made(refund_id: int):
    refund = load_or_404(
        OrderRefund, refund_id, lambda user, r: can_answer_payment(user, r.payment)
    )
    if ButtonForm().validate_on_submit():
        try:
            transfers.refund_made(current_user, refund)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Devolución registrada."), "success")
    return redirect(url_for("orders.received_detail", order_id=refund.order_id))
