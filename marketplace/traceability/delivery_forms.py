"""Forms of the collection centre's delivery and lot pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

REQUIRED = _l("Este dato es obligatorio.")
WHOLE_KG = _l("Escriba los kilos como un número entero mayor que 0.")
PERCENT = _l("Un porcentaje entre 0 y 100.")


class DeliveryForm(FlaskForm):
    pledge_id = SelectField(
        _l("Productor/a y compromiso"),
        [InputRequired(_l("Elija el compromiso de venta del productor."))],
        validate_choice=False,
    )
    kg = IntegerField(
        _l("Kilos entregados"),
        [InputRequired(WHOLE_KG), NumberRange(min=1, message=WHOLE_KG)],
        render_kw={"inputmode": "numeric"},
    )
    delivered_on = DateField(_l("Fecha de entrega"), [InputRequired(REQUIRED)])
    humidity_pct = DecimalField(
        _l("Humedad (%)"),
        [Optional(), NumberRange(min=0, max=100, message=PERCENT)],
        places=1,
        render_kw={"inputmode": "decimal", "step": "any"},
    )
    fermentation_pct = DecimalField(
        _l("Fermentación (%)"),
        [Optional(), NumberRange(min=0, max=100, message=PERCENT)],
        places=1,
        render_kw={"inputmode": "decimal", "step": "any"},
    )
    quality_note = StringField(_l("Nota de calidad"), [Optional(), Length(max=500)])


class LotForm(FlaskForm):
    commitment_id = SelectField(
        _l("Compromiso de compra"),
        [InputRequired(_l("Elija un compromiso que se entregue en este centro."))],
        validate_choice=False,
    )


class WeightForm(FlaskForm):
    weight_kg = IntegerField(
        _l("Peso de salida del lote (kg)"),
        [InputRequired(WHOLE_KG), NumberRange(min=1, message=WHOLE_KG)],
        description=_l("Lo que sale del centro; nunca más que lo que entró."),
        render_kw={"inputmode": "numeric"},
    )
