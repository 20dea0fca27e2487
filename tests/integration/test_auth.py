"""Sign-up, sign-in, sign-out and passwords, through the services and the pages."""

import pytest
from sqlalchemy import select

from marketplace.auth import services
from marketplace.errors import DomainError
from marketplace.models import AuditLog, Organization, User
from tests.conftest import PASSWORD


def signup_data(**overrides) -> services.SignupData:
    values = {
        "name": "Rosa Quispe",
        "identifier": "987 654 321",
        "password": "clave-segura",
        "role": "producer",
        "country": "PE",
    }
    values.update(overrides)
    return services.SignupData(**values)


def test_producer_signs_up_with_a_phone(db):
    user = services.sign_up(signup_data())
    assert user.phone == "+51987654321"
    assert user.email is None
    assert user.password_hash != "clave-segura"
    assert user.check_password("clave-segura")
    assert user.organization is None
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.entity_id == user.id))


def test_duplicate_phone_or_email_is_refused(db):
    services.sign_up(signup_data())
    with pytest.raises(DomainError) as error:
        services.sign_up(signup_data(identifier="+51 987 654 321"))
    assert error.value.field == "identifier"
    services.sign_up(signup_data(identifier="Rosa@Example.org"))
    with pytest.raises(DomainError):
        services.sign_up(signup_data(identifier="rosa@example.org"))


def test_supplier_founds_an_unverified_organization(db):
    user = services.sign_up(
        signup_data(
            identifier="ventas@agro.pe",
            role="supplier",
            organization_name="Agroveterinaria El Sol",
            organization_kind="supplier",
            organization_tax_id="20100070970",
        )
    )
    assert user.organization.name == "Agroveterinaria El Sol"
    assert user.organization.tax_id == "20100070970"
    assert not user.organization.verified
    assert not user.organization.can_publish
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["user.signed_up", "organization.created"]


def test_colleague_joins_with_the_code(db, make_org):
    coop = make_org("cooperative")
    user = services.sign_up(
        signup_data(identifier="tec@coop.pe", role="technician", join_code=coop.join_code.lower())
    )
    assert user.organization_id == coop.id
    assert db.session.scalar(select(Organization.id).where(Organization.id != coop.id)) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"role": "technician"}, "organization_name"),
        ({"role": "technician", "join_code": "NOPE"}, "join_code"),
        (
            {"role": "lender", "organization_name": "Caja", "organization_kind": "buyer"},
            "organization_kind",
        ),
        (
            {"role": "technician", "organization_name": "Coop", "organization_kind": "cooperative"},
            "organization_tax_id",
        ),
        (
            {
                "role": "technician",
                "organization_name": "Coop",
                "organization_kind": "cooperative",
                "organization_tax_id": "20100070971",
            },
            "organization_tax_id",
        ),
        ({"identifier": "hola"}, "identifier"),
    ],
)
def test_sign_up_refusals_name_the_field(db, overrides, field):
    with pytest.raises(DomainError) as error:
        services.sign_up(signup_data(identifier=overrides.pop("identifier", "x@y.pe"), **overrides))
    assert error.value.field == field
    assert db.session.scalar(select(User.id)) is None


def test_code_of_an_organization_of_another_kind_is_refused(db, make_org):
    lender = make_org("lender")
    with pytest.raises(DomainError) as error:
        services.sign_up(
            signup_data(identifier="t@c.pe", role="technician", join_code=lender.join_code)
        )
    assert error.value.field == "join_code"


def test_sign_in_with_email_or_local_phone(db, make_user):
    user = make_user(email=None, phone="+51987654321")
    assert services.authenticate("987654321", PASSWORD) == user
    assert services.authenticate("+51 987 654 321", PASSWORD) == user
    assert services.authenticate("987654321", "wrong") is None
    other = make_user(email="ana@example.org")
    assert services.authenticate(" Ana@Example.org ", PASSWORD) == other


def test_inactive_user_cannot_sign_in(db, make_user):
    user = make_user(active=False)
    assert services.authenticate(user.email, PASSWORD) is None


def test_signup_page_creates_account_and_signs_in(client, db):
    response = client.post(
        "/registro",
        data={
            "name": "Rosa",
            "identifier": "rosa@example.org",
            "country": "PE",
            "role": "producer",
            "password": "clave-segura",
            "confirm": "clave-segura",
        },
    )
    assert response.status_code == 302
    assert "Hola, Rosa" in client.get("/").get_data(as_text=True)


def test_signup_page_keeps_input_and_explains_in_spanish(client, db):
    response = client.post(
        "/registro",
        data={
            "name": "Rosa Quispe",
            "identifier": "rosa@example.org",
            "country": "PE",
            "role": "producer",
            "password": "clave-segura",
            "confirm": "otra-clave",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Las contraseñas no coinciden." in page
    assert 'value="Rosa Quispe"' in page
    assert 'value="rosa@example.org"' in page


def test_wrong_password_says_so_without_revealing_which(client, make_user):
    user = make_user()
    response = client.post("/ingresar", data={"identifier": user.email, "password": "nope"})
    assert response.status_code == 200
    assert "no son correctos" in response.get_data(as_text=True)
    response = client.post("/ingresar", data={"identifier": "nobody@x.pe", "password": "nope"})
    assert "no son correctos" in response.get_data(as_text=True)


def test_login_redirects_only_to_local_next(client, make_user):
    user = make_user()
    response = client.post(
        "/ingresar?next=https://evil.example/",
        data={"identifier": user.email, "password": PASSWORD},
    )
    assert response.location == "/"


def test_logout_is_a_post(client, login, make_user):
    login(make_user())
    assert client.get("/salir").status_code == 405
    assert client.post("/salir").status_code == 302
    assert client.get("/mis-datos").status_code == 302


def test_change_password(client, login, make_user, db):
    user = make_user()
    login(user)
    response = client.post(
        "/cuenta/clave",
        data={"current_password": "wrong", "password": "nueva-clave-1", "confirm": "nueva-clave-1"},
    )
    assert "La contraseña actual no es correcta." in response.get_data(as_text=True)
    response = client.post(
        "/cuenta/clave",
        data={
            "current_password": PASSWORD,
            "password": "nueva-clave-1",
            "confirm": "nueva-clave-1",
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password("nueva-clave-1")


def test_short_password_is_refused(client, login, make_user):
    login(make_user())
    response = client.post(
        "/cuenta/clave", data={"current_password": PASSWORD, "password": "abc", "confirm": "abc"}
    )
    assert "al menos 8 caracteres" in response.get_data(as_text=True)
