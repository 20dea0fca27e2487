"""Forms of card payments: the admin's fee, and the buttons that only need CSRF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired


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
