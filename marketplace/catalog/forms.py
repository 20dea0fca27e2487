"""Forms of the catalogue: a supplier's listing, and the producers' search filters.

Money is typed as people type it ("45.50", "45,50", "1.500" in Colombia) and turned into
integer minor units here, never through floats.
"""

from __future__ import annotations

from functools import lru_cache

from babel.numbers import get_currency_name
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import Select, html_params

from marketplace import currencies, gazetteer
from marketplace.catalog import taxonomy
from marketplace.catalog.search import SORTS
from marketplace.fields import IntegerText, MultiCheckboxField
from marketplace.gazetteer.fields import district_field, fill_place_choices, region_field
from marketplace.labels import COUNTRIES, choices
from marketplace.models import DeliveryMode, ListingKind, ValueChain
from marketplace.money import AmountError, parse_money

REQUIRED = _l("Este dato es obligatorio.")
CHOOSE = _l("— Elija —")


class GroupedSelect(Select):
    """A select whose options under the "" key come first, outside any optgroup."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        parts = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for group, options in field.iter_groups():
            rendered = [
                self.render_option(value, text, selected, **render_kw)
                for value, text, selected, render_kw in options
            ]
            if group:
                parts += [f"<optgroup {html_params(label=group)}>", *rendered, "</optgroup>"]
            else:
                parts += rendered
        parts.append("</select>")
        return Markup("".join(parts))


def _categories(first: str) -> dict:
    """Category choices grouped by kind, after a first option (value "")."""
    return {"": [("", first)]} | {
        ListingKind(kind).label: [(c.code, str(c.label)) for c in taxonomy.categories_of(kind)]
        for kind in taxonomy.KINDS
    }


class ListingForm(FlaskForm):
    kind = RadioField(
        _l("Tipo"), choices=ListingKind.choices(), validators=[InputRequired(REQUIRED)]
    )
    category = SelectField(
        _l("Categoría"), [DataRequired(_l("Elija una categoría."))], widget=GroupedSelect()
    )
    title = StringField(
        _l("Nombre del producto o servicio"),
        [
            DataRequired(REQUIRED),
            Length(min=3, max=140, message=_l("Entre 3 y 140 caracteres.")),
        ],
    )
    description = TextAreaField(
        _l("Descripción"),
        [Optional(), Length(max=2000, message=_l("Hasta 2000 caracteres."))],
        render_kw={"rows": 4},
    )
    price = StringField(
        _l("Precio por unidad"),
        [DataRequired(REQUIRED)],
        description=_l("Por ejemplo 45.50 o 45,50"),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    currency = SelectField(_l("Moneda"))
    unit = SelectField(_l("Unidad de venta"), choices=choices("unit"))
    stock = IntegerText(
        _l("Stock disponible"),
        [Optional(), NumberRange(min=0, max=1_000_000, message=_l("Entre 0 y 1 000 000."))],
        description=_l("Solo para insumos. Los servicios no llevan stock: déjelo vacío."),
    )
    stock_seen = HiddenField()
    regions = MultiCheckboxField(_l("Regiones donde atiende"))
    value_chains = MultiCheckboxField(_l("Cadenas productivas"), choices=ValueChain.choices())
    delivery_mode = RadioField(
        _l("Forma de entrega"),
        choices=DeliveryMode.choices(),
        validators=[InputRequired(REQUIRED)],
    )
    lead_time_days = IntegerText(
        _l("Plazo de entrega (días)"),
        [InputRequired(REQUIRED), NumberRange(min=0, max=365, message=_l("Entre 0 y 365."))],
        default=0,
        thousands=False,
    )
    region = region_field(_l("Región de despacho"))
    district_code = district_field(
        _l("Distrito de despacho"),
        _l("Desde dónde sale el producto o el técnico (para ordenar por cercanía)."),
    )

    price_minor: int | None = None

    def __init__(self, country: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = _categories(str(CHOOSE))
        locale = get_locale()
        self.currency.choices = [
            (code, f"{get_currency_name(code, locale=locale)} ({code})")
            for code in currencies.CODES
        ]
        self.regions.choices = [(name, name) for name in gazetteer.regions(country)]
        self.set_places(country)

    def set_places(self, country: str) -> None:
        """Fill the dispatch region and district selects for the chosen region."""
        fill_place_choices(self, country, self.region.data or "")

    def validate_price(self, field) -> None:
        """Read the typed price into `price_minor` (in the chosen currency's minor units)."""
        currency = self.currency.data if self.currency.data in currencies.CODES else "USD"
        try:
            self.price_minor = parse_money(field.data, currency)
        except AmountError as error:
            raise ValidationError(error.message) from None


class FilterForm(FlaskForm):
    """The catalogue's filters, read from the query string (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Buscar"), [Optional(), Length(max=200)])
    kind = SelectField(_l("Tipo"), [Optional()])
    category = SelectField(_l("Categoría"), [Optional()], widget=GroupedSelect())
    value_chain = SelectField(_l("Cadena productiva"), [Optional()])
    place = SelectField(_l("Región"), [Optional()], widget=GroupedSelect())
    price_min = StringField(
        _l("Precio desde"), [Optional()], render_kw={"inputmode": "decimal", "size": 8}
    )
    price_max = StringField(
        _l("Precio hasta"), [Optional()], render_kw={"inputmode": "decimal", "size": 8}
    )
    in_stock = BooleanField(_l("Solo con stock disponible"))
    sort = SelectField(_l("Ordenar por"), [Optional()])

    def __init__(self, formdata, can_sort_by_distance: bool) -> None:
        super().__init__(formdata=formdata)
        options = _filter_choices(str(get_locale()))
        for name in ("kind", "category", "value_chain", "place"):
            self[name].choices = options[name]
        self.sort.choices = [
            choice for choice in options["sort"] if can_sort_by_distance or choice[0] != "nearest"
        ]


@lru_cache(maxsize=8)
def _filter_choices(locale: str) -> dict:
    """The filters' options in one language, translated once (they are the same for all)."""
    anything = [("", str(_l("Todos")))]
    places = {"": [("", str(_l("Todos los países")))]}
    for code, name in COUNTRIES.items():
        every = str(_l("Todas las regiones de %(country)s", country=name))
        places[str(name)] = [(code, every)] + [(f"{code}:{r}", r) for r in gazetteer.regions(code)]
    sorts = {
        "newest": _l("Más recientes"),
        "price_asc": _l("Precio: de menor a mayor"),
        "price_desc": _l("Precio: de mayor a menor"),
        "nearest": _l("Más cerca de mi finca"),
    }
    return {
        "kind": anything + [(kind.value, kind.label) for kind in ListingKind],
        "category": _categories(str(_l("Todas las categorías"))),
        "value_chain": [("", str(_l("Todas")))]
        + [(chain.value, chain.label) for chain in ValueChain],
        "place": places,
        "sort": [(code, str(sorts[code])) for code in SORTS],
    }
