"""Forms for data-rights requests and the admin's answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from marketplace.models import ObjectionUse

MAX_TEXT = 2000
IN_PERSON = _l("La persona está aquí conmigo y me pidió esto en persona.")
TOO_LONG = _l("Escriba como máximo 2000 caracteres.")


class InPersonForm(FlaskForm):
    """A request a technician files with the producer present must say so."""

    in_person = BooleanField(IN_PERSON)


class RectificationForm(InPersonForm):
    detail = TextAreaField(
        _l("¿Qué dato está mal y cuál es el correcto?"),
        [DataRequired(_l("Escriba qué dato está mal y cuál es el correcto.")),
         Length(max=MAX_TEXT, message=TOO_LONG)],
    )  # fmt: skip


class ObjectionForm(InPersonForm):
    use = SelectField(choices=ObjectionUse.choices())
    objects = HiddenField(
        validators=[InputRequired(), AnyOf(["1", "0"], message=_l("Elija una opción."))]
    )


class DeletionForm(InPersonForm):
    detail = TextAreaField(
        _l("Motivo (si quiere contarlo)"),
        [Optional(), Length(max=MAX_TEXT, message=TOO_LONG)],
    )
    confirm = BooleanField(
        _l(
            "Entiendo que mi cuenta se cerrará y que lo que la ley obliga a guardar "
            "quedará sin mi nombre."
        ),
        [DataRequired(_l("Marque la casilla para confirmar."))],
    )


class AnswerForm(FlaskForm):
    note = TextAreaField(
        _l("Nota para la persona"), [Optional(), Length(max=MAX_TEXT, message=TOO_LONG)]
    )
