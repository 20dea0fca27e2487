"""Money: Minka's own minor units, amounts typed and shown back, for every currency and locale."""

from decimal import Decimal

import babel.numbers
import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from marketplace import currencies
from marketplace.i18n import money
from marketplace.money import AmountError, amount_text, max_price_minor, parse_money

#: ISO 4217 list one (SIX, the maintenance agency), column CcyMnrUnts, for the currencies
#: Minka handles. Minka's table must say the same; Babel's CLDR data is not the reference.
ISO_4217_MINOR_UNITS = {"PEN": 2, "MXN": 2, "COP": 2, "USD": 2}
LOCALES = ["es", "es_PE", "es_MX", "es_CO", "en"]


def test_minor_units_are_those_of_iso_4217():
    assert {code: c.minor_units for code, c in currencies.CURRENCIES.items()} == (
        ISO_4217_MINOR_UNITS
    )


def test_every_country_has_its_currency():
    assert currencies.CURRENCY_OF_COUNTRY == {"PE": "PEN", "MX": "MXN", "CO": "COP"}
    assert currencies.of_country("CO") == "COP" and currencies.of_country(None) == "USD"


def test_an_unknown_currency_is_refused():
    with pytest.raises(currencies.UnknownCurrency):
        currencies.minor_units("XXX")


def test_amounts_do_not_move_when_babel_changes_its_mind(app, monkeypatch):
    """Babel 2.19 gives COP 0 decimals; storage, parsing and display must not follow it."""
    monkeypatch.setattr(babel.numbers, "get_currency_precision", lambda code: 0)
    assert parse_money("125.000", "COP") == 12_500_000
    assert currencies.to_minor(9_000_000, "COP") == 900_000_000
    assert max_price_minor("COP") == 120_000_000 * 100
    with app.test_request_context(), force_locale("es_CO"):
        assert money(12_500_000, "COP") == "$\u00a0125.000"


@pytest.mark.parametrize(
    ("locale", "minor", "currency", "expected"),
    [
        ("es_PE", 123450, "PEN", "S/ 1,234.50"),
        ("es_PE", 756000, "PEN", "S/ 7,560.00"),
        ("es_CO", 150000000, "COP", "$ 1.500.000"),
        ("es_CO", 150000050, "COP", "$ 1.500.000,50"),
        ("es_MX", 9990, "MXN", "$99.90"),
        ("es_MX", 800000000, "MXN", "$8,000,000.00"),
        # where "$" could be another peso, the code says which
        ("es_PE", 800000, "MXN", "MXN 8,000.00"),
        ("es_MX", 150000000, "COP", "COP 1,500,000"),
        # a Spanish speaker without a country: Latin American separators, not Spain's
        ("es", 575931347, "PEN", "S/ 5,759,313.47"),
        ("es", 150000000, "COP", "COP 1,500,000"),
        ("en", 500, "USD", "US$ 5.00"),
        ("en", 575931347, "PEN", "S/ 5,759,313.47"),
        ("es_PE", -4550, "PEN", "-S/ 45.50"),
    ],
)
def test_money_is_formatted_for_the_viewer(app, locale, minor, currency, expected):
    with app.test_request_context(), force_locale(locale):
        assert money(minor, currency).replace("\xa0", " ") == expected


def test_money_accepts_none(app):
    with app.test_request_context():
        assert money(None, "PEN") == ""


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("125.000", "COP", 12_500_000),  # a Colombian price: thousands, not three decimals
        ("$ 1.500.000", "COP", 150_000_000),
        ("1.500.000,50", "COP", 150_000_050),
        ("18000", "COP", 1_800_000),
        ("8.50", "PEN", 850),
        ("8,50", "PEN", 850),
        ("S/ 12", "PEN", 1200),
        ("S/. 1,234.56", "PEN", 123456),
        ("1.500", "PEN", 150_000),
        ("MX$ 99.90", "MXN", 9990),
        ("US$ 0,99", "USD", 99),
    ],
)
def test_money_is_typed_as_people_write_it(typed, currency, minor):
    assert parse_money(typed, currency) == minor


@pytest.mark.parametrize("typed", ["", "abc", "-5", "8.5055", "8..5", "12,34.5", "0.125"])
def test_unreadable_money_is_refused_with_a_message(typed):
    with pytest.raises(AmountError) as refused:
        parse_money(typed, "PEN")
    assert str(refused.value.message)


amounts = st.integers(min_value=0, max_value=10**13)


@given(minor=amounts, code=st.sampled_from(currencies.CODES), locale=st.sampled_from(LOCALES))
def test_an_amount_shown_in_a_form_reads_back_the_same(minor, code, locale):
    assert parse_money(amount_text(minor, code, locale), code) == minor


@given(minor=amounts, code=st.sampled_from(currencies.CODES), locale=st.sampled_from(LOCALES))
def test_an_amount_shown_on_a_page_reads_back_the_same(minor, code, locale):
    shown = money(minor, code, locale)
    assert parse_money(shown.replace("\xa0", " "), code) == minor


@given(major=st.decimals(min_value=0, max_value=10**9, places=2), code=st.sampled_from(["PEN"]))
def test_major_and_minor_units_convert_exactly(major, code):
    assert currencies.to_major(currencies.to_minor(major, code), code) == Decimal(major)
