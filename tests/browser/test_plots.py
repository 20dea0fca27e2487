"""A technician draws a farm's outline and records field evidence (Chromium, 360x740, es)."""

from __future__ import annotations

import struct
import zlib

from playwright.sync_api import Page, expect

from marketplace.extensions import db
from marketplace.models import Farm, FieldEvidence
from tests.browser.conftest import log_in


def tiny_png() -> bytes:
    """A valid 1x1 green PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x2f\x6b\x3a")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def draw_square_and_save(page: Page) -> None:
    """On a plot page: draw a square of about 50 px a side (zoom 15: a few hectares) with
    the drawing tool, finish it and save it."""
    page.get_by_role("link", name="Dibujar el contorno").click()
    box = page.locator("#plot-map").bounding_box()
    # below the map's centre: the drawing's 44-px action buttons sit across its middle
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + 50
    for dx, dy in ((-25, -25), (25, -25), (25, 25), (-25, 25)):
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(200)  # leaflet-draw ignores a new point for 50 ms after one
    page.get_by_role("link", name="Terminar").click()
    assert '"Polygon"' in page.get_by_label("Contorno (GeoJSON)").input_value()
    page.get_by_role("button", name="Guardar contorno").click()


def test_technician_draws_the_outline_and_records_evidence(
    app, page: Page, live, tmp_path, monkeypatch, make_user, make_org, make_producer, make_farm
) -> None:
    monkeypatch.setattr(live.app, "instance_path", str(tmp_path))
    coop = make_org("cooperative")
    technician = make_user("technician", name="Lucía Técnica", organization=coop)
    producer = make_producer(cooperative_id=coop.id)
    farm = make_farm(producer, total_ha=6.0)
    log_in(page, technician)

    page.goto(f"/productores/{producer.id}")
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name=farm.name))
    expect(card).to_contain_text("No lista para exportar")
    card.get_by_role("link", name="Parcela y evidencia").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Parcela")

    draw_square_and_save(page)
    expect(page.get_by_role("status").first).to_contain_text("Contorno")
    expect(page.get_by_text("Lista para exportar")).to_be_visible()
    db.session.expire_all()
    saved = db.session.get(Farm, farm.id)
    assert saved.polygon_source == "drawn" and saved.polygon_area_ha > 0

    # Field evidence with a photo; the photo is shown on the page.
    page.get_by_label("Fecha de la visita").fill("2026-01-15")
    page.get_by_label("Nota").fill("Cacao bajo sombra de guaba; sin tala reciente.")
    page.get_by_label("Foto").set_input_files(
        files=[{"name": "visita.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    page.get_by_role("button", name="Guardar evidencia").click()
    expect(page.get_by_role("status").first).to_contain_text("Evidencia registrada.")
    expect(page.get_by_text("Cacao bajo sombra de guaba")).to_be_visible()
    photo = page.get_by_role("img", name="Foto de la visita")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") == 1
    assert db.session.query(FieldEvidence).count() == 1
