"""What each kind of notification says; `params` fill the placeholders at display time.

Features add their kinds here, so every message has one translatable text.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.i18n import money, number
from marketplace.models import PaymentChannel, TenureRejection

MESSAGES = {
    "organization.verified": _l(
        "Minka verificó su organización: ya puede publicar y, si es una cooperativa, sus "
        "técnicos pueden registrar productores."
    ),
    "organization.rejected": _l(
        "Minka no pudo verificar su organización: %(reason)s. Corrija los datos en «Mi "
        "organización» para que la revisemos de nuevo."
    ),
    "forest.layer_unavailable": _l(
        "No pudimos leer la capa de bosque «%(layer)s»: su archivo no está en este servidor "
        "ni en el almacén de archivos compartido. Las parcelas guardadas mientras tanto quedan "
        "sin evaluar. Comparta la capa con «flask forest share» desde el servidor que la "
        "importó y evalúe de nuevo con «flask forest assess»."
    ),
    "order.placed": _l("Nuevo pedido #%(order)s: %(quantity)s × %(title)s."),
    "order.confirmed": _l("Su pedido #%(order)s de %(title)s fue confirmado."),
    "order.delivered": _l("Su pedido #%(order)s de %(title)s fue entregado."),
    "order.completed": _l("El pedido #%(order)s de %(title)s quedó completado."),
    "order.cancelled": _l("El pedido #%(order)s de %(title)s fue cancelado: %(reason)s"),
    "order.cancelled_by_producer": _l("El productor canceló el pedido #%(order)s de %(title)s."),
    "payment.paid": _l("Pago con tarjeta recibido para el pedido #%(order)s de %(title)s."),
    "payment.expired": _l(
        "El pago con tarjeta del pedido #%(order)s no se completó a tiempo. Puede pagar de "
        "nuevo desde el pedido."
    ),
    "payment.failed": _l(
        "La tarjeta no pagó el pedido #%(order)s: %(reason)s. Puede intentar de nuevo desde "
        "el pedido."
    ),
    "payment.refunded": _l("Se devolvió el pago del pedido #%(order)s de %(title)s."),
    "payment.voucher": _l(
        "Su ficha OXXO del pedido #%(order)s está lista: referencia %(number)s. Pague en "
        "efectivo en cualquier tienda OXXO antes de que venza."
    ),
    "payment.oxxo_paid": _l("Pago en OXXO recibido para el pedido #%(order)s de %(title)s."),
    "payment.oxxo_failed": _l(
        "La ficha OXXO del pedido #%(order)s venció sin pagarse. Puede pedir una nueva desde "
        "el pedido."
    ),
    "payment.oxxo_expired": _l(
        "El pago en OXXO del pedido #%(order)s no se inició a tiempo. Puede intentarlo de "
        "nuevo desde el pedido."
    ),
    "transfer.recorded": _l(
        "El productor dice que pagó %(amount)s por %(channel)s para el pedido #%(order)s "
        "(operación %(reference)s). Revise si llegó y confírmelo."
    ),
    "transfer.confirmed": _l(
        "El proveedor confirmó que recibió %(amount)s del pedido #%(order)s de %(title)s."
    ),
    "transfer.disputed": _l(
        "El proveedor dice que no recibió la transferencia del pedido #%(order)s: "
        "%(reason)s. Minka revisará el caso."
    ),
    "transfer.resolved_paid": _l("Minka resolvió el pago del pedido #%(order)s: está pagado."),
    "transfer.resolved_unpaid": _l(
        "Minka resolvió el pago del pedido #%(order)s: la transferencia no llegó. Puede "
        "pagar de nuevo."
    ),
    "pledge.created": _l("Nuevo compromiso de %(kg)s kg para «%(product)s»."),
    "pledge.withdrawn": _l("Se retiraron %(kg)s kg del compromiso «%(product)s»."),
    "producer.claimed": _l(
        "%(name)s unió su propia cuenta de Minka al registro que usted hizo: sus fincas y su "
        "historial siguen en el mismo registro."
    ),
    "commitment.nearby": _l(
        "%(buyer)s compra «%(product)s» en %(region)s, con entregas hasta el %(date)s: puede "
        "comprometer volumen de su finca."
    ),
    "commitment.closed": _l(
        "El comprador cerró «%(product)s»; su volumen comprometido sigue en pie."
    ),
    "credit.info_requested": _l(
        "%(lender)s pide información sobre el grupo de crédito %(group)s: %(message)s"
    ),
    "credit.loan_approved": _l(
        "%(lender)s aprobó su préstamo. Lea el cronograma y acéptelo o no en Mi crédito."
    ),
    "loan.accepted": _l("El productor aceptó el préstamo #%(loan)s: ya se puede desembolsar."),
    "loan.declined": _l("El productor no aceptó el préstamo #%(loan)s."),
    "credit.group_declined": _l("%(lender)s no aprobó el crédito de su grupo."),
    "delivery.recorded": _l("Entrega %(code)s registrada: %(kg)s kg."),
    "delivery.checkoff_producer": _l(
        "Entrega %(code)s registrada: %(kg)s kg; descontado para su préstamo: %(deducted)s."
    ),
    "lot.review_at_risk": _l(
        "Revisar el lote %(lot)s: la parcela %(farm)s pasó a riesgo el %(date)s, después de "
        "la entrega."
    ),
    "lot.review_needs_verification": _l(
        "Revisar el lote %(lot)s: la parcela %(farm)s pasó a requerir verificación el "
        "%(date)s, después de la entrega."
    ),
    "dispute.awaiting_review": _l(
        "La parcela %(farm)s tiene una disputa (n.º %(dispute)s) que espera una primera revisión."
    ),
    "dispute.awaiting_confirmation": _l(
        "La disputa n.º %(dispute)s de la parcela %(farm)s tiene una propuesta: otra persona "
        "debe confirmarla o devolverla."
    ),
    "dispute.upheld": _l("La disputa n.º %(dispute)s de la parcela %(farm)s fue aceptada."),
    "dispute.rejected": _l("La disputa n.º %(dispute)s de la parcela %(farm)s fue rechazada."),
    "plot.overlap_found": _l(
        "La parcela %(farm)s se superpone con la parcela %(other)s de otro productor "
        "(%(ha)s ha): revise los contornos con los dos productores."
    ),
    "plot.overlap_resolved": _l(
        "La parcela %(farm)s ya no se superpone con la parcela %(other)s de otro productor."
    ),
    "tenure.document_accepted": _l(
        "Minka aceptó el documento de tenencia de la parcela %(farm)s: la parcela figura como "
        "documentada."
    ),
    "tenure.document_rejected": _l(
        "Minka rechazó el documento de tenencia de la parcela %(farm)s: %(rejection)s. "
        "%(note)s Suba otro documento desde la página de la parcela."
    ),
    "delivery.checkoff": _l(
        "Pago de %(amount)s al préstamo #%(loan)s descontado de la entrega %(code)s."
    ),
}


def money_param(amount_minor: int, currency: str) -> dict:
    """An amount for a notification's params, formatted when (and as) the reader sees it."""
    return {"minor": int(amount_minor), "currency": currency}


#: Params that name a record ("pedido #%(order)s"): written as stored, never grouped.
RECORD_PARAMS = frozenset({"order", "loan", "dispute"})


def _shown(key: str, value):
    """A param as the reader sees it: amounts with their currency, numbers grouped in the
    reader's locale (5,620 kg; 5.620 kg in Colombia), a payment channel by its label."""
    if key == "channel" and value in PaymentChannel.codes():
        return PaymentChannel(value).label
    if key == "rejection" and value in TenureRejection.codes():
        return TenureRejection(value).label
    if isinstance(value, dict) and set(value) == {"minor", "currency"}:
        return money(value["minor"], value["currency"])
    if isinstance(value, int | float) and not isinstance(value, bool) and key not in RECORD_PARAMS:
        return number(value, 2)
    return value


def render(kind: str, params: dict) -> str:
    """The notification's text in the reader's language and number format (the kind itself
    if unknown)."""
    message = MESSAGES.get(kind)
    if message is None:
        return kind
    try:
        return str(message) % {key: _shown(key, value) for key, value in params.items()}
    except (KeyError, TypeError, ValueError):
        return str(message)
