"""Forms of the collection centre's delivery and lot pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace.fields import IntegerText, percent_field
from marketplace.models import ProductState

REQUIRED = _l("Este dato es obligatorio.")
WHOLE_KG = _l("Escriba los kilos como un número entero mayor que 0.")


class DeliveryForm(FlaskForm):
    pledge_id = SelectField(
        _l("Productor/a y compromiso"),
        [InputRequired(_l("Elija el compromiso de venta del productor."))],
        validate_choice=False,
    )
    kg = IntegerText(
        _l("Kilos entregados"),
        [InputRequired(WHOLE_KG), NumberRange(min=1, message=WHOLE_KG)],
        unreadable=WHOLE_KG,
    )
    delivered_on = DateField(_l("Fecha de entrega"), [InputRequired(REQUIRED)])
    product_state = SelectField(
        _l("Estado del producto"),
        [Optional()],
        choices=[("", _l("El habitual (cacao seco, café pergamino)"))] + ProductState.choices(),
        validate_choice=False,
    )
    harvest_start = DateField(
        _l("Cosecha: desde"),
        [Optional()],
        description=_l(
            "Cuándo se cosechó lo que se entrega. Si lo deja vacío: los 90 días antes de la "
            "entrega."
        ),
    )
    harvest_end = DateField(_l("Cosecha: hasta"), [Optional()])
    humidity_pct = percent_field(_l("Humedad (%)"), _l("Por ejemplo 7,5"))
    fermentation_pct = percent_field(_l("Fermentación (%)"), _l("Por ejemplo 80"))
    quality_note = StringField(_l("Nota de calidad"), [Optional(), Length(max=500)])


class LotForm(FlaskForm):
    commitment_id = SelectField(
        _l("Compromiso de compra"),
        [InputRequired(_l("Elija un compromiso que se entregue en este centro."))],
        validate_choice=False,
    )
    output_state = SelectField(
        _l("El lote sale como"),
        [Optional()],
        choices=[("", _l("El habitual (cacao seco, café pergamino)"))] + ProductState.choices(),
        validate_choice=False,
    )


class MergeForm(FlaskForm):
    other_lot_id = SelectField(
        _l("Lote que se suma a este"),
        [InputRequired(_l("Elija otro lote abierto del mismo compromiso y centro."))],
        validate_choice=False,
    )


class WeightForm(FlaskForm):
    weight_kg = IntegerText(
        _l("Peso de salida del lote (kg)"),
        [InputRequired(WHOLE_KG), NumberRange(min=1, message=WHOLE_KG)],
        description=_l("Lo que sale del centro; nunca más que lo que entró."),
        unreadable=WHOLE_KG,
    )
