"""The credit product form: amounts and percentages typed with a point or a comma."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.fields import DecimalText, IntegerText, MultiCheckboxField
from marketplace.i18n import typed_number
from marketplace.models import GraceInterest, ValueChain
from marketplace.numbers import NumberError

REQUIRED = _l("Este dato es obligatorio.")
PERCENT = _l("Escriba un porcentaje, por ejemplo 28,5 o 28.5")


class PercentField(DecimalText):
    """A percentage typed as "28.5", "28,5" or "28,50 %"; `data` is basis points (or None)."""

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        super().__init__(label, validators, places=2, signed=True, **kwargs)

    def _read(self, text: str) -> int:
        try:
            return int(super()._read(text.removesuffix("%").strip()).scaleb(2))
        except NumberError:
            raise NumberError(PERCENT) from None

    def _shown(self, value) -> str:
        return "" if value is None else typed_number(Decimal(value).scaleb(-2), 2)


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
    value_chains = MultiCheckboxField(_l("Cadenas de valor"), choices=ValueChain.choices())
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
    min_amount = _money(_l("Monto mínimo por productor"), _l("Por ejemplo 3,000 o 3.000"))
    max_amount = _money(_l("Monto máximo por productor"))
    annual_rate = _percent(_l("Tasa efectiva anual (TEA, %)"), _l("Por ejemplo 28,5"))
    insurance = DecimalText(
        _l("Seguro de desgravamen al mes (%)"),
        [Optional(), NumberRange(min=0, max=1, message=_l("Escriba un porcentaje entre 0 y 1."))],
        places=4,
        description=_l("Del saldo, cada mes; por ejemplo 0,07. Déjelo vacío si no cobra seguro."),
    )
    fee = StringField(
        _l("Comisión por cuota"),
        [Optional(), Length(max=24)],
        description=_l("Un monto fijo que se cobra con cada pago. Déjelo vacío si no hay."),
        render_kw={"inputmode": "decimal"},
    )
    late_rate = _percent(
        _l("Interés moratorio (% al año)"),
        _l(
            "Efectivo anual, sobre el capital vencido, por cada día de atraso. "
            "Déjelo vacío o en 0 si no cobra."
        ),
        required=False,
    )
    term_months = IntegerText(
        _l("Plazo (meses)"),
        [InputRequired(REQUIRED), NumberRange(min=1, max=120, message=_l("De 1 a 120 meses."))],
        thousands=False,
    )
    grace_months = IntegerText(
        _l("Meses de gracia"),
        [InputRequired(REQUIRED), NumberRange(min=0, max=119, message=_l("De 0 a 119 meses."))],
        default=0,
        thousands=False,
    )
    grace_interest = RadioField(
        _l("Intereses de los meses de gracia"),
        choices=GraceInterest.choices(),
        default=GraceInterest.CAPITALISED.value,
        validators=[InputRequired(REQUIRED)],
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
    collateral_ratio = _percent(
        _l("Garantía con lo comprometido (%)"),
        _l(
            "Con compromiso de compra: el valor de lo que cada socio comprometió debe cubrir "
            "este porcentaje de sus cuotas de los meses de cosecha. 100 cubre las cuotas; "
            "167 presta hasta el 60 por ciento del valor del contrato. Vacío: 100."
        ),
        required=False,
    )
    amount_step = StringField(
        _l("Redondear montos a"),
        [Optional(), Length(max=24)],
        description=_l(
            "Los préstamos se proponen en múltiplos de este monto, en la moneda del producto. "
            "Déjelo vacío o en 0 para no redondear."
        ),
        render_kw={"inputmode": "decimal"},
    )
    budget = _money(_l("Presupuesto disponible"), _l("Total que puede prestar con este producto."))
    min_readiness = _percent(
        _l("Preparación mínima del productor (%)"),
        _l("De 0 a 100; 0 acepta a todos los productores elegibles."),
        required=False,
    )

    min_members = IntegerText(
        _l("Mínimo de integrantes por grupo"),
        [InputRequired(REQUIRED)],
        default=5,
        thousands=False,
        description=_l("Cuenta solo a quienes viven dentro de la cobertura del producto."),
    )
    max_members = IntegerText(
        _l("Máximo de integrantes por grupo"),
        [InputRequired(REQUIRED)],
        default=30,
        thousands=False,
        description=_l("A un grupo más grande no se le ofrece este producto."),
    )
    target_archetypes = MultiCheckboxField(
        _l("Tipos de productor a los que se dirige (opcional)"),
        choices=[],
        validate_choice=False,
        description=_l(
            "Si no marca ninguno, el producto se ofrece a grupos de cualquier tipo. "
            "Cada grupo reúne productores de un solo tipo."
        ),
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


class LoanAnswerForm(FlaskForm):
    """The producer's answer to an approved loan's hoja resumen."""

    answer = HiddenField()  # the pressed button's value: "accept" or "decline"
    in_person = BooleanField(
        _l("Leí el cronograma con el productor o la productora y esta es su respuesta.")
    )


# --- the lender's review of groups and its loans -----------------------------------------


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Motivo del rechazo"),
        [DataRequired(REQUIRED), Length(max=1000)],
        description=_l("La cooperativa y Minka lo leerán; sea claro y respetuoso."),
    )


class InfoForm(FlaskForm):
    message = TextAreaField(
        _l("¿Qué información necesita?"),
        [DataRequired(REQUIRED), Length(max=1000)],
        description=_l("Se avisa a la cooperativa de los productores y a Minka."),
    )


def approval_form(candidates, defaults: dict[int, str]) -> FlaskForm:
    """A form with, per member who may get a loan, her amount, and a box to exclude her
    with the reason."""

    class ApprovalForm(FlaskForm):
        pass

    for candidate in candidates:
        pid = candidate.producer_id
        setattr(
            ApprovalForm,
            f"amount_{pid}",
            StringField(
                candidate.name,
                [Length(max=24)],
                default=defaults.get(pid, ""),
                render_kw={"inputmode": "decimal"},
            ),
        )
        setattr(ApprovalForm, f"exclude_{pid}", BooleanField(_l("Excluir de este préstamo")))
        setattr(
            ApprovalForm,
            f"exclude_reason_{pid}",
            StringField(_l("Motivo de la exclusión"), [Length(max=1000)]),
        )
    return ApprovalForm()


class RepaymentForm(FlaskForm):
    amount = StringField(
        _l("Monto pagado"),
        [DataRequired(REQUIRED), Length(max=24)],
        description=_l("Escriba 0 si es un impago."),
        render_kw={"inputmode": "decimal"},
    )
    paid_on = DateField(_l("Fecha del pago"), [InputRequired(REQUIRED)])
    outcome = RadioField(
        _l("Qué registra"),
        choices=[
            ("payment", _l("Un pago (la fecha dice si llegó a tiempo)")),
            ("default", _l("Un impago: el préstamo se cierra en mora")),
        ],
        default="payment",
        validators=[InputRequired(REQUIRED)],
    )
