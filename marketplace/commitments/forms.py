"""Forms for buyers' commitments and producers' pledges; money typed as "8.50" or "8,50"."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace import currencies, gazetteer
from marketplace.fields import IntegerText, MultiCheckboxField, percent_field
from marketplace.i18n import number
from marketplace.labels import choices
from marketplace.models import PriceType, ValueChain
from marketplace.money import AmountError, parse_money

REQUIRED = _l("Este dato es obligatorio.")
KG = _l("Escriba un número entero de kilos entre 1 y 10 000 000.")
MAX_KG = 10_000_000
MAX_MONEY = 10_000_000  # major units per kg: far above any real price, in any currency
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
EUDR_CUTOFF = "2020-12-31"
CUTOFF_PRESETS = [
    (EUDR_CUTOFF, _l("31/12/2020 (Reglamento de la Unión Europea sobre deforestación)")),
    ("2014-12-31", _l("31/12/2014")),
    ("2011-12-31", _l("31/12/2011")),
    ("1994-12-31", _l("31/12/1994")),
    ("other", _l("Otra fecha")),
]


def _kg(label: str, description: str | None = None) -> IntegerText:
    """Whole kilos; "88.000" and "88,000" are eighty-eight thousand."""
    return IntegerText(
        label,
        [InputRequired(REQUIRED), NumberRange(min=1, max=MAX_KG, message=KG)],
        description=description,
    )


def _date(label: str) -> DateField:
    return DateField(
        label,
        [InputRequired(REQUIRED)],
        format=DATE_FORMATS,
        description=_l("Por ejemplo 31/03/2027"),
    )


class CommitmentForm(FlaskForm):
    product = StringField(
        _l("Producto"),
        [DataRequired(REQUIRED), Length(max=120)],
        description=_l("Por ejemplo: Cacao en grano seco, Café pergamino seco, Miel de abeja."),
    )
    value_chain = SelectField(_l("Cadena de valor"), choices=ValueChain.choices())
    country = SelectField(_l("País"), choices=choices("country"))
    regions = MultiCheckboxField(_l("Regiones donde compra"), validate_choice=False)
    volume_kg = _kg(_l("Volumen total (kg)"))
    min_kg_per_producer = _kg(_l("Mínimo por productor (kg)"))
    max_kg_per_producer = _kg(_l("Máximo por productor (kg)"))
    price_type = RadioField(
        _l("Cómo se paga"),
        choices=PriceType.choices(),
        default="fixed",
        validators=[InputRequired(REQUIRED)],
    )
    currency = SelectField(_l("Moneda"), choices=[(code, code) for code in currencies.CODES])
    price = StringField(
        _l("Precio por kg"),
        [Optional(), Length(max=20)],
        description=_l("Si el precio es fijo. Por ejemplo 8.50 u 8,50"),
        render_kw={"inputmode": "decimal"},
    )
    premium = StringField(
        _l("Prima por kg"),
        [Optional(), Length(max=20)],
        description=_l("Si paga una prima sobre un precio de referencia. Por ejemplo 0,80"),
        render_kw={"inputmode": "decimal"},
    )
    reference_price = StringField(
        _l("Precio de referencia"),
        [Optional(), Length(max=200)],
        description=_l("Por ejemplo: Bolsa de Nueva York (ICE) del mes de entrega."),
    )
    max_humidity_pct = percent_field(_l("Humedad máxima (%)"), _l("Por ejemplo 7,5"))
    min_fermentation_pct = percent_field(_l("Fermentación mínima (%)"), _l("Por ejemplo 70"))
    quality_notes = TextAreaField(
        _l("Otras condiciones de calidad"), [Optional(), Length(max=2000)]
    )
    deforestation_free = BooleanField(_l("Exige volumen libre de deforestación"), default=True)
    cutoff = RadioField(
        _l("Fecha de corte de la deforestación"),
        choices=CUTOFF_PRESETS,
        default=EUDR_CUTOFF,
        validators=[Optional()],
    )
    cutoff_other = DateField(
        _l("Otra fecha de corte"),
        [Optional()],
        format=DATE_FORMATS,
        description=_l("Solo si eligió «Otra fecha». Por ejemplo 31/12/2017"),
    )
    delivery_start = _date(_l("Inicio de la entrega"))
    delivery_end = _date(_l("Fin de la entrega"))
    collection_center_id = SelectField(_l("Centro de acopio para la entrega"), coerce=str)

    def set_places(self, country: str, centers) -> None:
        """The regions of the chosen country, and its active collection centres."""
        self.regions.choices = [(name, name) for name in gazetteer.regions(country)]
        self.collection_center_id.choices = [("", _l("Sin centro de acopio por ahora"))] + [
            (str(center.id), f"{center.name} ({center.region})") for center in centers
        ]

    def _money(self, field: StringField, required: bool) -> int | None:
        text = (field.data or "").strip()
        if not text:
            if required:
                field.errors.append(REQUIRED)
            return None
        if self.currency.data not in currencies.CODES:
            return None  # the currency's own field says what is wrong
        try:
            amount = parse_money(text, self.currency.data)
        except AmountError as error:
            field.errors.append(error.message)
            return None
        if amount > currencies.to_minor(MAX_MONEY, self.currency.data):
            field.errors.append(_l("Revise el monto: es demasiado alto."))
            return None
        return amount

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the money and the cut-off date, which depend on other fields."""
        valid = super().validate(extra_validators)
        fixed = self.price_type.data == "fixed"
        self.price_minor = self._money(self.price, required=fixed) if fixed else None
        self.premium_minor = None if fixed else self._money(self.premium, required=True)
        self.cutoff_date = self._cutoff()
        return (
            valid
            and not self.price.errors
            and not self.premium.errors
            and not (self.cutoff_other.errors)
        )

    def _cutoff(self) -> date | None:
        if not self.deforestation_free.data:
            return None
        if self.cutoff.data == "other":
            if self.cutoff_other.data is None and not self.cutoff_other.errors:
                self.cutoff_other.errors = [REQUIRED]
            return self.cutoff_other.data
        presets = {code for code, _label in CUTOFF_PRESETS if code != "other"}
        chosen = self.cutoff.data or EUDR_CUTOFF
        return date.fromisoformat(chosen) if chosen in presets else None


class PledgeForm(FlaskForm):
    farm_id = SelectField(_l("Finca"), coerce=str, validators=[DataRequired(REQUIRED)])
    kg = _kg(_l("Kilos que se compromete a entregar"))

    def set_farms(self, farms, available: dict[int, int | None]) -> None:
        """Offer only the farms that match the commitment, with what each can still pledge."""
        options = []
        for farm in farms:
            free = available.get(farm.id)
            if free is None:
                note = _l("rendimiento sin registrar")
            else:
                note = _l("hasta %(kg)s kg", kg=number(free, 0))
            options.append((str(farm.id), f"{farm.name} ({note})"))
        self.farm_id.choices = options


class ConfirmForm(FlaskForm):
    """An empty form: a POST with its CSRF token confirms an action (close, withdraw)."""
