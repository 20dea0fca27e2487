"""Admin: verifying and suspending organizations, deactivating accounts, the audit log."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask_babel import force_locale
from sqlalchemy import event, select

from marketplace import audit
from marketplace.admin import org_review, services
from marketplace.errors import DomainError
from marketplace.models import AuditLog, MatchingRun, Organization, Role, User
from marketplace.models.base import utcnow
from tests.conftest import PASSWORD

NON_ADMIN_ROLES = [str(role) for role in Role if role != Role.ADMIN]

# Every admin URL: (method, path); {org} and {user} are filled with real ids.
ADMIN_URLS = [
    ("GET", "/admin/usuarios"),
    ("GET", "/admin/usuarios?q=ana&role=buyer&page=2"),
    ("POST", "/admin/usuarios/{user}/desactivar"),
    ("POST", "/admin/usuarios/{user}/reactivar"),
    ("GET", "/admin/organizaciones"),
    ("GET", "/admin/organizaciones?status=pending&kind=buyer&country=PE"),
    ("GET", "/admin/organizaciones/{org}"),
    ("POST", "/admin/organizaciones/{org}/verificar"),
    ("POST", "/admin/organizaciones/{org}/rechazar"),
    ("POST", "/admin/organizaciones/{org}/suspender"),
    ("POST", "/admin/organizaciones/{org}/reincorporar"),
    ("GET", "/admin/auditoria"),
    ("GET", "/admin/auditoria?action=organization.&actor=ana"),
    ("GET", "/admin/emparejamiento"),
    ("GET", "/admin/emparejamiento?page=2"),
    ("POST", "/admin/emparejamiento/iniciar"),
    ("GET", "/admin/emparejamiento/corridas/{run}"),
    ("GET", "/admin/matching/runs/{run}/progress"),
]


@contextmanager
def count_queries(db):
    """Collect the SQL statements the engine runs inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def audit_rows(db, action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.fixture
def admin(make_user) -> User:
    return make_user("admin", name="Ana Administradora")


@pytest.fixture
def as_admin(admin, login):
    return login(admin)


# -- Services ----------------------------------------------------------------------------------


def test_verify_organization_sets_verified_and_audits(db, admin, make_org):
    org = make_org("buyer", verified=False)

    org_review.verify_organization(admin, org)

    assert org.verified and org.can_publish
    (row,) = audit_rows(db, "organization.verified")
    assert (row.actor_id, row.entity_type, row.entity_id) == (admin.id, "organization", org.id)
    assert row.detail == {"name": org.name, "tax_id": org.tax_id}


def test_verifying_twice_is_refused(admin, make_org):
    org = make_org("buyer", verified=True)
    with pytest.raises(DomainError):
        org_review.verify_organization(admin, org)


def test_verifying_a_suspended_organization_is_refused(admin, make_org):
    org = make_org("buyer", verified=False, suspended_at=utcnow())
    with pytest.raises(DomainError):
        org_review.verify_organization(admin, org)
    assert not org.verified


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_suspending_needs_a_reason(db, admin, make_org, reason):
    org = make_org("supplier")
    with pytest.raises(DomainError) as caught:
        org_review.suspend_organization(admin, org, reason)
    assert caught.value.field == "reason"
    assert not org.suspended
    assert audit_rows(db, "organization.suspended") == []


def test_suspend_then_reinstate(db, admin, make_org):
    org = make_org("supplier", verified=True)

    org_review.suspend_organization(admin, org, "  Documentos falsos  ")
    assert org.suspended and not org.can_publish
    (row,) = audit_rows(db, "organization.suspended")
    assert row.detail == {"reason": "Documentos falsos"}

    with pytest.raises(DomainError):
        org_review.suspend_organization(admin, org, "otra vez")

    org_review.reinstate_organization(admin, org)
    assert not org.suspended and org.can_publish  # keeps its verification
    assert len(audit_rows(db, "organization.reinstated")) == 1

    with pytest.raises(DomainError):
        org_review.reinstate_organization(admin, org)


def test_too_long_reason_is_refused(admin, make_org):
    org = make_org("supplier")
    with pytest.raises(DomainError):
        org_review.suspend_organization(admin, org, "x" * (org_review.MAX_REASON + 1))


def test_deactivate_and_reactivate_user(db, admin, make_user):
    user = make_user("buyer")

    services.set_user_active(admin, user, False)
    assert not user.active
    (row,) = audit_rows(db, "user.deactivated")
    assert (row.actor_id, row.entity_type, row.entity_id) == (admin.id, "user", user.id)

    with pytest.raises(DomainError):
        services.set_user_active(admin, user, False)

    services.set_user_active(admin, user, True)
    assert user.active
    assert len(audit_rows(db, "user.reactivated")) == 1


def test_admin_cannot_deactivate_themself(db, admin):
    with pytest.raises(DomainError):
        services.set_user_active(admin, admin, False)
    db.session.refresh(admin)
    assert admin.active
    assert audit_rows(db, "user.deactivated") == []


def test_users_page_search_and_role(make_user):
    rosa = make_user("supplier", name="Rosa Quispe", email="rosa@coop.pe")
    juan = make_user("buyer", name="Juan Pérez", email=None, phone="+51987654321")
    make_user("lender", name="Otro", email="otro@caja.pe")

    def names(**kwargs):
        return {u.name for u in services.users_page(**kwargs).items}

    assert names(search="rosa") == {rosa.name}
    assert names(search="COOP.PE") == {rosa.name}
    assert names(search="987 654 321") == {juan.name}
    assert names(role="buyer") == {juan.name}
    assert names(search="rosa", role="buyer") == set()
    assert names(search="100%") == set()  # wildcards are literal
    assert len(names(role="not-a-role")) == 3  # unknown filter values are ignored


def test_organizations_page_filters(make_org):
    pending = make_org("buyer", verified=False, name="Chocolates Andinos", country="PE")
    verified = make_org("supplier", verified=True, name="Insumos del Norte", country="CO")
    suspended = make_org("lender", verified=True, suspended_at=utcnow(), name="Caja Sur")

    def names(**kwargs):
        return {o.name for o in services.organizations_page(**kwargs).items}

    assert names(status="pending") == {pending.name}
    assert names(status="verified") == {verified.name}
    assert names(status="suspended") == {suspended.name}
    assert names(kind="supplier") == {verified.name}
    assert names(country="CO") == {verified.name}
    assert names(search="andinos") == {pending.name}
    assert names(search=verified.join_code.lower()) == {verified.name}
    assert names(status="pending", kind="supplier") == set()
    assert len(names(status="bogus", kind="bogus", country="XX")) == 3


def test_member_counts_in_one_grouped_query(db, make_org, make_user):
    coop, empty = make_org("cooperative"), make_org("buyer")
    make_user("technician", organization=coop)
    make_user("technician", organization=coop)
    expected = {coop.id: 2, empty.id: 0}  # loads the expired ids before counting
    with count_queries(db) as statements:
        counts = services.member_counts([coop, empty])
    assert counts == expected
    assert len(statements) == 1


def test_audit_page_filters_by_prefix_and_actor(db, admin, make_user, make_org):
    other = make_user("buyer", name="Beto Comprador")
    org = make_org("buyer", verified=False)
    org_review.verify_organization(admin, org)
    services.set_user_active(admin, other, False)
    audit.record(other, "consent.granted", other)
    db.session.commit()

    def actions(**kwargs):
        return [row.action for row in services.audit_page(**kwargs).items]

    assert actions(action="organization.") == ["organization.verified"]
    assert actions(actor="beto") == ["consent.granted"]
    assert actions(actor_id=admin.id) == ["user.deactivated", "organization.verified"]
    assert actions() == ["consent.granted", "user.deactivated", "organization.verified"]


def test_action_labels():
    assert services.action_label("organization.suspended") == "Suspendió una organización"
    assert services.action_label("widget.frobbed") == "widget.frobbed"
    assert "organization." in services.action_prefixes()
    detail = {
        "reason": "x",
        "fields": ["a", "b"],
        "other": 1,
        "changes": {"name": ["Viejo", "Nuevo"]},
        "verification_reset": True,
    }
    assert services.detail_items(detail) == [
        ("Motivo", "x"),
        ("Datos", "a, b"),
        ("other", "1"),
        ("Cambios", "Nombre: Viejo → Nuevo"),
        ("Volvió a pendiente de verificación", "Sí"),
    ]


def test_audit_details_show_amounts_in_their_currency_and_record_ids_as_numbers(app):
    detail = {
        "repayment": 12345,
        "delivery": "ENT-PE-001234",
        "amount_minor": 218253,
        "owed_before_minor": 730000,
        "currency": "PEN",
        "n_producers": 5000,
    }
    with app.test_request_context(), force_locale("es_PE"):
        shown = services.detail_items(detail)
    assert shown == [
        ("repayment", "#12345"),
        ("delivery", "ENT-PE-001234"),
        ("Monto", "S/\u00a02,182.53"),
        ("Saldo adeudado antes", "S/\u00a07,300.00"),
        ("currency", "PEN"),
        ("Productores evaluados", "5,000"),
    ]


# -- Views -------------------------------------------------------------------------------------


def test_verify_flow_through_the_pages(db, as_admin, admin, make_org):
    org = make_org("buyer", verified=False, name="Cacao Alto")

    page = as_admin.get("/admin/organizaciones?status=pending")
    assert page.status_code == 200
    assert "Cacao Alto" in page.get_data(as_text=True)

    response = as_admin.post(f"/admin/organizaciones/{org.id}/verificar")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/organizaciones/{org.id}"
    db.session.refresh(org)
    assert org.verified

    detail = as_admin.get(f"/admin/organizaciones/{org.id}").get_data(as_text=True)
    assert "Verificada" in detail
    assert "Verificó una organización" in detail
    assert admin.name in detail


def test_action_returns_to_the_list_it_came_from(db, as_admin, make_org):
    org = make_org("buyer", verified=False)
    back = "/admin/organizaciones?status=pending"
    response = as_admin.post(f"/admin/organizaciones/{org.id}/verificar", data={"next": back})
    assert response.headers["Location"] == back
    response = as_admin.post(
        f"/admin/organizaciones/{org.id}/suspender",
        data={"reason": "x", "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == f"/admin/organizaciones/{org.id}"


def test_verifying_twice_flashes_an_error(db, as_admin, make_org):
    org = make_org("buyer", verified=True)
    response = as_admin.post(f"/admin/organizaciones/{org.id}/verificar", follow_redirects=True)
    assert response.status_code == 200
    assert "ya está verificada" in response.get_data(as_text=True)
    assert audit_rows(db, "organization.verified") == []


def test_suspend_and_reinstate_through_the_pages(db, as_admin, make_org):
    org = make_org("supplier", verified=True, name="Agroinsumos")

    response = as_admin.post(
        f"/admin/organizaciones/{org.id}/suspender", data={"reason": ""}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Escriba el motivo de la suspensión." in response.get_data(as_text=True)
    db.session.refresh(org)
    assert not org.suspended

    response = as_admin.post(
        f"/admin/organizaciones/{org.id}/suspender",
        data={"reason": "Reclamos de productores"},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Suspendida" in text and "Reclamos de productores" in text
    db.session.refresh(org)
    assert org.suspended
    assert (
        as_admin.get("/admin/organizaciones?status=suspended")
        .get_data(as_text=True)
        .count("Agroinsumos")
    )

    as_admin.post(f"/admin/organizaciones/{org.id}/reincorporar")
    db.session.refresh(org)
    assert not org.suspended
    assert len(audit_rows(db, "organization.reinstated")) == 1


def test_organization_filters_and_search_in_the_page(as_admin, make_org):
    make_org("buyer", verified=False, name="Chocolates Andinos")
    make_org("supplier", verified=True, name="Insumos del Norte", country="CO")

    def page(query):
        return as_admin.get(f"/admin/organizaciones?{query}").get_data(as_text=True)

    assert "Chocolates Andinos" in page("q=andin")
    assert "Insumos del Norte" not in page("q=andin")
    assert "Insumos del Norte" in page("country=CO")
    assert "Chocolates Andinos" not in page("country=CO")
    assert "Chocolates Andinos" in page("kind=buyer&status=pending")
    assert "Ninguna organización coincide" in page("kind=lender")


def test_users_page_lists_and_filters(as_admin, make_user):
    make_user("supplier", name="Rosa Quispe")
    make_user("buyer", name="Juan Pérez")
    text = as_admin.get("/admin/usuarios?role=supplier").get_data(as_text=True)
    assert "Rosa Quispe" in text and "Juan Pérez" not in text
    text = as_admin.get("/admin/usuarios?q=juan").get_data(as_text=True)
    assert "Juan Pérez" in text and "Rosa Quispe" not in text


def test_deactivated_user_cannot_sign_in(app, db, as_admin, make_user):
    user = make_user("buyer")
    response = as_admin.post(f"/admin/usuarios/{user.id}/desactivar")
    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.active
    assert len(audit_rows(db, "user.deactivated")) == 1

    other = app.test_client()
    response = other.post("/ingresar", data={"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "no son correctos" in response.get_data(as_text=True)

    as_admin.post(f"/admin/usuarios/{user.id}/reactivar")
    response = other.post("/ingresar", data={"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_admin_cannot_deactivate_themself_through_the_page(db, as_admin, admin):
    response = as_admin.post(f"/admin/usuarios/{admin.id}/desactivar", follow_redirects=True)
    assert response.status_code == 200
    assert "No puede desactivar su propia cuenta." in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active


def test_audit_log_page(db, as_admin, admin, make_org):
    org = make_org("buyer", verified=False)
    org_review.verify_organization(admin, org)
    audit.record(admin, "widget.frobbed", org, colour="verde")
    db.session.commit()

    text = as_admin.get("/admin/auditoria").get_data(as_text=True)
    assert "Verificó una organización" in text
    assert "widget.frobbed" in text and "colour" in text and "verde" in text
    assert text.index("widget.frobbed") < text.index("Verificó una organización")  # newest first

    text = as_admin.get("/admin/auditoria?action=widget.").get_data(as_text=True)
    assert "widget.frobbed" in text and "Verificó una organización" not in text
    text = as_admin.get(f"/admin/auditoria?actor_id={admin.id}").get_data(as_text=True)
    assert "Solo las acciones de Ana Administradora" in text


def test_a_long_audit_log_is_counted_up_to_a_cap(db, as_admin, admin, monkeypatch):
    # A million producers' world has 3 million entries: count(*) cost more than the page.
    from marketplace.admin import services as admin_services

    for n in range(4):
        audit.record(admin, "widget.frobbed", admin, n=n)
    db.session.commit()
    text = as_admin.get("/admin/auditoria?action=widget.").get_data(as_text=True)
    assert "4 acciones registradas" in text
    monkeypatch.setattr(admin_services, "AUDIT_COUNT_CAP", 3)
    text = as_admin.get("/admin/auditoria?action=widget.").get_data(as_text=True)
    assert "Más de 3 acciones registradas: filtre por acción" in text
    page = admin_services.audit_page("widget.", page=1)
    assert (page.total, page.capped, len(page.items)) == (3, True, 4)
    with count_queries(db) as found:
        admin_services.audit_page("widget.", page=1)
    assert any("LIMIT" in s.upper() and "count(" in s.lower() for s in found)


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/admin/organizaciones/999999"),
        ("POST", "/admin/organizaciones/999999/verificar"),
        ("POST", "/admin/organizaciones/999999/suspender"),
        ("POST", "/admin/organizaciones/999999/reincorporar"),
        ("POST", "/admin/usuarios/999999/desactivar"),
        ("POST", "/admin/usuarios/999999/reactivar"),
        ("GET", "/admin/emparejamiento/corridas/999999"),
        ("GET", "/admin/matching/runs/999999/progress"),
    ],
)
def test_unknown_ids_are_404(as_admin, method, path):
    assert as_admin.open(path, method=method).status_code == 404


# -- Permissions -------------------------------------------------------------------------------


@pytest.fixture
def targets(db, make_org, make_user) -> dict[str, int]:
    org = make_org("buyer", verified=False)
    user = make_user("buyer", organization=org)
    run = MatchingRun(status="succeeded", backend="cli", metrics={"n_producers": 0})
    db.session.add(run)
    db.session.commit()
    return {"org": org.id, "user": user.id, "run": run.id}


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
@pytest.mark.parametrize("method,path", ADMIN_URLS)
def test_other_roles_get_403(db, make_user, login, targets, role, method, path):
    client = login(make_user(role))
    response = client.open(path.format(**targets), method=method, data={"reason": "x"})
    assert response.status_code == 403
    org = db.session.get(Organization, targets["org"])
    assert not org.verified and not org.suspended
    assert db.session.scalars(select(MatchingRun.id)).all() == [targets["run"]]


@pytest.mark.parametrize("method,path", ADMIN_URLS)
def test_anonymous_is_sent_to_sign_in(client, targets, method, path):
    response = client.open(path.format(**targets), method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/ingresar")


# -- Query counts ------------------------------------------------------------------------------


def _populate(make_org, make_user, count: int) -> None:
    for n in range(count):
        org = make_org("cooperative", verified=n % 2 == 0)
        make_user("technician", organization=org)


@pytest.mark.parametrize("path", ["/admin/organizaciones", "/admin/usuarios", "/admin/auditoria"])
def test_lists_run_a_constant_number_of_queries(db, as_admin, admin, make_org, make_user, path):
    admin_id = admin.id

    def queries_for(count: int) -> int:
        _populate(make_org, make_user, count)
        actor = db.session.get(User, admin_id)
        for org in db.session.scalars(select(Organization)):
            audit.record(actor, "organization.created", org)
        for user in db.session.scalars(select(User)):  # many distinct actors
            audit.record(user, "user.password_changed", user)
        db.session.commit()
        db.session.expunge_all()
        with count_queries(db) as statements:
            assert as_admin.get(path).status_code == 200
        return len(statements)

    few = queries_for(3)
    many = queries_for(30)  # 33 rows: more than a page
    assert few == many


def test_deactivation_ends_open_sessions(app, as_admin, make_user):
    """Flask-Login's UserMixin.is_authenticated follows is_active, so open sessions end too."""
    user = make_user("buyer")
    user_client = app.test_client()
    user_client.post("/ingresar", data={"identifier": user.email, "password": PASSWORD})
    assert user_client.get("/organizacion").status_code == 200

    as_admin.post(f"/admin/usuarios/{user.id}/desactivar")

    response = user_client.get("/organizacion")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/ingresar")
