"""Forms of the buyer's shipment pages; the service checks the EU's formats."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from marketplace.labels import COUNTRIES
from marketplace.models import ValueChain
from marketplace.traceability import shipment_rules

REQUIRED = _l("Este dato es obligatorio.")
HS_LABELS = {
    "180100": _l("180100 · Cacao en grano, entero o partido, crudo o tostado"),
    "090111": _l("090111 · Café sin tostar, sin descafeinar"),
    "090112": _l("090112 · Café sin tostar, descafeinado"),
    "090121": _l("090121 · Café tostado, sin descafeinar"),
    "090122": _l("090122 · Café tostado, descafeinado"),
}


def hs_label(code: str) -> str:
    """An HS code with what it covers."""
    return str(HS_LABELS.get(code, code))


def eu_country_choices() -> list[tuple[str, str]]:
    """The EU member states by name in the viewer's language."""
    names = get_locale().territories
    rows = [(code, names.get(code, code)) for code in shipment_rules.EU_COUNTRIES]
    return [("", _l("— Elija —"))] + sorted(rows, key=lambda row: row[1])


class ShipmentForm(FlaskForm):
    value_chain = SelectField(
        _l("Cadena de valor"),
        choices=[(c, c.lazy_label) for c in (ValueChain.CACAO, ValueChain.CAFE)],
    )
    hs_code = SelectField(
        _l("Código SA (6 dígitos)"),
        choices=list(HS_LABELS.items()),
        description=_l("180100 para cacao; para café, según esté tostado o descafeinado."),
    )
    description = TextAreaField(
        _l("Descripción de la mercancía"),
        [InputRequired(REQUIRED), Length(max=150, message=_l("Como máximo 150 caracteres."))],
        description=_l("Hasta 150 caracteres, por ejemplo: Cacao en grano seco fermentado."),
    )
    importer_name = StringField(
        _l("Importador en la UE"), [InputRequired(REQUIRED), Length(max=200)]
    )
    importer_country = SelectField(_l("País del importador"), validate_choice=False)
    importer_eori = StringField(
        _l("EORI del importador"),
        [InputRequired(REQUIRED), Length(max=40)],
        description=_l("Por ejemplo DE123456789012345"),
    )
    exporter_name = StringField(_l("Exportador"), [InputRequired(REQUIRED), Length(max=200)])
    exporter_country = SelectField(
        _l("País del exportador"), choices=[(k, v) for k, v in COUNTRIES.items()]
    )
    exporter_eori = StringField(_l("EORI del exportador (si tiene)"), [Optional(), Length(max=40)])


class StatementForm(FlaskForm):
    reference_number = StringField(
        _l("Número de referencia del DDS"),
        [InputRequired(REQUIRED), Length(max=40)],
        description=_l("Por ejemplo 25NLSN6LX69730"),
    )
    verification_number = StringField(
        _l("Número de verificación"),
        [InputRequired(REQUIRED), Length(max=40)],
        description=_l("Por ejemplo K7R8LA90"),
    )
