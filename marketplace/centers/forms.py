"""The collection centre form: place from the gazetteer, coordinates optional."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.fields import latitude, longitude
from marketplace.gazetteer.fields import district_field, fill_place_choices, region_field
from marketplace.labels import choices

REQUIRED = _l("Este dato es obligatorio.")


class CenterForm(FlaskForm):
    organization_id = SelectField(
        _l("Cooperativa que lo opera"),
        [DataRequired(_l("Elija una cooperativa de la lista."))],
        validate_choice=False,
    )
    name = StringField(
        _l("Nombre del centro"),
        [DataRequired(REQUIRED), Length(max=120)],
        description=_l("Por ejemplo: Centro de acopio Juanjuí"),
    )
    operator_name = StringField(
        _l("Responsable"),
        [DataRequired(REQUIRED), Length(max=120)],
        description=_l("La persona o el equipo que atiende el centro."),
    )
    country = SelectField(_l("País"), choices=choices("country"))
    region = region_field()
    district_code = district_field()
    lat = latitude([Optional()], _l("En blanco: la capital del distrito."))
    lon = longitude([Optional()], _l("En blanco: la capital del distrito."))
    opening_hours = StringField(
        _l("Horario de atención"),
        [DataRequired(REQUIRED), Length(max=200)],
        description=_l("Por ejemplo: lunes a sábado, de 7:00 a 16:00"),
    )

    def set_places(self, country: str, region: str) -> None:
        """Fill the region and district selects for the chosen country and region."""
        fill_place_choices(self, country, region)

    def set_cooperatives(self, cooperatives) -> None:
        """Offer the cooperatives an admin may choose from."""
        self.organization_id.choices = [("", _l("— Elija —"))] + [
            (str(coop.id), f"{coop.name} ({coop.country})") for coop in cooperatives
        ]
