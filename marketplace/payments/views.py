"""Card payment pages: pay an order, supplier onboarding, the admin's settings, and the
Stripe webhook (no session, no CSRF: its signature is the proof)."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.extensions import csrf
from marketplace.i18n import number
from marketplace.models import Order, Role
from marketplace.organizations.permissions import MEMBER_ROLES
from marketplace.payments import accounts, checkout, countries, fees, gateway, webhooks
from marketplace.payments.blueprint import bp
from marketplace.payments.forms import ButtonForm, FeeForm
from marketplace.payments.permissions import SELLER_KINDS, can_pay
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
    except gateway.GatewayError:
        return jsonify(error="stripe unavailable, retry"), 503
    return jsonify(received=True, result=result)
