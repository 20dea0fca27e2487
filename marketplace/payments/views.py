"""Payment pages: pay an order on Stripe, supplier onboarding and transfer details, the
admin's settings and disputes, the methods by country, and the Stripe webhook (no session,
no CSRF: its signature is the proof)."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.extensions import csrf
from marketplace.i18n import number
from marketplace.models import Order, OrderPayment, PaymentChannel, Role
from marketplace.organizations.permissions import MEMBER_ROLES
from marketplace.payments import (
    accounts,
    checkout,
    countries,
    fees,
    gateway,
    methods,
    transfers,
    webhooks,
)
from marketplace.payments.blueprint import bp
from marketplace.payments.forms import ButtonForm, FeeForm, TransferDetailsForm
from marketplace.payments.permissions import SELLER_KINDS, can_manage_account, can_pay
from marketplace.permissions import load_or_404, role_required
from marketplace.web import show_errors


@bp.route("/pedidos/<int:order_id>/pagar", methods=["POST"])
@role_required(Role.PRODUCER)
def pay(order_id: int):
    order = load_or_404(Order, order_id, can_pay)
    back = url_for("orders.detail", order_id=order.id)
    if not ButtonForm().validate_on_submit():
        flash(_("El formulario caducó. Vuelva a intentarlo."), "error")
        return redirect(back)
    links = checkout.Links(
        success_url=url_for("orders.detail", order_id=order.id, pago="ok", _external=True),
        cancel_url=url_for("orders.detail", order_id=order.id, pago="cancelado", _external=True),
    )
    try:
        url = checkout.start_checkout(current_user, order, links)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(back)
    return redirect(url, code=303)


@bp.route("/organizacion/cobros", methods=["POST"])
@role_required(Role.SUPPLIER)
def onboard():
    org = current_user.organization
    if org is None:
        abort(403)
    if not ButtonForm().validate_on_submit():
        flash(_("El formulario caducó. Vuelva a intentarlo."), "error")
        return redirect(url_for("organizations.mine"))
    try:
        url = accounts.onboarding_link(
            current_user,
            org,
            refresh_url=url_for("organizations.mine", _external=True),
            return_url=url_for("payments.onboarded", _external=True),
        )
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("organizations.mine"))
    return redirect(url, code=303)


@bp.route("/organizacion/cobros/volver")
@role_required(Role.SUPPLIER)
def onboarded():
    org = current_user.organization
    if org is None:
        abort(403)
    try:
        account = accounts.refresh(current_user, org)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        if account is not None and account.charges_enabled:
            flash(_("Su cuenta de cobros está activa: ya puede cobrar con tarjeta."), "success")
        else:
            flash(_("Stripe aún revisa sus datos. Le avisaremos cuando pueda cobrar."), "info")
    return redirect(url_for("organizations.mine"))


@bp.app_context_processor
def _card_status() -> dict:
    """For the organization page: the card-payments block (suppliers only)."""
    if not current_user.is_authenticated or current_user.role not in MEMBER_ROLES:
        return {}
    return {"card_payments": _card_block}


def _card_block(org) -> dict | None:
    if org is None or org.kind not in SELLER_KINDS:
        return None
    return {
        "configured": gateway.configured(),
        "available": countries.takes_cards(org.country),
        "unavailable": accounts.CARDS_UNAVAILABLE,
        "account": accounts.account_of(org.id),
        "fee_percent": number(fees.fee_bp() / 100, 2),
        "form": ButtonForm(),
        "transfer_channels": countries.methods_of(org.country).channels,
    }


@bp.route("/admin/pagos", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings():
    form = FeeForm()
    if form.validate_on_submit():
        try:
            bp_ = fees.set_fee(current_user, form.percent.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Comisión guardada: %(percent)s %%.", percent=number(bp_ / 100, 2)), "success")
            return redirect(url_for(".settings"))
    elif not form.is_submitted():
        form.percent.data = fees.percent_text(fees.fee_bp())
    return render_template(
        "payments/settings.html",
        form=form,
        configured=gateway.configured(),
        webhook_configured=bool(current_app.config.get("MINKA_STRIPE_WEBHOOK_SECRET")),
        table=countries.METHODS,
        disputes=len(transfers.open_disputes()),
    )


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt
def webhook():
    try:
        event = gateway.construct_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except gateway.InvalidWebhook:
        return jsonify(error="invalid signature"), 400
    try:
        result = webhooks.handle(event)
    except gateway.GatewayError as error:
        if error.transient:  # Stripe delivers the event again later
            return jsonify(error="stripe unavailable, retry"), 503
        # A refusal that no retry will change (the object is gone, the call is invalid):
        # acknowledged, so Stripe stops sending it for days; the log says what was refused.
        current_app.logger.warning(
            "Stripe refused a call for event %s (%s): %s", event.get("id"), event.get("type"),
            error.code,
        )  # fmt: skip
        return jsonify(received=True, result="refused", code=error.code)
    return jsonify(received=True, result=result)


# --- transfers: the supplier's details, the admin's disputes, the methods by country ------


def _own_selling_org():
    org = current_user.organization
    if org is None or not can_manage_account(current_user, org):
        abort(403)
    return org


@bp.route("/organizacion/transferencias", methods=["GET", "POST"])
@role_required(Role.SUPPLIER)
def transfer_details():
    org = _own_selling_org()
    channels = countries.methods_of(org.country).channels
    form = TransferDetailsForm()
    form.channel.choices = [(c, PaymentChannel(c).lazy_label) for c in channels]
    if channels and form.validate_on_submit():
        try:
            transfers.save_details(
                current_user, org, form.channel.data, form.holder.data, form.account.data,
                form.bank.data or "",
            )  # fmt: skip
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Datos guardados: los productores los verán al pagar."), "success")
            return redirect(url_for(".transfer_details"))
    status = 400 if form.errors else 200
    return render_template(
        "payments/transfer_details.html",
        form=form,
        channels=channels,
        details=methods.transfer_details(org.id),
        button=ButtonForm(),
    ), status


@bp.route("/organizacion/transferencias/<channel>/quitar", methods=["POST"])
@role_required(Role.SUPPLIER)
def remove_transfer_details(channel: str):
    org = _own_selling_org()
    if ButtonForm().validate_on_submit():
        transfers.remove_details(current_user, org, channel)
        flash(_("Medio quitado."), "success")
    return redirect(url_for(".transfer_details"))


@bp.route("/admin/pagos/disputas")
@role_required(Role.ADMIN)
def disputes():
    return render_template(
        "payments/disputes.html", disputes=transfers.open_disputes(), button=ButtonForm()
    )


@bp.route("/admin/pagos/disputas/<int:payment_id>", methods=["POST"])
@role_required(Role.ADMIN)
def resolve_dispute(payment_id: int):
    payment = load_or_404(OrderPayment, payment_id)
    paid = request.form.get("paid")
    if ButtonForm().validate_on_submit() and paid in ("1", "0"):
        try:
            transfers.resolve(current_user, payment, paid == "1")
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Disputa resuelta. Avisamos al productor y al proveedor."), "success")
    return redirect(url_for(".disputes"))


@bp.route("/formas-de-pago")
def how_to_pay():
    return render_template("payments/how_to_pay.html", table=countries.METHODS)
