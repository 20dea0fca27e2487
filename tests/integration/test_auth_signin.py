"""Sign-in that reveals nothing by its timing, limits that do not lock out a neighbour, and new
passwords that are not common nor the user's own identifiers."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from marketplace.auth import passwords, services
from marketplace.errors import DomainError
from tests.conftest import PASSWORD


def test_an_unknown_account_costs_a_password_check_too(db, make_user, monkeypatch):
    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(
        services, "check_password_hash", lambda h, p: checked.append(h) or real(h, p)
    )
    assert services.authenticate("nadie@example.org", "una-clave-cualquiera") is None
    assert services.authenticate("999 999 999", "una-clave-cualquiera") is None
    assert checked == [services.dummy_hash(), services.dummy_hash()]
    user = make_user(active=False)
    assert services.authenticate(user.email, PASSWORD) is None
    assert len(checked) == 3


def test_the_dummy_hash_costs_what_a_real_one_does():
    method = generate_password_hash("x").split("$")[0]
    assert services.dummy_hash().split("$")[0] == method


def _post(client, identifier, password="equivocada", address="10.0.0.1"):
    return client.post(
        "/ingresar",
        data={"identifier": identifier, "password": password},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


@pytest.fixture
def limited(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        MINKA_LOGIN_ACCOUNT_LIMIT="3 per minute",
        MINKA_LOGIN_LIMIT="6 per minute",
        MINKA_PASSWORD_CHECK_LIMIT="2 per minute",
        MINKA_SIGNUP_TAKEN_LIMIT="2 per hour",
    )
    return app.test_client()


def test_one_accounts_mistakes_do_not_lock_out_a_neighbour(limited, make_user):
    ana, beto = make_user(), make_user()
    assert [_post(limited, ana.email) for _ in range(4)] == [200, 200, 200, 429]
    # Beto, behind the same carrier address, still signs in.
    assert _post(limited, beto.email, PASSWORD) == 302
    # Ana's account is limited from any address, however the identifier is written.
    assert _post(limited, ana.email.upper(), address="10.0.0.2") == 429


def test_a_phone_typed_two_ways_is_one_account(limited, make_user):
    make_user(email=None, phone="+51987654321")
    statuses = [_post(limited, phone) for phone in ("987654321", "+51 987 654 321", "987-654-321")]
    assert statuses == [200, 200, 200]
    assert _post(limited, "+51987654321", address="10.0.0.9") == 429


def test_many_accounts_from_one_address_are_limited(limited):
    statuses = [_post(limited, f"persona{n}@example.org") for n in range(7)]
    assert statuses == [200] * 6 + [429]
    assert _post(limited, "otra@example.org", address="10.0.0.3") == 200


def test_the_current_password_cannot_be_guessed_without_limit(limited, make_user):
    user = make_user()
    assert _post(limited, user.email, PASSWORD) == 302
    data = {
        "current_password": "adivina",
        "password": "Nueva-Clave-81",
        "confirm": "Nueva-Clave-81",
    }
    statuses = [limited.post("/cuenta/clave", data=data).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def _sign_up(client, identifier, address="10.0.0.1"):
    data = {
        "name": "Rosa Quispe",
        "identifier": identifier,
        "country": "PE",
        "role": "producer",
        "password": "Cacao-de-altura-7",
        "confirm": "Cacao-de-altura-7",
    }
    response = client.post("/registro", data=data, environ_base={"REMOTE_ADDR": address})
    return response.status_code, response.get_data(as_text=True)


def test_asking_sign_up_whether_accounts_exist_is_limited_per_address(limited, make_user):
    # Other refusals (a phone that cannot be one) do not count.
    assert [_sign_up(limited, "12")[0] for _ in range(3)] == [200, 200, 200]
    taken = [make_user() for _ in range(3)]
    answers = [_sign_up(limited, user.email) for user in taken]
    assert [status for status, _ in answers] == [200, 200, 429]
    assert "ya tiene una cuenta: ingrese con su contraseña" in answers[0][1]
    assert _sign_up(limited, "nueva@example.org", address="10.0.0.5")[0] == 302


@pytest.mark.parametrize(
    "password", ["12345678", "password", "Password123", "qwerty2024", "Contraseña1", "teamo1234"]
)
def test_common_passwords_are_refused(password):
    assert passwords.problem(password) is not None


@pytest.mark.parametrize(
    ("password", "identifiers"),
    [
        ("rosa.quispe@example.org", ["rosa.quispe@example.org"]),
        ("xx-rosa.quispe-xx", ["rosa.quispe@example.org"]),
        ("mi987654321", ["+51987654321"]),
        ("RosaQuispe99", ["Rosa Quispe"]),
        ("quispe-del-campo", ["Rosa Quispe"]),
    ],
)
def test_passwords_made_of_the_users_identifiers_are_refused(password, identifiers):
    assert passwords.problem(password, identifiers) is not None


@pytest.mark.parametrize("password", ["clave-segura-123", "Nueva-Clave-81", "cacao fino de altura"])
def test_other_passwords_pass(password):
    assert passwords.problem(password, ["Ana Li", "ana@example.org", "+51987654321"]) is None


def test_sign_up_refuses_a_common_password_in_spanish(db):
    data = services.SignupData(
        name="Rosa Quispe",
        identifier="rosa@example.org",
        password="12345678",
        role="producer",
        country="PE",
    )
    with pytest.raises(DomainError) as error:
        services.sign_up(data)
    assert error.value.field == "password"
    assert "común" in str(error.value.message)


def test_change_password_refuses_the_users_phone(client, login, make_user):
    login(make_user(email=None, phone="+51912345678", name="Rosa Quispe"))
    response = client.post(
        "/cuenta/clave",
        data={"current_password": PASSWORD, "password": "912345678", "confirm": "912345678"},
    )
    assert response.status_code == 200
    assert "su correo, celular o nombre" in response.get_data(as_text=True)
