"""The order form and the supplier's cancel form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.labels import PAYMENT_METHODS
from marketplace.orders.services import MAX_NOTE, MAX_REASON
from marketplace.orders.services import PAYMENT_METHODS as OFFERED

REQUIRED = _l("Este dato es obligatorio.")


class OrderForm(FlaskForm):
    # Text, not IntegerField: the service explains every wrong quantity in Spanish.
    quantity = StringField(
        _l("Cantidad"),
        [DataRequired(_l("Escriba cuántos quiere, por ejemplo 2."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
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
    payment_method = RadioField(
        _l("Forma de pago"),
        choices=[(code, PAYMENT_METHODS[code]) for code in OFFERED],
        default=OFFERED[0],
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Nota para el proveedor (opcional)"),
        [Optional(), Length(max=MAX_NOTE, message=_l("Escriba como máximo 500 caracteres."))],
        render_kw={"rows": 3},
    )
    idempotency_key = HiddenField()


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


class ProducerCancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Motivo (opcional)"),
        [Optional(), Length(max=MAX_REASON, message=_l("Escriba como máximo 500 caracteres."))],
        render_kw={"rows": 2},
    )
