"""The credit product form: amounts and percentages typed with a point or a comma."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from marketplace.labels import choices
from marketplace.money import AmountError, parse_amount
from marketplace.producers.forms import MultiCheckboxField

REQUIRED = _l("Este dato es obligatorio.")
PERCENT = _l("Escriba un porcentaje, por ejemplo 28,5 o 28.5")


class PercentField(StringField):
    """A percentage typed as "28.5", "28,5" or "28,50 %"; `data` is basis points (or None)."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        text = self.raw.replace("%", "").strip()
        if not text:
            return
        sign = -1 if text.startswith("-") else 1
        try:
            self.data = sign * parse_amount(text.lstrip("-"), 2)
        except AmountError as error:
            raise ValueError(str(PERCENT)) from error

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        whole, hundredths = divmod(self.data, 100)
        return f"{whole},{hundredths:02d}".rstrip("0").rstrip(",")


def _percent(label, description=None, required=True) -> PercentField:
    validators = [InputRequired(REQUIRED)] if required else []
    return PercentField(
        label, validators, description=description, render_kw={"inputmode": "decimal"}
    )


def _money(label, description=None) -> StringField:
    return StringField(
        label,
        [DataRequired(REQUIRED), Length(max=24)],
        description=description,
        render_kw={"inputmode": "decimal"},
    )


class ProductForm(FlaskForm):
    name = StringField(_l("Nombre del producto"), [DataRequired(REQUIRED), Length(max=120)])
    value_chains = MultiCheckboxField(_l("Cadenas de valor"), choices=choices("value_chain"))
    # regions and districts depend on the organization's country; the service checks them
    regions = MultiCheckboxField(
        _l("Regiones donde ofrece el crédito"), choices=[], validate_choice=False
    )
    districts = MultiCheckboxField(
        _l("Distritos (opcional)"),
        choices=[],
        validate_choice=False,
        description=_l("Si no marca ninguno, cubre todos los distritos de las regiones elegidas."),
    )
    currency = SelectField(
        _l("Moneda"), choices=[("PEN", "PEN"), ("MXN", "MXN"), ("COP", "COP"), ("USD", "USD")]
    )
    min_amount = _money(_l("Monto mínimo por productor"), _l("Por ejemplo 3.000 o 3000,00"))
    max_amount = _money(_l("Monto máximo por productor"))
    annual_rate = _percent(_l("Tasa efectiva anual (TEA, %)"), _l("Por ejemplo 28,5"))
    total_cost = _percent(
        _l("Tasa de costo efectivo anual (TCEA, %)"),
        _l("Incluye seguros y comisiones; no puede ser menor que la TEA."),
    )
    term_months = IntegerField(
        _l("Plazo (meses)"),
        [InputRequired(REQUIRED), NumberRange(min=1, max=120, message=_l("De 1 a 120 meses."))],
        render_kw={"inputmode": "numeric"},
    )
    grace_months = IntegerField(
        _l("Meses de gracia"),
        [InputRequired(REQUIRED), NumberRange(min=0, max=119, message=_l("De 0 a 119 meses."))],
        default=0,
        render_kw={"inputmode": "numeric"},
    )
    repayment = RadioField(
        _l("Pago de las cuotas"),
        choices=[("harvest", _l("Con la cosecha")), ("monthly", _l("Mensual"))],
        default="harvest",
        validators=[InputRequired(REQUIRED)],
    )
    requires_offtake = BooleanField(
        _l("Exige un compromiso de compra (venta asegurada) del productor")
    )
    budget = _money(_l("Presupuesto disponible"), _l("Total que puede prestar con este producto."))
    min_readiness = _percent(
        _l("Preparación mínima del productor (%)"),
        _l("De 0 a 100; 0 acepta a todos los productores elegibles."),
        required=False,
    )

    def set_places(self, regions: list[str], districts: list[tuple[str, str]]) -> None:
        """Offer the country's regions and the districts of the regions chosen."""
        self.regions.choices = [(region, region) for region in regions]
        self.districts.choices = districts


class LenderConsentForm(FlaskForm):
    """The "Mi crédito" page's switch: share (or stop sharing) details with lenders."""

    granted = BooleanField()
    in_person = BooleanField(
        _l("El productor o la productora me dio su consentimiento en persona.")
    )
