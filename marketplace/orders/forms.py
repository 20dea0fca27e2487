"""The order form and the supplier's cancel form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.fields import IntegerText
from marketplace.models import PaymentMethod
from marketplace.orders.services import MAX_NOTE, MAX_REASON

REQUIRED = _l("Este dato es obligatorio.")
CASH = "cash"
CARD = "card"
LOAN_PREFIX = "loan:"


def loan_choice(loan_id: int) -> str:
    """The payment radio's value for paying with one loan."""
    return f"{LOAN_PREFIX}{loan_id}"


def parse_payment(value: str | None) -> tuple[str, int | None]:
    """(payment method, loan id) from the payment radio: "cash", or "loan:<id>" for credit.

    Anything else is passed on as the method, for the service to refuse."""
    value = value or CASH
    if value.startswith(LOAN_PREFIX):
        number = value.removeprefix(LOAN_PREFIX)
        return "credit", int(number) if number.isdigit() and len(number) < 10 else None
    return value, None


class OrderForm(FlaskForm):
    # Read here, checked by the service (at least 1, the stock, the largest order); signed so
    # that "-5" gets the service's "at least 1", not the reader's "0 or more".
    quantity = IntegerText(
        _l("Cantidad"),
        [InputRequired(_l("Escriba cuántos quiere, por ejemplo 2."))],
        signed=True,
        unreadable=_l("Escriba la cantidad como un número entero, por ejemplo 2."),
    )
    center_id = RadioField(
        _l("Centro de acopio donde lo recoge"),
        [DataRequired(_l("Elija un centro de acopio de la lista."))],
        validate_choice=False,
    )
    farm_id = RadioField(
        _l("Finca donde lo recibe"),
        [DataRequired(_l("Elija una de sus fincas."))],
        validate_choice=False,
    )
    # choices set per producer: cash, and each loan they may spend (see set_loans)
    payment_method = RadioField(
        _l("Forma de pago"),
        choices=[(CASH, PaymentMethod.CASH.lazy_label)],
        default=CASH,
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Nota para el proveedor (opcional)"),
        [Optional(), Length(max=MAX_NOTE, message=_l("Escriba como máximo 500 caracteres."))],
        render_kw={"rows": 3},
    )
    idempotency_key = HiddenField()

    def set_methods(self, methods: tuple[str, ...], loans: list[tuple[int, str]]) -> None:
        """Offer cash, the supplier's other methods (card, OXXO, transfer: see
        payments.methods.offered), and each of these loans: (loan id, label) pairs."""
        choices = [(CASH, PaymentMethod.CASH.lazy_label)]
        choices += [
            (m, PaymentMethod(m).lazy_label)
            for m in methods
            if m not in (PaymentMethod.CASH, PaymentMethod.CREDIT)
        ]
        self.payment_method.choices = choices + [
            (loan_choice(loan_id), text) for loan_id, text in loans
        ]


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Motivo de la cancelación"),
        [
            DataRequired(_l("Explique al productor por qué cancela el pedido.")),
            Length(max=MAX_REASON, message=_l("Escriba como máximo 500 caracteres.")),
        ],
        description=_l("El productor verá este motivo."),
        render_kw={"rows": 3},
    )
    # Only for an order paid by card; text, read with the order's currency by the view.
    refund_amount = StringField(
        _l("Monto a devolver a la tarjeta (opcional)"),
        [Optional(), Length(max=20)],
        description=_l("Déjelo vacío para devolver todo el pago."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class ProducerCancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Motivo (opcional)"),
        [Optional(), Length(max=MAX_REASON, message=_l("Escriba como máximo 500 caracteres."))],
        render_kw={"rows": 2},
    )
