"""Every text message fits one SMS in GSM-7, in Spanish and English, with the longest values."""

from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.sms import texts

LONG_NAME = "Cooperativa Agraria Cafetalera y de Servicios Oro Verde de Lamas Ltda."
LONG = {
    "order": 9_999_999,
    "title": "Abono orgánico compostado de alta calidad para cacao fino de aroma, saco 50 kg",
    "lender": "Caja Municipal de Ahorro y Crédito de Piura S.A.C.",
    "number": 36,
    "loan": 9_999_999,
    "amount": {"minor": 999_999_999_00, "currency": "COP"},
    "date": "2027-12-31",
    "code": "DLV-2027-999999",
    "kg": 99_999.99,
    "deducted": {"minor": 999_999_999_00, "currency": "COP"},
    "buyer": LONG_NAME,
    "product": "Cacao fino de aroma en grano seco fermentado, calidad de exportación",
    "region": "Archipiélago de San Andrés, Providencia y Santa Catalina",
}


@pytest.fixture(scope="module")
def app():
    app = create_app({"TESTING": True, "MINKA_ENV": "testing", "SECRET_KEY": "x"})
    with app.test_request_context():
        yield app


@pytest.mark.parametrize("locale", ["es", "en"])
@pytest.mark.parametrize("kind", sorted(texts.TEXTS))
def test_every_text_fits_one_gsm7_sms_with_the_longest_values(app, kind, locale):
    params = dict(LONG, code="123456") if kind in texts.CODE_KINDS else LONG
    text = texts.compose(kind, params, locale)
    assert texts.is_gsm7(text), [c for c in text if c not in texts.GSM7_BASIC]
    assert len(text) <= texts.SMS_LENGTH, (len(text), text)


def test_transliteration_keeps_what_gsm7_has_and_drops_the_accents_it_lacks():
    assert texts.to_gsm7("Préstamo aprobó, crédito, cuántos, «Señor», Ünal") == (
        'Préstamo aprobo, crédito, cuantos, "Señor", Ünal'
    )
    assert texts.to_gsm7("S/\u00a01\u202f234") == "S/ 1 234"
    assert texts.is_gsm7("ñ é ü ¿ ¡")
    assert not texts.is_gsm7("á")


def test_long_names_are_shortened_and_amounts_formatted(app):
    text = texts.render("order.confirmed", {"order": 12, "title": LONG["title"]})
    assert "..." in text and len(text) <= 160
    due = texts.render(
        "loan.instalment_due",
        {
            "number": 2,
            "loan": 7,
            "amount": {"minor": 45_000, "currency": "PEN"},
            "date": "2027-03-04",
        },
    )
    assert "450.00" in due and "04/03/2027" in due
