"""The form members use to correct their organization's details and submit them for
verification."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
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
    tax_id = StringField(
        _l("Número tributario (RUC, NIT o RFC)"),
        [DataRequired(_l("Este dato es obligatorio.")), Length(max=40)],
        description=_l(
            "Perú: RUC de 11 dígitos. Colombia: NIT con su dígito de verificación, por ejemplo "
            "900123456-8. México: RFC de 12 caracteres (13 si es persona física)."
        ),
    )
    document = FileField(
        _l("Documento de la organización"),
        description=_l(
            "Ficha RUC, RUT, constancia de situación fiscal o acta de constitución: un PDF o "
            "una foto JPEG o PNG de hasta 5 MB. Solo lo ven los miembros de su organización "
            "y los administradores de Minka."
        ),
        render_kw={"accept": "application/pdf,image/jpeg,image/png"},
    )
