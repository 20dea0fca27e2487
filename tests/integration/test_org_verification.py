"""Organization verification as a process: the organization submits its tax id and a
document; the admin sees them and the look-alikes, verifies or rejects with a reason; the
organization is told; no two verified organizations of a country share a name or tax id."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace.admin import org_review
from marketplace.errors import DomainError
from marketplace.main.services import dashboard_for
from marketplace.models import AuditLog, Notification, Organization, OrgStatus
from marketplace.organizations import lookalikes, services
from tests.conftest import signed_in_client

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
NAME = "Cooperativa Agroindustrial Juanjuí Cacao Fino"


@pytest.fixture
def instance(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def audit_rows(db, action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def notices(db, org) -> list[Notification]:
    query = select(Notification).where(Notification.organization_id == org.id)
    return list(db.session.scalars(query))


# -- What the organization submits ------------------------------------------------------------


def test_a_pending_cooperative_submits_its_ruc_and_document(db, make_user, make_org, instance):
    org = make_org("cooperative", verified=False, tax_id=None, document_path=None)
    tech = make_user("technician", organization=org)
    change = services.update_organization(
        tech, org, org.name, "PE", tax_id="20100070970", document=PDF, instance_path=instance
    )
    assert change.changed == ("tax_id", "document") and not change.verification_reset
    assert org.tax_id == "20100070970"
    assert org.document_path.startswith("uploads/organizations/")
    assert (instance / org.document_path).read_bytes() == PDF
    assert services.document_file(org, instance) == PDF


@pytest.mark.parametrize(
    ("country", "typed", "message"),
    [
        ("PE", "2010007097", "El RUC debe tener 11 dígitos."),
        ("PE", "20100070971", "El dígito verificador del RUC no corresponde."),
        ("CO", "800197268-5", "El dígito verificador del NIT no corresponde."),
        ("MX", "CFE370814QI1", "El dígito verificador del RFC no corresponde."),
    ],
)
def test_a_wrong_tax_id_is_refused_and_nothing_changes(make_user, country, typed, message):
    tech = make_user("technician")
    org = tech.organization
    before = org.tax_id
    with pytest.raises(DomainError) as refused:
        services.update_organization(tech, org, org.name, country, tax_id=typed)
    assert (refused.value.field, str(refused.value.message)) == ("tax_id", message)
    assert org.tax_id == before and org.verified


@pytest.mark.parametrize(
    "document", [b"MZ\x90\x00 not a pdf", b"<html>", b"GIF89a", b"%PDF-" + b"0" * (5 << 20)]
)
def test_a_document_is_a_pdf_jpeg_or_png_of_at_most_5_mb(make_user, instance, document):
    tech = make_user("technician")
    org = tech.organization
    with pytest.raises(DomainError) as refused:
        services.update_organization(
            tech, org, org.name, "PE", document=document, instance_path=instance
        )
    assert refused.value.field == "document"
    assert not (instance / "uploads" / "organizations").exists()


@pytest.mark.parametrize(("field", "value"), [("tax_id", "20100047218"), ("document", PNG)])
def test_changing_the_tax_id_or_document_of_a_verified_org_sends_it_back(
    make_user, instance, field, value
):
    tech = make_user("technician")
    org = tech.organization
    change = services.update_organization(
        tech, org, org.name, org.country, instance_path=instance, **{field: value}
    )
    assert change.verification_reset and not org.verified
    assert org.status == OrgStatus.PENDING


# -- The admin's review -----------------------------------------------------------------------


def test_lookalikes_are_flagged_by_name_and_tax_id_in_the_same_country(make_org):
    real = make_org("cooperative", name=NAME, tax_id="20100070970")
    copy = make_org(
        "cooperative", verified=False, name="COOPERATIVA AGROINDUSTRIAL JUANJUI CACAO FINO S.A.C."
    )
    typo = make_org("cooperative", verified=False, name="Coop. Agroindustrial Juanjui Cacao Fina")
    same_ruc = make_org("buyer", verified=False, name="Otra Empresa", tax_id="20100070970")
    make_org("cooperative", name=NAME, country="CO")
    make_org("cooperative", name="Cooperativa Agraria Cafetalera Alto Mayo")

    found = {item.org.id: item for item in lookalikes.lookalikes(real)}
    assert set(found) == {copy.id, typo.id, same_ruc.id}
    assert found[copy.id].similar_name and not found[copy.id].same_tax_id
    assert found[same_ruc.id].same_tax_id and not found[same_ruc.id].similar_name
    assert lookalikes.verified_twin(copy) == real
    assert lookalikes.verified_twin(same_ruc) == real
    assert lookalikes.verified_twin(typo) is None  # similar, not the same: the admin decides


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tax_id": None}, "aún no envió su número tributario"),
        ({"tax_id": "20100070971"}, "dígito verificador del RUC"),
        ({"document_path": None}, "aún no envió su documento"),
    ],
)
def test_verification_needs_a_valid_tax_id_and_a_document(db, admin, make_org, overrides, message):
    org = make_org("cooperative", verified=False, **overrides)
    with pytest.raises(DomainError) as refused:
        org_review.verify_organization(admin, org)
    assert message in str(refused.value.message)
    assert not org.verified and audit_rows(db, "organization.verified") == []


@pytest.mark.parametrize("twin", ["name", "tax_id"])
def test_a_verified_name_or_tax_id_is_unique_per_country(db, admin, make_org, twin):
    make_org("cooperative", name=NAME, tax_id="20100070970")
    copy = make_org(
        "cooperative",
        verified=False,
        name="Cooperativa Agroindustrial Juanjui Cacao Fino S.A.C." if twin == "name" else "Otra",
        **({"tax_id": "20100070970"} if twin == "tax_id" else {}),
    )
    with pytest.raises(DomainError) as refused:
        org_review.verify_organization(admin, copy)
    assert "Ya hay una organización verificada en Perú" in str(refused.value.message)
    assert not copy.verified


def test_organizations_told_apart_by_a_number_are_not_twins(db, admin, make_org):
    make_org("cooperative", name="Asociación de Productores Sector 1", tax_id="20100070970")
    second = make_org("cooperative", verified=False, name="Asociación de Productores Sector 2")
    org_review.verify_organization(admin, second)
    assert second.verified and second.verified_name_key == "2 productores sector"


def test_the_database_keeps_verified_twins_apart_when_two_admins_race(
    db, admin, make_org, monkeypatch
):
    first = make_org("cooperative", verified=False, name=NAME)
    second = make_org("cooperative", verified=False, name=NAME + " S.A.C.")
    org_review.verify_organization(admin, first)
    assert first.verified_name_key == "agroindustrial cacao fino juanjui"
    # the second admin read "no verified twin" before the first one committed
    monkeypatch.setattr(lookalikes, "verified_twin", lambda org: None)
    with pytest.raises(DomainError) as refused:
        org_review.verify_organization(admin, second)
    assert "acaba de ser verificada" in str(refused.value.message)
    db.session.refresh(second)
    assert not second.verified and len(audit_rows(db, "organization.verified")) == 1


def test_a_renamed_organization_frees_its_verified_name(db, admin, make_org, make_user):
    old = make_org("cooperative", verified=False, name=NAME)
    org_review.verify_organization(admin, old)
    tech = make_user("technician", organization=old)
    services.update_organization(tech, old, "Cooperativa Cacao del Huallaga", "PE")
    assert old.verified_name_key is None and old.verified_tax_id is None
    heir = make_org("cooperative", verified=False, name=NAME)
    org_review.verify_organization(admin, heir)
    assert heir.can_publish


def test_verifying_tells_the_organization(db, admin, make_org):
    org = make_org("cooperative", verified=False)
    org_review.verify_organization(admin, org)
    (note,) = notices(db, org)
    assert note.kind == "organization.verified" and note.link == "/organizacion"


def test_rejecting_needs_a_reason_is_logged_and_told(db, admin, make_org):
    org = make_org("cooperative", verified=False)
    with pytest.raises(DomainError) as refused:
        org_review.reject_organization(admin, org, "  ")
    assert refused.value.field == "reason"

    org_review.reject_organization(admin, org, " El RUC es de otra cooperativa ")

    assert org.status == OrgStatus.REJECTED and org.rejected and not org.can_publish
    assert org.rejection_reason == "El RUC es de otra cooperativa"
    (row,) = audit_rows(db, "organization.rejected")
    assert row.actor_id == admin.id and row.detail["reason"] == "El RUC es de otra cooperativa"
    (note,) = notices(db, org)
    assert note.kind == "organization.rejected"
    assert note.params == {"reason": "El RUC es de otra cooperativa"}
    with pytest.raises(DomainError):
        org_review.reject_organization(admin, org, "otra vez")


def test_a_verified_organization_is_suspended_not_rejected(admin, make_org):
    with pytest.raises(DomainError):
        org_review.reject_organization(admin, make_org("cooperative"), "motivo")


def test_a_rejected_organization_corrects_and_resubmits(db, admin, make_user, instance):
    tech = make_user("technician")
    org = tech.organization
    org.verified_at = None
    org_review.reject_organization(admin, org, "Documento ilegible")
    change = services.update_organization(
        tech, org, org.name, "PE", document=PDF, instance_path=instance
    )
    assert change.resubmitted
    assert org.status == OrgStatus.PENDING and org.rejection_reason is None
    org_review.verify_organization(admin, org)
    assert org.can_publish


# -- Pages ------------------------------------------------------------------------------------


def test_the_member_uploads_through_the_page_and_reads_it_back(
    app, db, make_user, make_org, instance
):
    org = make_org("cooperative", verified=False, tax_id=None, document_path=None)
    tech = make_user("technician", organization=org)
    client = signed_in_client(app, tech)
    page = client.get("/organizacion").get_data(as_text=True)
    assert "envíe abajo su número tributario" in page and 'enctype="multipart/form-data"' in page

    refused = client.post(
        "/organizacion",
        data={"name": org.name, "country": "PE", "tax_id": "20100070971"},
    )
    assert refused.status_code == 200
    assert "El dígito verificador del RUC no corresponde." in refused.get_data(as_text=True)

    response = client.post(
        "/organizacion",
        data={
            "name": org.name,
            "country": "PE",
            "tax_id": "20100070970",
            "document": (io.BytesIO(PDF), "ficha-ruc.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.tax_id == "20100070970" and org.document_path

    document = client.get(f"/organizaciones/{org.id}/documento")
    try:
        assert document.status_code == 200 and document.data == PDF
        assert document.headers["Cache-Control"] == "private, no-store"
        assert document.mimetype == "application/pdf"
    finally:
        document.close()


def test_only_members_and_admins_open_the_document(app, db, make_user, make_org, instance):
    org = make_org("cooperative", verified=False, tax_id=None, document_path=None)
    tech = make_user("technician", organization=org)
    services.update_organization(
        tech, org, org.name, "PE", tax_id="20100070970", document=PDF, instance_path=instance
    )
    path = f"/organizaciones/{org.id}/documento"
    as_admin = signed_in_client(app, make_user("admin")).get(path)
    as_admin.close()
    assert as_admin.status_code == 200
    assert signed_in_client(app, make_user("technician")).get(path).status_code == 404
    assert signed_in_client(app, make_user("buyer")).get(path).status_code == 404
    assert signed_in_client(app, make_user("producer")).get(path).status_code == 403
    assert signed_in_client(app, None).get(path).status_code == 302


def test_the_admin_reviews_tax_id_document_and_lookalikes(app, db, admin, make_org):
    make_org("cooperative", name=NAME, tax_id="20100070970")
    copy = make_org(
        "cooperative",
        verified=False,
        name="Cooperativa Agroindustrial Juanjui Cacao Fino",
        tax_id="20100070970",
    )
    client = signed_in_client(app, admin)
    page = client.get(f"/admin/organizaciones/{copy.id}").get_data(as_text=True)
    assert "20100070970" in page and "Válido: el dígito verificador corresponde" in page
    assert f"/organizaciones/{copy.id}/documento" in page
    assert "Nombre igual o muy parecido" in page and "Mismo número tributario" in page
    assert "No se puede verificar" in page

    refused = client.post(f"/admin/organizaciones/{copy.id}/verificar", follow_redirects=True)
    assert "Ya hay una organización verificada en Perú" in refused.get_data(as_text=True)

    empty = client.post(
        f"/admin/organizaciones/{copy.id}/rechazar", data={"reason": ""}, follow_redirects=True
    )
    assert "Escriba el motivo del rechazo." in empty.get_data(as_text=True)
    done = client.post(
        f"/admin/organizaciones/{copy.id}/rechazar",
        data={"reason": "Nombre y RUC de otra cooperativa"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Rechazada" in done and "Nombre y RUC de otra cooperativa" in done
    assert NAME not in client.get("/admin/organizaciones?status=rejected").get_data(as_text=True)
    assert copy.name in client.get("/admin/organizaciones?status=rejected").get_data(as_text=True)


def test_the_technician_reads_why_it_was_rejected(app, db, admin, make_user, make_org):
    org = make_org("cooperative", verified=False)
    tech = make_user("technician", organization=org)
    org_review.reject_organization(admin, org, "El documento no se puede leer")
    client = signed_in_client(app, tech)
    assert "El documento no se puede leer" in client.get("/avisos").get_data(as_text=True)
    page = client.get("/organizacion").get_data(as_text=True)
    assert "Rechazada" in page and "El documento no se puede leer" in page


SIGNUP = {
    "name": "Julio Ramos",
    "identifier": "julio@juanjui.example",
    "country": "PE",
    "role": "technician",
    "organization_name": NAME,
    "organization_kind": "cooperative",
    "organization_tax_id": "20100070970",
    "password": "Cacao fino de Juanjuí 2026",
    "confirm": "Cacao fino de Juanjuí 2026",
}


def test_the_founder_may_send_the_document_at_sign_up(app, db, instance):
    client = app.test_client()
    page = client.get("/registro").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="organization_document"' in page
    refused = client.post(
        "/registro",
        data=SIGNUP | {"organization_document": (io.BytesIO(b"GIF89a..."), "logo.gif")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 200
    assert "El documento debe ser un PDF o una foto JPEG o PNG." in refused.get_data(as_text=True)
    assert db.session.scalar(select(Organization)) is None
    done = client.post(
        "/registro",
        data=SIGNUP | {"organization_document": (io.BytesIO(PDF), "ficha-ruc.pdf")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    org = db.session.scalar(select(Organization))
    assert (instance / org.document_path).read_bytes() == PDF
    assert org.status == OrgStatus.PENDING and org_review.tax_id_problem(org) is None


def test_a_document_over_5_mb_at_sign_up_is_refused_in_spanish(app, db, instance):
    response = app.test_client().post(
        "/registro",
        data=SIGNUP | {"organization_document": (io.BytesIO(b"%PDF-" + b"0" * (6 << 20)), "x.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "El documento es demasiado grande" in response.get_data(as_text=True)
    assert db.session.scalar(select(Organization)) is None


def test_founding_an_organization_at_sign_up_asks_its_tax_id(app, db):
    form = {
        "name": "Julio Ramos",
        "identifier": "julio@juanjui.example",
        "country": "PE",
        "role": "technician",
        "organization_name": NAME,
        "organization_kind": "cooperative",
        "password": "Cacao fino de Juanjuí 2026",
        "confirm": "Cacao fino de Juanjuí 2026",
    }
    client = app.test_client()
    refused = client.post("/registro", data=form | {"organization_tax_id": "20100070971"})
    assert refused.status_code == 200
    assert "El dígito verificador del RUC no corresponde." in refused.get_data(as_text=True)
    assert (
        client.post("/registro", data=form | {"organization_tax_id": "20100070970"}).status_code
        == 302
    )
    (org,) = db.session.scalars(select(Organization)).all()
    assert org.tax_id == "20100070970" and org.status == OrgStatus.PENDING


def test_the_admin_board_counts_what_waits_for_review(app, db, admin, make_org):
    waiting = make_org("cooperative", verified=False)
    make_org("cooperative", verified=False, rejected_at=waiting.created_at, rejection_reason="x")
    board = dashboard_for(admin)
    assert board["pending_organizations"] == 1


def test_a_document_over_5_mb_is_refused_in_spanish(app, db, make_user, instance):
    tech = make_user("technician")
    client = signed_in_client(app, tech)
    org = tech.organization
    response = client.post(
        "/organizacion",
        data={
            "name": org.name,
            "country": "PE",
            "tax_id": org.tax_id,
            "document": (io.BytesIO(b"%PDF-" + b"0" * (6 << 20)), "grande.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "El documento es demasiado grande: el máximo es 5 MB." in response.get_data(as_text=True)
    db.session.refresh(org)
    assert org.verified


def test_the_history_reads_the_review_in_spanish(app, db, admin, make_user, instance):
    tech = make_user("technician")
    org = tech.organization
    org.verified_at = None
    org_review.reject_organization(admin, org, "Documento ilegible")
    services.update_organization(tech, org, org.name, "PE", document=PDF, instance_path=instance)
    org_review.verify_organization(admin, org)
    page = (
        signed_in_client(app, admin).get(f"/admin/organizaciones/{org.id}").get_data(as_text=True)
    )
    for text in (
        "Rechazó la verificación de una organización",
        "Documento ilegible",
        "Envió un documento nuevo",
        "Volvió a revisión tras un rechazo",
        "Verificó una organización",
        "Número tributario",
    ):
        assert text in page, text


def test_the_admins_list_flags_lookalikes_and_sends_to_the_review(app, db, admin, make_org):
    make_org("cooperative", name=NAME)
    copy = make_org("cooperative", verified=False, name=NAME.upper() + " S.A.C.")
    alone = make_org("cooperative", verified=False, name="Asociación de Apicultores de Oxapampa")
    assert lookalikes.flagged([copy, alone]) == {copy.id}
    page = signed_in_client(app, admin).get("/admin/organizaciones?status=pending")
    text = page.get_data(as_text=True)
    assert text.count("Parecida a otra organización") == 1
    assert "Revisar para verificar" in text
    assert f'action="/admin/organizaciones/{copy.id}/verificar"' not in text
