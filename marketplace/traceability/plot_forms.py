"""Forms of the plot page: the outline, field evidence, and the buttons that act on a farm."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length


class OutlineForm(FlaskForm):
    """The drawing tool fills `outline` with GeoJSON; without JavaScript a technician can paste
    it (the producer is shown plain words: draw it, or upload the GPS's file)."""

    outline = TextAreaField(
        _l("Contorno (GeoJSON)"),
        description=_l("Dibuje en el mapa, o pegue un Polygon de GeoJSON en WGS84."),
    )
    drawn = HiddenField()
    upload = FileField(
        _l("Subir un archivo del GPS"),
        description=_l(
            "El contorno que guardó su GPS o una aplicación de mapas del celular, de hasta 2 MB."
        ),
    )


class EvidenceForm(FlaskForm):
    """A technician's field visit: photo, note and date."""

    photo = FileField(_l("Foto"), description=_l("JPEG o PNG de hasta 5 MB."))
    note = TextAreaField(_l("Nota"), [Length(max=2000, message=_l("Máximo 2000 caracteres."))])
    observed_on = DateField(
        _l("Fecha de la visita"),
        [InputRequired(_l("Indique la fecha de la visita."))],
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (remove outline, verify farm)."""
