"""Form fields for numbers people type: plain text inputs read by the one number reader.

They render as ``type=text`` with ``inputmode=decimal`` (or ``numeric``), so a phone shows its
number keyboard while the browser keeps exactly what was typed: a ``type=number`` input in a
Spanish locale turns "4,5" into 45 before the form is sent. An unreadable entry gets one
message (the reader's), and the field's other validators do not add theirs.

Which of the reader's rules a field follows is its own choice: `thousands=True` where people
group thousands (kilos, money, yields, stock, quantities), False where they never do
(hectares, percentages, coordinates, years, months and days); see marketplace.numbers.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectMultipleField
from wtforms.validators import NumberRange, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from marketplace.i18n import number, typed_number
from marketplace.numbers import UNREADABLE, UNREADABLE_WHOLE, NumberError, read_number


class DecimalText(Field):
    """A decimal number typed as "4,5" or "4.5"; `data` is a Decimal (None when empty)."""

    widget = TextInput()

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        places: int = 2,
        thousands: bool = False,
        signed: bool = False,
        rounds: bool = False,
        unreadable=UNREADABLE,
        **kwargs,
    ) -> None:
        render_kw = {"inputmode": "decimal", "autocomplete": "off"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.places = places
        self.thousands = thousands
        self.signed = signed
        self.rounds = rounds
        self.unreadable = unreadable

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        try:
            self.data = self._read(text)
        except NumberError as error:
            raise ValueError(str(error.message)) from None

    def _read(self, text: str):
        return read_number(
            text,
            places=self.places,
            thousands=self.thousands,
            signed=self.signed,
            rounds=self.rounds,
            unreadable=self.unreadable,
        )

    def pre_validate(self, form) -> None:
        """Stop at the reader's message: a range or required check would only repeat it."""
        if self.process_errors:
            raise StopValidation()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self._shown(self.data)

    def _shown(self, value) -> str:
        if value is None:
            return ""
        if self.thousands:
            return number(value, self.places)
        return typed_number(value, self.places)


class IntegerText(DecimalText):
    """A whole number, with or without thousands marks ("1.500", "1,500", "1500") unless
    `thousands` is False (a year, a number of months); `data` is an int (None when empty)."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        thousands: bool = True,
        unreadable=UNREADABLE_WHOLE,
        **kwargs,
    ) -> None:
        render_kw = {"inputmode": "numeric"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(
            label,
            validators,
            places=0,
            thousands=thousands,
            unreadable=unreadable,
            render_kw=render_kw,
            **kwargs,
        )

    def _read(self, text: str) -> int:
        return int(super()._read(text))


def as_float(value: Decimal | int | None) -> float | None:
    """A field's Decimal as the float a model column keeps (None stays None)."""
    return None if value is None else float(value)


def latitude(validators: list, description=None) -> DecimalText:
    """A latitude in decimal degrees, signed, rounded to six decimals (about 10 cm on the
    ground: a map's longer ones are rounded, not refused)."""
    limit = NumberRange(min=-90, max=90, message=_l("Entre -90 y 90."))
    return DecimalText(
        _l("Latitud"),
        [*validators, limit],
        places=6,
        signed=True,
        rounds=True,
        description=description,
    )


def longitude(validators: list, description=None) -> DecimalText:
    """A longitude in decimal degrees, signed, to six decimals."""
    limit = NumberRange(min=-180, max=180, message=_l("Entre -180 y 180."))
    return DecimalText(
        _l("Longitud"),
        [*validators, limit],
        places=6,
        signed=True,
        rounds=True,
        description=description,
    )


def percent_field(label: str, description: str | None = None) -> DecimalText:
    """An optional percentage 0-100 with one decimal, typed as "7,5" or "7.5"."""
    return DecimalText(
        label,
        [
            Optional(),
            NumberRange(min=0, max=100, message=_l("Escriba un porcentaje entre 0 y 100.")),
        ],
        places=1,
        description=description,
    )


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one list of choices."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
