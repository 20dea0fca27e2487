"""Filter forms of the admin lists, read from the query string (no CSRF: they only read),
and the credit settings' forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Form, SearchField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from marketplace.credit.forms import PercentField
from marketplace.fields import DecimalText
from marketplace.labels import choices
from marketplace.models import OrgKind, OrgStatus, Role


def _with_all(label, options) -> list[tuple[str, str]]:
    return [("", label), *options]


class UserFilterForm(Form):
    q = SearchField(
        _l("Buscar"),
        [Optional(), Length(max=100)],
        description=_l("Nombre, correo o número de celular."),
    )
    role = SelectField(
        _l("Rol"), [Optional()], choices=_with_all(_l("Todos los roles"), Role.choices())
    )


class OrganizationFilterForm(Form):
    q = SearchField(
        _l("Buscar"),
        [Optional(), Length(max=100)],
        description=_l("Nombre o código de la organización."),
    )
    status = SelectField(
        _l("Estado"),
        [Optional()],
        choices=_with_all(_l("Todos los estados"), OrgStatus.choices()),
    )
    kind = SelectField(
        _l("Tipo"), [Optional()], choices=_with_all(_l("Todos los tipos"), OrgKind.choices())
    )
    country = SelectField(
        _l("País"), [Optional()], choices=_with_all(_l("Todos los países"), choices("country"))
    )


class AuditFilterForm(Form):
    action = SearchField(
        _l("Acción"),
        [Optional(), Length(max=60)],
        description=_l("El comienzo del código de la acción, por ejemplo «organization.»."),
        render_kw={"list": "audit-prefixes"},
    )
    actor = SearchField(
        _l("Quién"), [Optional(), Length(max=100)], description=_l("Nombre o correo.")
    )


class UsuryCeilingForm(FlaskForm):
    """Colombia's usury ceiling as the Superintendencia Financiera certifies it."""

    rate = PercentField(
        _l("Tasa de usura (efectiva anual, %)"),
        [Optional()],
        description=_l("1,5 veces el interés bancario corriente certificado; por ejemplo 27,4"),
        render_kw={"inputmode": "decimal"},
    )
    valid_from = DateField(_l("Rige desde"), [Optional()])
    note = StringField(
        _l("Nota"),
        [Optional(), Length(max=100)],
        description=_l("Por ejemplo, el número de la resolución de la Superintendencia."),
    )


class HarvestCalendarForm(FlaskForm):
    """Only the CSRF token: the months are one checkbox group per line (credit/harvests.py)."""


FACTOR = _l("Un factor entre 0,001 y 1 (kilos que salen por kilo que entra).")


def _factor(label) -> DecimalText:
    return DecimalText(label, [InputRequired(FACTOR)], places=3, unreadable=FACTOR)


class ConversionFactorsForm(FlaskForm):
    """The chain-of-custody conversion factors (traceability/custody.py); each field is
    named after its step's key."""

    cacao_baba__cacao_seco = _factor(_l("Cacao en baba → cacao seco"))
    cafe_cereza__cafe_pergamino = _factor(_l("Café cereza → café pergamino seco"))
    cafe_pergamino__cafe_verde = _factor(_l("Café pergamino seco → café verde"))
