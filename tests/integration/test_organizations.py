"""My organization: what members see, and editing the name and country."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.models import AuditLog, Role
from marketplace.models.base import utcnow
from marketplace.organizations import services
from tests.conftest import PASSWORD

MEMBER_ROLES = ["supplier", "buyer", "lender", "technician"]
PENDING_TEXT = (
    "Pendiente de verificación: un administrador de Minka revisará sus datos. "
    "Mientras tanto puede preparar borradores, pero no publicar."
)


def updates(db) -> list[AuditLog]:
    return list(
        db.session.scalars(select(AuditLog).where(AuditLog.action == "organization.updated"))
    )


# -- Services ----------------------------------------------------------------------------------


def test_renaming_a_verified_organization_sends_it_back_to_review(db, make_user):
    user = make_user("buyer")
    org = user.organization
    old_name = org.name
    assert org.verified

    change = services.update_organization(user, org, "  Cacao   del Valle ", "PE")

    assert change == services.OrganizationChange(("name",), True)
    assert org.name == "Cacao del Valle"
    assert not org.verified and not org.can_publish
    (row,) = updates(db)
    assert row.actor_id == user.id and row.entity_id == org.id
    assert row.detail == {
        "changes": {"name": [old_name, "Cacao del Valle"]},
        "document": False,
        "verification_reset": True,
        "resubmitted": False,
    }


def test_editing_a_pending_organization_keeps_it_pending(db, make_org, make_user):
    org = make_org("supplier", verified=False)
    user = make_user("supplier", organization=org)
    change = services.update_organization(user, org, org.name, "MX", tax_id="CFE370814QI0")
    assert change == services.OrganizationChange(("country", "tax_id"), False)
    assert org.country == "MX" and not org.verified
    assert len(updates(db)) == 1


def test_changing_the_country_of_a_verified_organization_also_resets_it(make_user):
    user = make_user("lender")
    org = user.organization
    change = services.update_organization(user, org, org.name, "CO", tax_id="800197268-4")
    assert change.verification_reset
    assert not user.organization.verified


def test_no_change_records_nothing(db, make_user):
    user = make_user("buyer")
    org = user.organization
    change = services.update_organization(user, org, org.name, org.country)
    assert change == services.OrganizationChange((), False)
    assert org.verified
    assert updates(db) == []


@pytest.mark.parametrize(
    "name,country,field",
    [("", "PE", "name"), ("   ", "PE", "name"), ("x" * 161, "PE", "name"), ("Ok", "XX", "country")],
)
def test_invalid_edits_are_refused(make_user, name, country, field):
    user = make_user("buyer")
    with pytest.raises(DomainError) as caught:
        services.update_organization(user, user.organization, name, country)
    assert caught.value.field == field


def test_only_members_may_edit(make_user):
    member = make_user("buyer")
    outsider = make_user("buyer")
    with pytest.raises(DomainError):
        services.update_organization(outsider, member.organization, "Robada", "PE")
    assert member.organization.name != "Robada"


def test_members_lists_active_members_only(make_org, make_user):
    org = make_org("cooperative")
    ana = make_user("technician", organization=org, name="Ana")
    make_user("technician", organization=org, name="Beto", active=False)
    make_user("technician", name="De otra cooperativa")
    assert services.members(org) == [ana]


# -- Views -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_members_see_their_organization(make_user, login, role):
    user = make_user(role)
    colleague = make_user(role, organization=user.organization, name="Colega Uno")
    make_user(role, name="Persona Ajena")

    response = login(user).get("/organizacion")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert user.organization.name in text
    assert user.organization.join_code in text
    assert "al crear su cuenta" in text
    assert colleague.name in text and "Persona Ajena" not in text
    assert "Verificada" in text
    assert 'name="name"' in text and 'name="country"' in text


def test_pending_and_suspended_status_texts(db, make_org, make_user, login, client):
    pending = make_org("buyer", verified=False)
    login(make_user("buyer", organization=pending))
    assert PENDING_TEXT in client.get("/organizacion").get_data(as_text=True)

    pending.suspended_at = utcnow()
    db.session.commit()
    text = client.get("/organizacion").get_data(as_text=True)
    assert "Suspendida" in text and PENDING_TEXT not in text


def test_member_without_organization_gets_a_friendly_page(make_user, login):
    user = make_user("supplier", organization=None)
    client = login(user)
    response = client.get("/organizacion")
    assert response.status_code == 200
    assert "todavía no pertenece a ninguna organización" in response.get_data(as_text=True)
    assert client.post("/organizacion", data={"name": "x"}).status_code == 200


@pytest.mark.parametrize("role", [Role.PRODUCER, Role.ADMIN])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_other_roles_get_403(make_user, login, role, method):
    client = login(make_user(str(role)))
    assert client.open("/organizacion", method=method).status_code == 403


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_anonymous_is_sent_to_sign_in(client, method):
    response = client.open("/organizacion", method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/ingresar")


def test_renaming_through_the_page(db, make_user, login):
    user = make_user("technician")
    client = login(user)

    response = client.post(
        "/organizacion",
        data={"name": "Cooperativa Nueva", "country": "PE", "tax_id": user.organization.tax_id},
        follow_redirects=True,
    )

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "volverá a verificarla" in text
    assert PENDING_TEXT in text
    db.session.refresh(user.organization)
    assert user.organization.name == "Cooperativa Nueva"
    assert not user.organization.verified
    assert len(updates(db)) == 1


def test_renamed_organization_shows_up_as_pending_for_admins(make_user, login, app):
    user = make_user("buyer")
    login(user).post(
        "/organizacion",
        data={"name": "Nombre Cambiado", "country": "PE", "tax_id": user.organization.tax_id},
    )
    admin_client = app.test_client()
    admin = make_user("admin")
    admin_client.post("/ingresar", data={"identifier": admin.email, "password": PASSWORD})
    text = admin_client.get("/admin/organizaciones?status=pending").get_data(as_text=True)
    assert "Nombre Cambiado" in text


def test_invalid_edit_shows_errors_and_changes_nothing(db, make_user, login):
    user = make_user("buyer")
    name = user.organization.name
    response = login(user).post("/organizacion", data={"name": "", "country": "PE"})
    assert response.status_code == 200
    assert "Este dato es obligatorio." in response.get_data(as_text=True)
    db.session.refresh(user.organization)
    assert user.organization.name == name
    assert updates(db) == []


def test_saving_without_changes_says_so(db, make_user, login):
    user = make_user("buyer")
    org = user.organization
    response = login(user).post(
        "/organizacion",
        data={"name": org.name, "country": org.country, "tax_id": org.tax_id},
        follow_redirects=True,
    )
    assert "No hubo cambios que guardar." in response.get_data(as_text=True)
    assert updates(db) == []
