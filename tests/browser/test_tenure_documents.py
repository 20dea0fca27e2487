"""A technician uploads a farm's title on a phone, an admin sees the holder's name differs and
rejects it, the technician uploads the right one and the admin accepts it (Chromium, 360x740,
es)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from marketplace.extensions import db
from marketplace.models import Notification, TenureDocument
from tests.browser.conftest import log_in
from tests.browser.test_journeys import overflow

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def upload(page: Page, holder: str) -> None:
    section = page.locator("#tenencia")
    section.get_by_label("Tipo de documento").select_option(
        label="Título de propiedad inscrito en SUNARP (partida electrónica)"
    )
    section.get_by_label("Número o partida").fill("11023456")
    section.get_by_label("Emitido por").fill("SUNARP Tarapoto")
    section.get_by_label("Fecha de emisión").fill("2015-03-02")
    section.get_by_label("Titular, tal como figura en el documento").fill(holder)
    section.get_by_label("Archivo").set_input_files(
        files=[{"name": "titulo.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    section.get_by_role("button", name="Subir documento").click()
    expect(page.get_by_role("status").first).to_contain_text("Documento subido")


def test_a_title_is_uploaded_rejected_uploaded_again_and_accepted(
    app, page: Page, new_context, live, tmp_path, monkeypatch, make_user, make_org,
    make_producer, make_farm,
) -> None:  # fmt: skip
    monkeypatch.setattr(live.app, "instance_path", str(tmp_path))
    coop = make_org("cooperative")
    technician = make_user("technician", name="Lucía Técnica", organization=coop)
    producer = make_producer(cooperative_id=coop.id, first_name="Rosa", last_name="Quispe")
    farm = make_farm(producer, tenure="title")
    admin = make_user("admin", name="Ana Admin")

    log_in(page, technician)
    page.goto(f"/fincas/{farm.id}/parcela")
    expect(page.locator("#tenencia")).to_contain_text("Sin documento")
    # a bad number comes back with the rule, nothing stored
    page.locator("#tenencia").get_by_label("Número o partida").fill("123")
    page.locator("#tenencia").get_by_role("button", name="Subir documento").click()
    expect(page.locator("#tenencia")).to_contain_text("Revise los datos marcados")
    upload(page, "FLORES QUISPE JUAN")
    expect(page.locator("#tenencia")).to_contain_text("En revisión")
    assert overflow(page) is None, overflow(page)

    reviewer = new_context().new_page()
    log_in(reviewer, admin)
    reviewer.goto("/admin/tenencia")
    expect(reviewer.get_by_text("no coincide con el productor")).to_be_visible()
    reviewer.get_by_role("link", name=farm.name).click()
    doc = reviewer.locator("#tenencia article").first
    expect(doc).to_contain_text("no coincide con el nombre del productor")
    doc.get_by_label("Rechazar").check()
    doc.get_by_label("Motivo del rechazo").select_option(label="El titular no es el productor")
    doc.get_by_role("button", name="Guardar la decisión").click()
    expect(reviewer.get_by_role("status").first).to_contain_text("Documento rechazado")
    assert overflow(reviewer) is None, overflow(reviewer)

    page.reload()
    expect(page.locator("#tenencia")).to_contain_text("El titular no es el productor")
    upload(page, "QUISPE ROSA")
    reviewer.reload()
    pending = reviewer.locator("#tenencia article").first
    pending.get_by_label("Aceptar").check()
    pending.get_by_role("button", name="Guardar la decisión").click()
    expect(reviewer.get_by_role("status").first).to_contain_text("Documento aceptado")

    page.goto(f"/productores/{producer.id}")
    expect(page.get_by_role("article").first).to_contain_text("Documentado")
    db.session.expire_all()
    statuses = sorted(d.status for d in db.session.query(TenureDocument))
    assert statuses == ["accepted", "rejected"]
    kinds = {n.kind for n in db.session.query(Notification)}
    assert kinds == {"tenure.document_accepted", "tenure.document_rejected"}
