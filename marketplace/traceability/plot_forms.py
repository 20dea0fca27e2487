"""Forms of the plot page: the outline, field evidence, disputes and their reviews, and the
buttons that act on a farm."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, Optional

from marketplace.fields import MultiCheckboxField
from marketplace.models.disputes import DisputeGround, DisputeOutcome


def _decimal(field) -> float | None:
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(_l("La posición del teléfono no es un número válido.")) from None


class OutlineForm(FlaskForm):
    """The drawing tool fills `outline` with GeoJSON; without JavaScript a technician can paste
    it (the producer is shown plain words: draw it, or upload the GPS's file)."""

    outline = TextAreaField(
        _l("Contorno (GeoJSON)"),
        description=_l("Dibuje en el mapa, o pegue un Polygon de GeoJSON en WGS84."),
    )
    drawn = HiddenField()
    # "Caminar el contorno" (static/walk.js): corners averaged from the phone's GPS readings,
    # with their mean accuracy in metres
    walked = HiddenField()
    accuracy_m = HiddenField()
    based_on = HiddenField()  # plots.outline_version of the outline the page showed
    upload = FileField(
        _l("Subir un archivo del GPS"),
        description=_l(
            "El contorno que guardó su GPS o una aplicación de mapas del celular, de hasta 2 MB."
        ),
    )

    def validate_accuracy_m(self, field) -> None:
        _decimal(field)

    def walked_accuracy(self) -> float | None:
        """The mean accuracy (m) of a walked outline's corners (after validation)."""
        return _decimal(self.accuracy_m) if self.walked.data == "1" else None


class EvidenceForm(FlaskForm):
    """A technician's field visit: photo, note and date; the page's script fills the phone's
    position (latitude, longitude, accuracy in metres) into the hidden fields."""

    photo = FileField(
        _l("Foto"),
        description=_l("JPEG o PNG de hasta 5 MB. Si la foto trae su posición GPS, se usa esa."),
    )
    note = TextAreaField(_l("Nota"), [Length(max=2000, message=_l("Máximo 2000 caracteres."))])
    observed_on = DateField(
        _l("Fecha de la visita"),
        [Optional()],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        description=_l("Si la deja vacía, se usa la fecha de la foto."),
    )
    lat = HiddenField()
    lon = HiddenField()
    accuracy_m = HiddenField()

    def validate_lat(self, field) -> None:
        _decimal(field)

    def validate_lon(self, field) -> None:
        _decimal(field)

    def validate_accuracy_m(self, field) -> None:
        _decimal(field)

    def position(self) -> tuple[float | None, float | None, float | None]:
        """Latitude, longitude and accuracy as numbers (after validation)."""
        return _decimal(self.lat), _decimal(self.lon), _decimal(self.accuracy_m)


class DisputeForm(FlaskForm):
    """The producer's side disputes the plot's assessment: why, and the evidence for it."""

    ground = SelectField(
        _l("Motivo"),
        [InputRequired(_l("Elija el motivo del reclamo."))],
        choices=[("", _l("Elija un motivo"))] + DisputeGround.choices(),
    )
    claim = TextAreaField(
        _l("Explique el reclamo"),
        [
            InputRequired(_l("Explique el reclamo.")),
            Length(max=2000, message=_l("Máximo 2000 caracteres.")),
        ],
    )
    evidence = MultiCheckboxField(
        _l("Evidencia de campo que lo respalda"), coerce=int, validate_choice=False
    )


class ProposalForm(FlaskForm):
    """The first reviewer's proposal: accept or reject the claim, and why."""

    outcome = RadioField(
        _l("Propuesta"),
        [InputRequired(_l("Elija aceptar o rechazar el reclamo."))],
        choices=DisputeOutcome.choices(),
    )
    reason = TextAreaField(
        _l("Por qué"),
        [
            InputRequired(_l("Escriba por qué: queda en el historial de la parcela.")),
            Length(max=2000, message=_l("Máximo 2000 caracteres.")),
        ],
    )


class ReturnForm(FlaskForm):
    """The second reviewer sends the proposal back, saying why."""

    note = TextAreaField(
        _l("Por qué la devuelve"),
        [
            InputRequired(_l("Escriba por qué devuelve la propuesta.")),
            Length(max=2000, message=_l("Máximo 2000 caracteres.")),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (remove outline, confirm a proposal)."""
