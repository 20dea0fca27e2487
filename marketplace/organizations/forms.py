"""The form members use to correct their organization's details."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from marketplace.labels import choices
from marketplace.organizations.services import MAX_NAME


class OrganizationForm(FlaskForm):
    name = StringField(
        _l("Nombre de la organización"),
        [DataRequired(_l("Este dato es obligatorio.")), Length(max=MAX_NAME)],
    )
    country = SelectField(_l("País"), choices=choices("country"))
