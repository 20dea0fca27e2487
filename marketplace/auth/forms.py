"""Forms for accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from marketplace.auth.services import SELF_SERVICE_ROLES
from marketplace.labels import choices
from marketplace.models import OrgKind

REQUIRED = _l("Este dato es obligatorio.")
MIN_PASSWORD = 8


def _password_rules() -> list:
    return [
        DataRequired(REQUIRED),
        Length(
            min=MIN_PASSWORD,
            max=128,
            message=_l("La contraseña debe tener al menos %(min)d caracteres.", min=MIN_PASSWORD),
        ),
    ]


class LoginForm(FlaskForm):
    identifier = StringField(_l("Correo o celular"), [DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Contraseña"), [DataRequired(REQUIRED)])
    remember = BooleanField(_l("Recordarme en este teléfono"))


class SignupForm(FlaskForm):
    name = StringField(_l("Nombre completo"), [DataRequired(REQUIRED), Length(max=160)])
    identifier = StringField(
        _l("Correo o celular"),
        [DataRequired(REQUIRED), Length(max=254)],
        description=_l("Con esto ingresará a Minka. Un celular también sirve."),
    )
    country = SelectField(_l("País"), choices=choices("country"))
    role = RadioField(
        _l("¿Cómo usará Minka?"),
        choices=[(str(role), role.lazy_label) for role in SELF_SERVICE_ROLES],
        default="producer",
        validators=[DataRequired(_l("Elija un rol de la lista."))],
    )
    join_code = StringField(
        _l("Código de su organización"),
        [Optional(), Length(max=16)],
        description=_l("Si su organización ya está en Minka, pida el código a un colega."),
    )
    organization_name = StringField(
        _l("Nombre de su organización"),
        [Optional(), Length(max=160)],
        description=_l("Si es la primera persona de su organización en Minka."),
    )
    organization_kind = SelectField(
        _l("Tipo de organización"),
        choices=[("", _l("— Elija —")), *OrgKind.choices()],
        validators=[Optional()],
    )
    organization_tax_id = StringField(
        _l("Número tributario de su organización (RUC, NIT o RFC)"),
        [Optional(), Length(max=40)],
        description=_l("Minka lo revisa, con un documento, antes de verificar su organización."),
    )
    organization_document = FileField(
        _l("Documento de su organización (opcional)"),
        description=_l(
            "Ficha RUC, RUT, constancia de situación fiscal o acta de constitución: un PDF o "
            "una foto JPEG o PNG de hasta 5 MB. También puede enviarlo después."
        ),
        render_kw={"accept": "application/pdf,image/jpeg,image/png"},
    )
    password = PasswordField(_l("Contraseña"), _password_rules())
    confirm = PasswordField(
        _l("Repita la contraseña"),
        [DataRequired(REQUIRED), EqualTo("password", _l("Las contraseñas no coinciden."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Contraseña actual"), [DataRequired(REQUIRED)])
    password = PasswordField(_l("Nueva contraseña"), _password_rules())
    confirm = PasswordField(
        _l("Repita la nueva contraseña"),
        [DataRequired(REQUIRED), EqualTo("password", _l("Las contraseñas no coinciden."))],
    )


class ForgotPasswordForm(FlaskForm):
    phone = StringField(
        _l("Su celular"),
        [DataRequired(REQUIRED), Length(max=24)],
        description=_l("El número con el que ingresa a Minka o el de sus datos de productor."),
        render_kw={"inputmode": "tel", "type": "tel", "autocomplete": "tel"},
    )


class ResetPasswordForm(FlaskForm):
    code = StringField(
        _l("Código recibido por SMS"),
        [DataRequired(REQUIRED), Length(max=12)],
        description=_l("Seis dígitos. Vence 10 minutos después de pedirlo."),
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    password = PasswordField(_l("Nueva contraseña"), _password_rules())
    confirm = PasswordField(
        _l("Repita la nueva contraseña"),
        [DataRequired(REQUIRED), EqualTo("password", _l("Las contraseñas no coinciden."))],
    )
