"""Forms for producers' profiles, farms and consents."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.fields import DecimalText, IntegerText, MultiCheckboxField, latitude, longitude
from marketplace.gazetteer.fields import district_field, fill_place_choices, region_field
from marketplace.i18n import LANGUAGE_NAMES
from marketplace.labels import choices
from marketplace.models import Certification, Clearing, ConsentScope, Gender, Tenure, ValueChain
from marketplace.models.base import local_today

REQUIRED = _l("Este dato es obligatorio.")
MAX_HA = 10_000


def _hectares(label: str, description: str | None = None) -> DecimalText:
    """Hectares to the square metre; "1.500" is one and a half (nobody groups hectares)."""
    return DecimalText(
        label,
        [
            InputRequired(REQUIRED),
            NumberRange(min=0, max=MAX_HA, message=_l("Escriba un número entre 0 y 10 000.")),
        ],
        places=4,
        description=description,
    )


class ProfileForm(FlaskForm):
    first_name = StringField(_l("Nombres"), [DataRequired(REQUIRED), Length(max=80)])
    last_name = StringField(_l("Apellidos"), [DataRequired(REQUIRED), Length(max=80)])
    gender = RadioField(
        _l("Género"), choices=Gender.choices(), validators=[InputRequired(REQUIRED)]
    )
    birth_year = IntegerText(
        _l("Año de nacimiento"),
        [
            Optional(),
            NumberRange(min=1920, max=local_today().year - 14, message=_l("Revise el año.")),
        ],
        thousands=False,
    )
    country = SelectField(_l("País"), choices=choices("country"))
    national_id = StringField(
        _l("Documento de identidad"),
        [DataRequired(REQUIRED), Length(max=24)],
        description=_l("Perú: DNI de 8 dígitos. Colombia: cédula. México: CURP de 18 caracteres."),
    )
    phone = StringField(
        _l("Celular"), [Optional(), Length(max=24)], render_kw={"inputmode": "tel", "type": "tel"}
    )
    cooperative_id = SelectField(
        _l("Cooperativa o asociación"), coerce=str, validators=[Optional()]
    )
    # shown only when Minka sends SMS (sms.provider.configured); a technician marks them only
    # with the producer's consent, given to her or him in person
    sms_opt_in = BooleanField(_l("Recibir avisos por SMS en este celular"))
    whatsapp_opt_in = BooleanField(_l("Recibir avisos por WhatsApp en este celular"))
    message_locale = SelectField(
        _l("Idioma de los mensajes"), choices=list(LANGUAGE_NAMES.items()), default="es"
    )

    def set_cooperatives(self, cooperatives) -> None:
        """Offer the cooperatives of the platform (none is a valid answer)."""
        self.cooperative_id.choices = [("", _l("Ninguna"))] + [
            (str(coop.id), coop.name) for coop in cooperatives
        ]


class FarmForm(FlaskForm):
    name = StringField(
        _l("Nombre de la finca o parcela"), [DataRequired(REQUIRED), Length(max=120)]
    )
    country = SelectField(_l("País"), choices=choices("country"))
    region = region_field()
    district_code = district_field()
    lat = latitude([InputRequired(REQUIRED)], _l("En grados decimales, por ejemplo -7.176667"))
    lon = longitude([InputRequired(REQUIRED)], _l("En grados decimales, por ejemplo -76.723889"))
    total_ha = _hectares(_l("Área total (ha)"))
    productive_ha = _hectares(_l("Área en producción (ha)"))
    forest_ha = _hectares(_l("Bosque (ha)"), _l("Bosque que se conserva dentro de la finca."))
    value_chain = SelectField(_l("Cultivo o actividad principal"), choices=ValueChain.choices())
    yield_kg_ha = IntegerText(
        _l("Rendimiento de la última campaña (kg/ha)"),
        [Optional(), NumberRange(min=0, max=20_000, message=_l("Entre 0 y 20 000."))],
    )
    plant_age_years = IntegerText(
        _l("Edad de las plantas (años)"),
        [Optional(), NumberRange(min=0, max=100, message=_l("Entre 0 y 100."))],
        thousands=False,
    )
    agroforestry = BooleanField(_l("Sistema agroforestal (cultivo con árboles de sombra)"))
    certifications = MultiCheckboxField(_l("Certificaciones"), choices=Certification.choices())
    tenure = SelectField(
        _l("Documento de tenencia de la tierra"),
        choices=[
            (
                Tenure.TITLE.value,
                _l(
                    "Título de propiedad inscrito (Perú: SUNARP; México: dominio pleno; "
                    "Colombia: matrícula inmobiliaria)"
                ),
            ),
            (Tenure.PARCEL_CERTIFICATE.value, _l("Certificado parcelario de ejido (México)")),
            (
                Tenure.AGRARIAN_RIGHTS.value,
                _l("Certificado de derechos agrarios o de comunero (México)"),
            ),
            (Tenure.POSSESSION.value, _l("Certificado o constancia de posesión (Perú)")),
            (
                Tenure.USE_GRANT.value,
                _l("Contrato de cesión en uso en tierras forestales (Perú)"),
            ),
            (Tenure.TENANT.value, _l("Arriendo, aparcería o préstamo de la tierra")),
            (Tenure.NONE.value, _l("Sin documento")),
        ],
        default=Tenure.NONE.value,
        description=_l(
            "El título, los certificados del ejido y el certificado de posesión cuentan como "
            "tenencia segura al evaluar el crédito cuando Minka acepta el documento subido en "
            "la página de la parcela."
        ),
    )
    cleared_after_cutoff = RadioField(
        _l("¿Se taló bosque en la finca después del 31 de diciembre de 2020?"),
        choices=Clearing.choices(),
        default="unknown",
        validators=[InputRequired(REQUIRED)],
    )

    def set_places(self, country: str, region: str) -> None:
        """Fill the region and district selects for the chosen country and region."""
        fill_place_choices(self, country, region)


class ConsentForm(FlaskForm):
    scope = SelectField(choices=ConsentScope.choices())
    granted = BooleanField()
    in_person = BooleanField(
        _l("El productor o la productora me dio su consentimiento en persona.")
    )


class ClaimForm(FlaskForm):
    code = StringField(
        _l("Código recibido por SMS"),
        [Optional(), Length(max=12)],
        description=_l("Seis dígitos. Vence 10 minutos después de pedirlo."),
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
