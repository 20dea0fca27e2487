"""The one reader for numbers people type, and how numbers are shown back."""

from decimal import Decimal

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from marketplace.i18n import ngettext, number, percent, typed_number
from marketplace.notifications.messages import money_param, render
from marketplace.numbers import NumberError, read_integer, read_number

LOCALES = ["es", "es_PE", "es_MX", "es_CO", "en"]


def hectares(text: str) -> Decimal:
    return read_number(text, places=4, thousands=False)


def kilos(text: str) -> int:
    return read_integer(text)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("4,5", "4.5"),
        ("4.5", "4.5"),
        ("7,25", "7.25"),
        (" 12 ", "12"),
        ("0,5", "0.5"),
        (",5", "0.5"),
        ("4.", "4"),
        ("1.500", "1.5"),  # hectares are never grouped: one and a half
        ("1,500", "1.5"),
        ("4,5673", "4.5673"),
        ("1.234,5", "1234.5"),  # both marks: the last one is the decimal mark
        ("1,234.5", "1234.5"),
    ],
)
def test_hectares_read_with_a_comma_or_a_point(typed, value):
    assert hectares(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1500", 1500),
        ("1.500", 1500),  # kilos are grouped in thousands, in Peru as in Colombia
        ("1,500", 1500),
        ("1 500", 1500),
        ("1\u00a0500", 1500),
        ("88.000", 88000),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
    ],
)
def test_kilos_read_with_or_without_thousands_marks(typed, value):
    assert kilos(typed) == value


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Escriba un número"),
        ("abc", "Escriba un número"),
        ("12a", "Escriba un número"),
        ("4,5,6", "Escriba un número"),  # groups must have three digits
        ("1.50.000", "Escriba un número"),
        ("1.500,000.5", "Escriba un número"),
        ("8..5", "Escriba un número"),
        (".", "Escriba un número"),
        ("-3", "mayor o igual que 0"),
        ("4,5", "entero"),
        ("0,500", "entero"),  # "0.500" is a half in any field, not five hundred
    ],
)
def test_unreadable_kilos_get_one_clear_message(app, typed, message):
    with app.test_request_context(), pytest.raises(NumberError) as refused:
        kilos(typed)
    assert message in str(refused.value.message)


def test_too_many_decimals_are_refused_not_rounded(app):
    with app.test_request_context(), pytest.raises(NumberError) as refused:
        read_number("4,56789", places=4, thousands=False)
    assert "4 decimales" in str(refused.value.message)


def test_a_field_of_one_decimal_says_so_in_the_singular(app):
    with app.test_request_context(), pytest.raises(NumberError) as refused:
        read_number("7,55", places=1, thousands=False)
    assert str(refused.value.message) == "Use como máximo un decimal."


def test_coordinates_pasted_from_a_map_are_rounded_to_six_decimals():
    typed = "-7.17666712345"
    assert read_number(typed, places=6, thousands=False, signed=True, rounds=True) == Decimal(
        "-7.176667"
    )


def test_coordinates_take_a_sign():
    assert read_number("-7,176667", places=6, thousands=False, signed=True) == Decimal("-7.176667")


@pytest.mark.parametrize(
    ("locale", "value", "digits", "expected"),
    [
        ("es_PE", 88000, 0, "88,000"),
        ("es_CO", 88000, 0, "88.000"),
        ("es_MX", 5620, 0, "5,620"),  # four digits are grouped too
        ("es", 14287, 0, "14,287"),
        ("en", 8982, 0, "8,982"),
        ("es_CO", 4.5, 1, "4,5"),
        ("es_PE", 4.5, 1, "4.5"),
        ("es_PE", 7533.25, 2, "7,533.25"),
    ],
)
def test_numbers_are_shown_with_the_viewers_separators(app, locale, value, digits, expected):
    with app.test_request_context(), force_locale(locale):
        assert number(value, digits) == expected


values = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False)


@given(value=values, locale=st.sampled_from(LOCALES))
def test_a_decimal_shown_in_a_form_reads_back_the_same(value, locale):
    assert hectares(typed_number(value, 4, locale)) == value


@given(value=st.integers(min_value=0, max_value=10**9), locale=st.sampled_from(LOCALES))
def test_a_whole_number_shown_on_a_page_reads_back_the_same(value, locale):
    assert kilos(number(value, 0, locale)) == value


@pytest.mark.parametrize(
    ("locale", "share", "digits", "expected"),
    [
        ("es_PE", 0.966, 1, "96.6 %"),
        ("es_CO", 0.966, 1, "96,6 %"),
        ("en", 0.5, 0, "50 %"),
        ("es", 12.5, 0, "1,250 %"),
        ("es", None, 1, ""),
    ],
)
def test_shares_are_shown_as_percentages_for_the_viewer(app, locale, share, digits, expected):
    with app.test_request_context(), force_locale(locale):
        assert percent(share, digits) == expected


def test_the_count_of_a_plural_message_is_grouped(app):
    with app.test_request_context(), force_locale("es_CO"):
        assert ngettext("de %(num)s pago", "de %(num)s pagos", 8982) == "de 8.982 pagos"
        template = app.jinja_env.from_string(
            '{{ ngettext("%(num)s acción registrada", "%(num)s acciones registradas", n) }}'
        )
        assert template.render(n=14287) == "14.287 acciones registradas"
        assert template.render(n=1) == "1 acción registrada"


def test_a_notification_groups_its_quantities_for_the_reader_not_its_record_numbers(app):
    """Notifications are stored with raw params and written when (and as) the reader sees
    them."""
    placed = {"order": 12345, "quantity": 1500, "title": "Cal agrícola"}
    checkoff = {"code": "ENT-CO-000123", "kg": 5620, "deducted": money_param(150000000, "COP")}
    with app.test_request_context():
        with force_locale("es_CO"):
            assert render("order.placed", placed) == "Nuevo pedido #12345: 1.500 × Cal agrícola."
            assert render("delivery.checkoff_producer", checkoff) == (
                "Entrega ENT-CO-000123 registrada: 5.620 kg; descontado para su préstamo: "
                "$\u00a01.500.000."
            )
        with force_locale("en"):
            assert render("order.placed", placed) == "New order #12345: 1,500 × Cal agrícola."
