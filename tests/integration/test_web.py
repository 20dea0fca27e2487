"""Cross-cutting behaviour: language choice, CSRF, rate limits, error pages, page weight."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.config import ConfigError, load
from tests.conftest import PASSWORD


def test_home_is_spanish_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "productoras y productores" in page


def test_accept_language_then_lang_parameter(client):
    english = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    spanish = client.get("/?lang=es", headers={"Accept-Language": "en-US"})
    assert '<html lang="es">' in spanish.get_data(as_text=True)
    # the choice sticks for the session
    assert '<html lang="es">' in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_language_switch_saves_the_users_preference(client, login, make_user, db):
    user = make_user()
    login(user)
    response = client.post("/idioma?next=/cuenta/clave", data={"lang": "en"})
    assert response.location == "/cuenta/clave"
    db.session.refresh(user)
    assert user.locale == "en"
    # the saved preference wins over ?lang=
    assert '<html lang="en">' in client.get("/?lang=es").get_data(as_text=True)


def test_unknown_language_is_a_400(client):
    assert client.post("/idioma", data={"lang": "fr"}).status_code == 400


def test_english_pages_are_translated(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Create a free account" in page


def test_templates_translate_in_the_locale_in_force(app):
    """Templates find their translations by locale (i18n): force_locale still wins."""
    template = app.jinja_env.from_string(
        "{{ _('Catálogo') }} · "
        "{{ ngettext('atiende %(num)s región', 'atiende %(num)s regiones', 2) }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert template.render() == "Catalogue · serves 2 regions"
        with force_locale("es"):
            assert template.render() == "Catálogo · atiende 2 regiones"
        assert template.render() == "Catalogue · serves 2 regions"


@pytest.fixture
def csrf_client(make_app):
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def test_forms_without_csrf_token_are_refused(csrf_client, make_user):
    user = make_user()
    response = csrf_client.post("/ingresar", data={"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "formulario caducó" in response.get_data(as_text=True)


def test_login_is_rate_limited(make_app):
    client = make_app(RATELIMIT_ENABLED=True, MINKA_LOGIN_LIMIT="3 per minute").test_client()
    statuses = [
        client.post("/ingresar", data={"identifier": "x@y.pe", "password": "nope"}).status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    assert "Demasiados intentos" in client.post("/ingresar", data={}).get_data(as_text=True)


def test_error_pages_are_html_or_json(client):
    response = client.get("/no-existe")
    assert response.status_code == 404 and "No encontramos esta página" in response.get_data(
        as_text=True
    )
    api = client.get("/api/gazetteer/districts?country=PE&region=Atlantis")
    assert api.status_code == 404 and api.json["error"]


def test_security_headers(client):
    headers = client.get("/").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "data",
    [
        {"total_ha": "mucho", "productive_ha": "1e999", "forest_ha": "NaN", "lat": "x"},
        {"country": "ZZ", "region": "<script>", "district_code": "../../etc"},
        {"certifications": ["gold"], "value_chain": "coca", "cleared_after_cutoff": "maybe"},
    ],
)
def test_garbage_in_the_farm_form_never_gives_a_500(client, login, make_user, make_producer, data):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    login(user)
    response = client.post(f"/productores/{producer.id}/fincas/nueva", data=data)
    assert response.status_code == 200
    assert "Revise los datos marcados" in response.get_data(as_text=True)


def test_typical_pages_are_small(client, login, make_user, make_producer, make_farm):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    make_farm(producer)
    login(user)
    with client.get("/static/minka.css") as response:
        css = response.data
    for url in ("/", f"/productores/{producer.id}", f"/productores/{producer.id}/fincas/nueva"):
        size = len(client.get(url).data) + len(css)
        assert size < 60_000, f"{url}: {size} bytes with its stylesheet"


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    monkeypatch.delenv("MINKA_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="MINKA_SECRET_KEY"):
        load({"MINKA_ENV": "production"})


def test_development_secret_is_generated_once(monkeypatch, tmp_path):
    monkeypatch.delenv("MINKA_SECRET_KEY", raising=False)
    monkeypatch.setenv("MINKA_INSTANCE_PATH", str(tmp_path))
    first = load({"MINKA_ENV": "development"})["SECRET_KEY"]
    assert first == load({"MINKA_ENV": "development"})["SECRET_KEY"]
    assert len(first) >= 32
