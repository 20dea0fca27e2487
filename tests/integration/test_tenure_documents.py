"""Tenure documents of a plot: upload, review and what they change (legality state, the
buyer's trace and CSV, the credit factor), services directly and pages through the client."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from marketplace.credit.frames import producer_frame
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db as _db
from marketplace.models import (
    AuditLog,
    Legality,
    Notification,
    TenureDocStatus,
    TenureDocument,
    User,
)
from marketplace.notifications.messages import render
from marketplace.traceability import eudr_geojson, export, tenure
from marketplace.traceability.permissions import (
    can_review_tenure_document,
    can_see_tenure_documents,
    can_upload_tenure_document,
)
from marketplace.traceability.tenure_rules import Upload
from tests.conftest import PASSWORD, signed_in_client
from tests.integration.deliveries import centre, deliver, producer_with_pledge
from tests.integration.races import outcomes, race

PDF = b"%PDF-1.4\n% demo\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def instance(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


@pytest.fixture
def field(db, make_user, make_org, make_producer, make_farm):
    coop = make_org("cooperative")
    owner = make_user("producer")
    producer = make_producer(
        user_id=owner.id, cooperative_id=coop.id, first_name="Rosa", last_name="Quispe Mamani"
    )
    farm = make_farm(producer, tenure="title")
    tech = make_user("technician", organization=coop)
    admin = make_user("admin")
    return {"owner": owner, "tech": tech, "admin": admin, "producer": producer, "farm": farm}


def title(**overrides) -> Upload:
    values = {
        "kind": "pe_title",
        "number": "11023456",
        "authority": "SUNARP Tarapoto",
        "issued_on": date(2015, 3, 2),
        "holder_name": "QUISPE MAMANI ROSA",
        "data": PDF,
    }
    return Upload(**(values | overrides))


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


# --- services --------------------------------------------------------------------------------


def test_an_upload_is_stored_under_the_instance_folder_pending_review(db, field, instance):
    doc = tenure.upload_document(field["tech"], field["farm"], title(), instance_path=instance)
    assert doc.status == TenureDocStatus.PENDING and doc.tenure == "title"
    assert doc.file_path.startswith("uploads/tenure/") and doc.file_path.endswith(".pdf")
    assert (instance / doc.file_path).read_bytes() == PDF
    assert "static" not in doc.file_path
    assert tenure.legality_of(field["farm"]) == Legality.IN_REVIEW
    assert actions(db) == ["farm.tenure_document_uploaded"]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"GIF89a" + b"\x00" * 10, "PDF o una foto JPEG o PNG"),
        (b"", "Adjunte el documento"),
        (b"%PDF-" + b"\x00" * (5 * 1024 * 1024), "5 MB"),
    ],
)
def test_a_file_that_is_not_a_small_pdf_or_photo_is_refused(db, field, instance, data, says):
    with pytest.raises(InvalidInput) as refused:
        tenure.upload_document(
            field["tech"], field["farm"], title(data=data), instance_path=instance
        )
    assert says in refused.value.errors["file"]
    assert db.session.scalar(select(func.count(TenureDocument.id))) == 0
    assert not (instance / "uploads").exists()


def test_bad_fields_store_nothing(db, field, instance):
    with pytest.raises(InvalidInput) as refused:
        tenure.upload_document(
            field["tech"], field["farm"], title(number="123", data=PNG), instance_path=instance
        )
    assert "8 dígitos" in refused.value.errors["number"]
    assert db.session.scalar(select(func.count(TenureDocument.id))) == 0


def test_upload_and_view_permissions(make_user, make_org, field):
    farm = field["farm"]
    for user in (field["owner"], field["tech"], field["admin"]):
        assert can_upload_tenure_document(user, farm) and can_see_tenure_documents(user, farm)
    other_tech = make_user("technician", organization=make_org("cooperative"))
    for user in (other_tech, make_user("buyer"), make_user("lender"), make_user("producer")):
        assert not can_upload_tenure_document(user, farm)
        assert not can_see_tenure_documents(user, farm)
    assert can_review_tenure_document(field["admin"])
    assert not any(
        can_review_tenure_document(u) for u in (field["owner"], field["tech"], make_user("buyer"))
    )


def test_the_services_refuse_people_the_pages_would_refuse(db, field, instance, make_user):
    with pytest.raises(DomainError, match="No puede subir"):
        tenure.upload_document(make_user("buyer"), field["farm"], title(), instance_path=instance)
    doc = tenure.upload_document(field["tech"], field["farm"], title(), instance_path=instance)
    with pytest.raises(DomainError, match="Solo Minka"):
        tenure.review_document(field["tech"], doc, tenure.Decision(accept=True))
    assert db.session.get(TenureDocument, doc.id).status == TenureDocStatus.PENDING


def test_accepting_documents_the_plot_tells_producer_and_technician_and_logs(db, field, instance):
    doc = tenure.upload_document(field["tech"], field["farm"], title(), instance_path=instance)
    tenure.review_document(field["admin"], doc, tenure.Decision(accept=True))
    assert doc.status == TenureDocStatus.ACCEPTED and doc.reviewed_by_id == field["admin"].id
    assert tenure.legality_of(field["farm"]) == Legality.DOCUMENTED
    notes = db.session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert {n.user_id for n in notes} == {field["owner"].id, field["tech"].id}
    assert {n.kind for n in notes} == {"tenure.document_accepted"}
    assert notes[0].link.endswith(f"/fincas/{field['farm'].id}/parcela#tenencia")
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "farm.tenure_document_accepted")
    )
    assert entry.detail["holder_matches"] is True and entry.entity_type == "farm"


def test_a_rejection_needs_a_reason_and_the_producer_reads_it(db, field, instance):
    doc = tenure.upload_document(field["owner"], field["farm"], title(), instance_path=instance)
    with pytest.raises(InvalidInput) as refused:
        tenure.review_document(field["admin"], doc, tenure.Decision(accept=False))
    assert "reason" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        tenure.review_document(field["admin"], doc, tenure.Decision(False, "other", " "))
    assert "note" in refused.value.errors
    assert db.session.get(TenureDocument, doc.id).status == TenureDocStatus.PENDING
    tenure.review_document(
        field["admin"], doc, tenure.Decision(False, "illegible", "La foto salió movida.")
    )
    assert tenure.legality_of(field["farm"]) == Legality.REJECTED
    note = db.session.scalar(select(Notification))
    assert note.user_id == field["owner"].id  # she uploaded it herself: one notification
    text = render(note.kind, note.params)
    assert "No se puede leer el documento" in text and "La foto salió movida." in text
    assert "farm.tenure_document_rejected" in actions(db)


def test_a_decided_document_cannot_be_decided_again(db, field, instance):
    doc = tenure.upload_document(field["tech"], field["farm"], title(), instance_path=instance)
    tenure.review_document(field["admin"], doc, tenure.Decision(accept=True))
    with pytest.raises(DomainError, match="ya revisó"):
        tenure.review_document(field["admin"], doc, tenure.Decision(False, "illegible"))
    assert db.session.get(TenureDocument, doc.id).status == TenureDocStatus.ACCEPTED


def test_two_reviewers_at_once_decide_once(db, racing_app, field, instance, make_user):
    doc_id = tenure.upload_document(
        field["tech"], field["farm"], title(), instance_path=instance
    ).id
    admins = [field["admin"].id, make_user("admin").id]

    def job(admin_id, accept):
        def prepare():
            admin = _db.session.get(User, admin_id)
            doc = _db.session.get(TenureDocument, doc_id)
            reason = None if accept else "illegible"
            return lambda: tenure.review_document(admin, doc, tenure.Decision(accept, reason)).id

        return prepare

    jobs = [job(admins[i % 2], i % 2 == 0) for i in range(6)]
    won, refused = outcomes(race(racing_app, jobs))
    assert len(won) == 1 and len(refused) == 5
    db.session.expire_all()
    decided = db.session.scalar(
        select(func.count(AuditLog.id)).where(AuditLog.action.like("farm.tenure_document_%ed"))
    )
    assert decided == 1 + 1  # the upload and one decision
    assert db.session.scalar(select(func.count(Notification.id))) == 2  # owner and technician


def test_legality_reads_only_documents_proving_the_declared_tenure(db, field, instance):
    farm = field["farm"]
    doc = tenure.upload_document(field["tech"], farm, title(), instance_path=instance)
    tenure.review_document(field["admin"], doc, tenure.Decision(accept=True))
    farm.tenure = "possession"  # she now declares something the title does not prove
    db.session.commit()
    assert tenure.legality_of(farm) == Legality.NONE
    assert tenure.legality_by_farm([farm]) == {farm.id: Legality.NONE}


def test_secure_tenure_counts_for_credit_only_with_an_accepted_document(db, field, instance):
    farm = field["farm"]
    assert farm.land_title is True  # declared secure
    assert not producer_frame("PE", farm.producer_id)["land_title"].iloc[0]
    doc = tenure.upload_document(field["tech"], farm, title(), instance_path=instance)
    assert not producer_frame("PE", farm.producer_id)["land_title"].iloc[0]  # pending
    tenure.review_document(field["admin"], doc, tenure.Decision(accept=True))
    assert producer_frame("PE", farm.producer_id)["land_title"].iloc[0]


def test_a_use_grant_is_documented_but_not_secure_for_credit(db, field, instance):
    farm = field["farm"]
    farm.tenure = "use_grant"
    db.session.commit()
    grant = title(kind="pe_use_grant", number="SERFOR-045-2019", authority="ARFFS San Martín")
    doc = tenure.upload_document(field["tech"], farm, grant, instance_path=instance)
    tenure.review_document(field["admin"], doc, tenure.Decision(accept=True))
    assert tenure.legality_of(farm) == Legality.DOCUMENTED
    assert farm.land_title is False
    assert not producer_frame("PE", farm.producer_id)["land_title"].iloc[0]


# --- pages -----------------------------------------------------------------------------------


def post_upload(client, farm_id: int, **overrides):
    data = {
        "kind": "pe_title",
        "number": "11023456",
        "authority": "SUNARP Tarapoto",
        "issued_on": "2015-03-02",
        "holder_name": "Quispe Mamani Rosa",
        "file": (io.BytesIO(PDF), "titulo.pdf"),
    } | overrides
    return client.post(f"/fincas/{farm_id}/tenencia", data=data, content_type="multipart/form-data")


def test_the_producer_uploads_and_the_file_is_served_only_to_allowed_people(
    app, db, field, instance, make_user, make_org
):
    farm_id = field["farm"].id
    client = signed_in_client(app, field["owner"])
    assert post_upload(client, farm_id).status_code == 302
    doc = db.session.scalar(select(TenureDocument))
    url = f"/fincas/{farm_id}/tenencia/{doc.id}/archivo"
    page = client.get(f"/fincas/{farm_id}/parcela").get_data(as_text=True)
    assert url in page and "En revisión" in page
    for user in (field["owner"], field["tech"], field["admin"]):
        response = signed_in_client(app, user).get(url)
        assert response.status_code == 200 and response.data == PDF
        assert "no-store" in response.headers["Cache-Control"]
        response.close()
    other_tech = make_user("technician", organization=make_org("cooperative"))
    for user in (other_tech, make_user("producer")):
        assert signed_in_client(app, user).get(url).status_code == 404
    for user in (make_user("buyer"), make_user("lender")):
        assert signed_in_client(app, user).get(url).status_code == 403
    assert signed_in_client(app, None).get(url).status_code == 302


def test_a_bad_upload_re_renders_the_plot_page_with_the_message(app, db, field, instance):
    client = signed_in_client(app, field["tech"])
    response = post_upload(client, field["farm"].id, number="050-1234567")
    assert response.status_code == 200
    assert "8 dígitos" in response.get_data(as_text=True)
    response = post_upload(client, field["farm"].id, file=(io.BytesIO(b"GIF89a"), "x.pdf"))
    assert "PDF o una foto JPEG o PNG" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TenureDocument.id))) == 0


def test_a_huge_upload_gets_a_clear_message(app, db, field, instance):
    client = signed_in_client(app, field["tech"])
    data = {"file": (io.BytesIO(b"%PDF-" + b"\x00" * (6 * 1024 * 1024)), "big.pdf")}
    path = f"/fincas/{field['farm'].id}/tenencia"
    builder = EnvironBuilder(path=path, method="POST", data=data)
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:  # the app refuses before reading the body, so close the spooled body here
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "máximo es 5 MB" in body and "Tenencia de la tierra" in body
    assert db.session.scalar(select(func.count(TenureDocument.id))) == 0


def test_a_farm_without_a_declared_document_offers_no_upload(app, db, field, instance):
    field["farm"].tenure = "none"
    db.session.commit()
    page = signed_in_client(app, field["tech"]).get(f"/fincas/{field['farm'].id}/parcela")
    text = page.get_data(as_text=True)
    assert "corrija primero la tenencia" in text and "Subir documento" not in text
    forced = post_upload(signed_in_client(app, field["tech"]), field["farm"].id)
    assert "la finca declara" in forced.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TenureDocument.id))) == 0


def test_only_allowed_people_upload(app, db, field, instance, make_user, make_org, make_farm):
    farm_id = field["farm"].id
    other_tech = make_user("technician", organization=make_org("cooperative"))
    assert post_upload(signed_in_client(app, other_tech), farm_id).status_code == 404
    assert post_upload(signed_in_client(app, make_user("producer")), farm_id).status_code == 404
    assert post_upload(signed_in_client(app, make_user("buyer")), farm_id).status_code == 403
    assert post_upload(signed_in_client(app, field["admin"]), farm_id).status_code == 302
    assert post_upload(signed_in_client(app, field["owner"]), 999_999).status_code == 404


def test_the_admin_sees_the_name_mismatch_and_rejects_through_the_page(app, db, field, instance):
    doc = tenure.upload_document(
        field["tech"], field["farm"], title(holder_name="FLORES JUAN"), instance_path=instance
    )
    admin = signed_in_client(app, field["admin"])
    page = admin.get(f"/fincas/{field['farm'].id}/parcela").get_data(as_text=True)
    assert "no coincide con el nombre del productor" in page
    queue = admin.get("/admin/tenencia").get_data(as_text=True)
    assert "FLORES JUAN" in queue and "no coincide con el productor" in queue
    url = f"/fincas/{field['farm'].id}/tenencia/{doc.id}/revisar"
    p = f"doc{doc.id}-"
    missing = admin.post(url, data={p + "decision": "reject"})
    assert missing.status_code == 200 and "Elija el motivo" in missing.get_data(as_text=True)
    done = admin.post(url, data={p + "decision": "reject", p + "reason": "holder_mismatch"})
    assert done.status_code == 302
    assert db.session.get(TenureDocument, doc.id).rejection_reason == "holder_mismatch"
    again = admin.post(url, data={p + "decision": "accept"}, follow_redirects=True)
    assert "ya revisó" in again.get_data(as_text=True)
    assert db.session.get(TenureDocument, doc.id).status == TenureDocStatus.REJECTED


def test_only_admins_review(app, db, field, instance, make_user):
    doc = tenure.upload_document(field["tech"], field["farm"], title(), instance_path=instance)
    url = f"/fincas/{field['farm'].id}/tenencia/{doc.id}/revisar"
    data = {f"doc{doc.id}-decision": "accept"}
    for user in (field["owner"], field["tech"], make_user("buyer"), make_user("lender")):
        assert signed_in_client(app, user).post(url, data=data).status_code == 403
    assert signed_in_client(app, make_user("technician")).get("/admin/tenencia").status_code == 403
    other = f"/fincas/{field['farm'].id}/tenencia/{doc.id + 1000}/revisar"
    assert signed_in_client(app, field["admin"]).post(other, data=data).status_code == 404
    assert db.session.get(TenureDocument, doc.id).status == TenureDocStatus.PENDING


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_upload_and_review_need_the_csrf_token(make_app, db, field, instance):
    app = make_app(WTF_CSRF_ENABLED=True)
    app.instance_path = str(instance)
    doc = tenure.upload_document(field["tech"], field["farm"], title(), instance_path=instance)
    client = app.test_client()
    token = _csrf(client.get("/ingresar").get_data(as_text=True))
    data = {"identifier": field["admin"].login, "password": PASSWORD, "csrf_token": token}
    assert client.post("/ingresar", data=data).status_code == 302
    url = f"/fincas/{field['farm'].id}/tenencia/{doc.id}/revisar"
    assert client.post(url, data={f"doc{doc.id}-decision": "accept"}).status_code == 400
    assert post_upload(client, field["farm"].id).status_code == 400
    db.session.expire_all()
    assert db.session.get(TenureDocument, doc.id).status == TenureDocStatus.PENDING
    assert db.session.scalar(select(func.count(TenureDocument.id))) == 1


def test_the_farm_page_shows_the_state(app, db, field, instance):
    doc = tenure.upload_document(field["tech"], field["farm"], title(), instance_path=instance)
    client = signed_in_client(app, field["tech"])
    page = client.get(f"/productores/{field['producer'].id}").get_data(as_text=True)
    assert "En revisión" in page
    tenure.review_document(field["admin"], doc, tenure.Decision(accept=True))
    page = client.get(f"/productores/{field['producer'].id}").get_data(as_text=True)
    assert "Documentado" in page


def test_buyers_see_whether_plots_are_documented_but_not_the_papers(
    app, db, instance, make_org, make_user, make_center, make_commitment, make_producer, make_farm
):
    world = centre(make_org, make_user, make_center, make_commitment)
    admin = make_user("admin")
    _, titled, pledge_a = producer_with_pledge(
        make_producer, make_farm, world, tenure="title", total_ha=3.0, risk_status="free"
    )
    _, bare, pledge_b = producer_with_pledge(
        make_producer, make_farm, world, tenure="none", lat=-7.2, total_ha=3.0, risk_status="free"
    )
    rows = [deliver(world, pledge_a, 100), deliver(world, pledge_b, 100)]
    doc = tenure.upload_document(admin, titled, title(), instance_path=instance)
    tenure.review_document(admin, doc, tenure.Decision(accept=True))

    found = export.due_diligence(world.commitment, rows)
    by_place = {r["ProductionPlace"]: r for r in csv.DictReader(io.StringIO(export.to_csv(found)))}
    place = {p.farm.id: p.place for p in found.plots}
    assert by_place[place[titled.id]]["LandTenure"] == "title"
    assert by_place[place[titled.id]]["TenureDocuments"] == "documented"
    assert by_place[place[bare.id]]["TenureDocuments"] == "none"
    assert eudr_geojson.problems(json.loads(found.text)) == []  # the EU file is untouched
    assert all(
        set(f["properties"]) <= set(eudr_geojson.PROPERTIES) for f in found.collection["features"]
    )

    buyer = signed_in_client(app, world.buyer)
    trace = buyer.get(f"/compras/compromisos/{world.commitment.id}/trazabilidad")
    text = trace.get_data(as_text=True)
    assert "Documentado" in text and "Sin documento" in text
    assert "1 de 2 parcelas" in text
    plot_page = buyer.get(f"/fincas/{titled.id}/parcela").get_data(as_text=True)
    assert "Documentado" in plot_page
    assert "/archivo" not in plot_page and "Subir documento" not in plot_page
    url = f"/fincas/{titled.id}/tenencia/{doc.id}/archivo"
    assert buyer.get(url).status_code == 403


# --- her data ----------------------------------------------------------------------------------


def test_her_data_copy_lists_her_documents_and_erasing_her_removes_them_and_their_files(
    db, field, instance, make_producer, make_farm
):
    from marketplace.privacy import erasure, services
    from marketplace.privacy import export as privacy_export

    producer, farm = field["producer"], field["farm"]
    doc = tenure.upload_document(field["owner"], farm, title(), instance_path=instance)
    # another producer's document sharing a file (the demo's samples) keeps it
    other = make_farm(make_producer(), tenure="title")
    shared = tenure.upload_document(field["admin"], other, title(), instance_path=instance)
    shared.file_path = doc.file_path
    db.session.commit()
    own = tenure.upload_document(field["tech"], farm, title(data=PNG), instance_path=instance)
    own_file, shared_file = instance / own.file_path, instance / shared.file_path
    copy = privacy_export.collect(producer)
    assert {d["id"] for d in copy["tenure_documents"]} == {doc.id, own.id}
    request = services.file_request(field["owner"], producer, "deletion", "Ya no vendo cacao")
    receipt = erasure.carry_out(field["admin"], request, instance)
    removed = {line["item"]: line["count"] for line in receipt["removed"]}
    assert removed["tenure_documents"] == 2
    assert db.session.scalar(select(func.count(TenureDocument.id))) == 1
    assert not own_file.exists() and shared_file.exists()


def test_the_queue_counts_every_pending_document_and_shows_the_oldest(
    app, db, field, instance, monkeypatch
):
    # On 100,000 producers the page said "200 documentos esperan revisión" with 5,359 waiting.
    docs = [
        tenure.upload_document(field["tech"], field["farm"], title(), instance_path=instance)
        for _ in range(3)
    ]
    monkeypatch.setattr(tenure, "QUEUE_SHOWN", 2)
    queue = signed_in_client(app, field["admin"]).get("/admin/tenencia").get_data(as_text=True)
    assert "3 documentos esperan revisión · aquí los 2 más antiguos" in queue
    assert f"documento-{docs[0].id}" in queue and f"documento-{docs[2].id}" not in queue
