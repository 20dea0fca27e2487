import pytest

from marketplace.i18n import money


@pytest.mark.parametrize(
    ("locale", "minor", "currency", "expected"),
    [
        ("es_PE", 123450, "PEN", "S/ 1,234.50"),
        ("es_CO", 150000000, "COP", "$1.500.000,00"),
        ("es_MX", 9990, "MXN", "$99.90"),
        ("en", 500, "USD", "$5.00"),
    ],
)
def test_money_is_formatted_for_the_viewer(app, locale, minor, currency, expected):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        assert money(minor, currency).replace("\xa0", " ") == expected


def test_money_accepts_none(app):
    with app.test_request_context():
        assert money(None, "PEN") == ""
