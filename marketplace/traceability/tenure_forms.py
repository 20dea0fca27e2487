"""Forms of a plot's tenure documents: the upload and an admin's decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from marketplace.models import TenureRejection


class TenureUploadForm(FlaskForm):
    """One document: its kind (the farm's country's, set by the view), number, issuer, date,
    holder and the file."""

    # the service says why another kind does not fit (country, declared tenure)
    kind = SelectField(_l("Tipo de documento"), choices=[], validate_choice=False)
    number = StringField(
        _l("Número o partida"),
        [Length(max=60, message=_l("Máximo 60 caracteres."))],
        description=_l(
            "Perú: partida electrónica de SUNARP; Colombia: folio de matrícula (050-1234567); "
            "México: folio del certificado del RAN."
        ),
    )
    authority = StringField(
        _l("Emitido por"),
        [Length(max=120, message=_l("Máximo 120 caracteres."))],
        description=_l("Por ejemplo: SUNARP Tarapoto, Municipalidad de Lamas, ANT, RAN Chiapas."),
    )
    issued_on = DateField(
        _l("Fecha de emisión"),
        [InputRequired(_l("Indique la fecha de emisión."))],
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )
    holder_name = StringField(
        _l("Titular, tal como figura en el documento"),
        [Length(max=160, message=_l("Máximo 160 caracteres."))],
    )
    file = FileField(_l("Archivo"), description=_l("PDF o foto JPEG o PNG de hasta 5 MB."))


class TenureReviewForm(FlaskForm):
    """An admin's decision on one pending document."""

    decision = RadioField(
        _l("Decisión"),
        choices=[("accept", _l("Aceptar")), ("reject", _l("Rechazar"))],
        validators=[InputRequired(_l("Elija aceptar o rechazar."))],
    )
    # the service checks the reason (required only to reject), with its own message
    reason = SelectField(
        _l("Motivo del rechazo"),
        choices=[("", _l("— Elija —")), *TenureRejection.choices()],
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Nota para el productor"),
        [Length(max=1000, message=_l("Máximo 1000 caracteres."))],
    )
