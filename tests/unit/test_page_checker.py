"""The page walk's checker (tests/integration/pages.py) finds planted numbers and amounts not
written for the viewer, and lets identifiers, codes and years through."""

import pytest

from tests.integration.pages import findings, read


@pytest.mark.parametrize(
    ("locale", "text", "found"),
    [
        ("es_PE", "Aún compra 88000 kg.", ["digits without separator"]),
        ("es_PE", "de 8982 pagos", ["digits without separator"]),
        ("es", "5.759.313,47 PEN", ["currency code after the amount"]),
        ("es_PE", "S/ 7560.00", ["digits without separator", "amount not as money() writes it"]),
        ("es_CO", "S/ 7,560.00", ["amount not as money() writes it"]),
        ("es_PE", "$ 5.00", ["'$' without its currency"]),
        ("es_PE", "S/ 7,560.00 · MXN 8,000.00 · US$ 5.00 · 88,000 kg · 96.6 %", []),
        ("es_CO", "$ 1.500.000 · S/ 7.560,00 · 5.620 kg", []),
        ("es_PE", "Cosecha 2026 · LOT-PE-000012 · Pedido #12345 · +51942517380", []),
        ("es_PE", "-7.161944, -76.741389 · lr-376-8d179125 · 4D3505DB · 41872356", []),
        ("es_PE", "Modelo (lr-376-262627a6) · AUC 0.744", []),  # digits, then letters: a code
    ],
)
def test_the_checker_finds_what_is_planted(app, locale, text, found):
    with app.test_request_context():
        shown = findings("/x", text, locale, frozenset({"41872356"}))
    assert [f.what.split(" (")[0] for f in shown] == found


def test_the_checker_reads_text_not_markup():
    text, links = read(
        '<p data-n="12345">Hola <a href="/pedidos/12345">pedido</a></p>'
        "<script>var n = 12345;</script><style>.x{width:12345px}</style>"
        '<svg><rect width="12345"><title>Hombre: 3,207</title></rect></svg>'
    )
    assert text == "Hola pedido\nHombre: 3,207" and links == ["/pedidos/12345"]


def test_what_the_page_puts_on_separate_lines_is_not_read_as_one_amount(app):
    text, _ = read("<dd>COP 2,110,300,000<br>MXN 4,533,000.00</dd>")
    with app.test_request_context():
        assert findings("/x", text, "es_PE", frozenset()) == []
