"""Forms of payments: the admin's fee, buttons that only need CSRF, and transfers (the
supplier's details, the producer's record, the supplier's answer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class FeeForm(FlaskForm):
    # Text: the service reads "5", "2,5" or "2.5 %" and explains anything else in Spanish.
    percent = StringField(
        _l("Comisión de Minka por pago con tarjeta (%)"),
        [DataRequired(_l("Escriba un porcentaje, por ejemplo 5 o 2,5."))],
        description=_l("Se descuenta de lo que recibe el proveedor en cada pago con tarjeta."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class ButtonForm(FlaskForm):
    """A button that posts nothing but its CSRF token (pay, start onboarding)."""


class TransferDetailsForm(FlaskForm):
    """Where the supplier receives one channel's transfers."""

    channel = SelectField(_l("Medio"), validate_choice=False)
    holder = StringField(
        _l("Titular"),
        [DataRequired(_l("Escriba el nombre del titular.")), Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    account = StringField(
        _l("Número de celular, de cuenta o CCI"),
        [DataRequired(_l("Escriba el número de celular o de cuenta.")), Length(max=60)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    bank = StringField(
        _l("Banco (para transferencia bancaria o PSE)"),
        [Optional(), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )


class RecordTransferForm(FlaskForm):
    """The producer's record of what they paid and how."""

    channel = RadioField(_l("¿Cómo pagó?"), validate_choice=False)
    reference = StringField(
        _l("Número de operación"),
        [DataRequired(_l("Escriba el número de operación que le dio su banco o billetera."))],
        description=_l("Lo encuentra en la constancia de Yape, Plin, Nequi, Daviplata o su banco."),
        render_kw={"autocomplete": "off"},
    )
    # Text, read with the order's currency by the view.
    amount = StringField(
        _l("Monto que pagó"),
        [DataRequired(_l("Escriba cuánto pagó."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class ConfirmTransferForm(FlaskForm):
    received = StringField(
        _l("Monto que llegó (si es menos de lo registrado)"),
        [Optional(), Length(max=20)],
        description=_l("Déjelo vacío si llegó todo."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("¿Qué pasó?"),
        [
            DataRequired(_l("Explique qué no llegó o qué no coincide.")),
            Length(max=500, message=_l("Escriba como máximo 500 caracteres.")),
        ],
        render_kw={"rows": 2},
    )
