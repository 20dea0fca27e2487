"""Sessions end when they should: sign-out, a password change and deactivation end every
session and remember-me cookie of the account; remember-me expires after 30 days."""

from __future__ import annotations

import time

from marketplace import config
from marketplace.admin import services as admin_services
from tests.conftest import PASSWORD

REMEMBER = "remember_token"


def _sign_in(client, user, remember=False):
    data = {"identifier": user.login, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/ingresar", data=data)
    assert response.status_code == 302
    return client


def _copy(app, client):
    """Another device holding a copy of `client`'s cookies."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return thief


def _signed_in(client) -> bool:
    return client.get("/mis-datos").status_code == 200


def test_a_copied_session_stops_working_after_sign_out(app, make_user):
    owner = _sign_in(app.test_client(), make_user())
    thief = _copy(app, owner)
    assert _signed_in(thief)
    owner.post("/salir")
    assert not _signed_in(owner)
    assert not _signed_in(thief)


def test_a_copied_remember_me_cookie_stops_working_after_sign_out(app, make_user):
    owner = _sign_in(app.test_client(), make_user(), remember=True)
    thief = app.test_client()
    thief.set_cookie(REMEMBER, owner.get_cookie(REMEMBER).value)
    assert _signed_in(thief)
    owner.post("/salir")
    fresh = app.test_client()
    fresh.set_cookie(REMEMBER, thief.get_cookie(REMEMBER).value)
    assert not _signed_in(fresh)


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app, make_user):
    owner = _sign_in(app.test_client(), make_user(), remember=True)
    thief = _copy(app, owner)
    remembered = app.test_client()
    remembered.set_cookie(REMEMBER, owner.get_cookie(REMEMBER).value)
    response = owner.post(
        "/cuenta/clave",
        data={
            "current_password": PASSWORD,
            "password": "Nueva-Clave-81",
            "confirm": "Nueva-Clave-81",
        },
    )
    assert response.status_code == 302
    assert _signed_in(owner)
    assert not _signed_in(thief)
    assert not _signed_in(remembered)


def test_deactivation_ends_the_sessions_even_after_reactivation(app, db, make_user):
    admin = make_user("admin")
    user = make_user()
    device = _sign_in(app.test_client(), user, remember=True)
    admin_services.set_user_active(admin, user, False)
    assert not _signed_in(device)
    admin_services.set_user_active(admin, user, True)
    assert not _signed_in(device)
    assert not _signed_in(_copy(app, device))


def test_remember_me_older_than_30_days_is_refused(app, make_user, monkeypatch):
    user = make_user()
    signed_at = time.time()
    monkeypatch.setattr(time, "time", lambda: signed_at)
    device = _sign_in(app.test_client(), user, remember=True)
    cookie = device.get_cookie(REMEMBER).value
    later = app.test_client()
    later.set_cookie(REMEMBER, cookie)
    monkeypatch.setattr(time, "time", lambda: signed_at + 29 * 86400)
    assert _signed_in(later)
    too_late = app.test_client()
    too_late.set_cookie(REMEMBER, cookie)
    monkeypatch.setattr(time, "time", lambda: signed_at + 31 * 86400)
    assert not _signed_in(too_late)


def test_a_session_from_before_versions_is_refused(app, make_user):
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not _signed_in(client)


def test_production_cookies_are_secure_http_only_and_lax(monkeypatch):
    monkeypatch.setenv("MINKA_SECRET_KEY", "x" * 32)
    settings = config.load({"MINKA_ENV": "production"})
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["REMEMBER_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert settings["REMEMBER_COOKIE_DURATION"].days == 30
    development = config.load({"MINKA_ENV": "development", "SECRET_KEY": "dev"})
    assert not development["SESSION_COOKIE_SECURE"]
    assert not development["REMEMBER_COOKIE_SECURE"]
