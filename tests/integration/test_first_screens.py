"""The first screens a producer meets: a compact menu, her sign-up data in "Mis datos",
greetings that fit her, plain words on the plot page, static files cached, pages compressed."""

from __future__ import annotations

import gzip
import re
from io import BytesIO
from pathlib import Path

import pytest
from flask import url_for

from marketplace import assets
from marketplace.i18n import by_gender
from marketplace.models import Role, User
from marketplace.models.producers import Gender
from marketplace.navigation import ANONYMOUS_NAV, MAX_PRIMARY, ROLE_NAV, navigation_for
from marketplace.producers.services import account_prefill
from tests.conftest import signed_in_client

# --- the menu ----------------------------------------------------------------------------


def test_every_role_has_a_short_first_row_and_the_rest_behind_mas(app):
    assert set(ROLE_NAV) == set(Role)
    with app.test_request_context():
        for role, menu in ROLE_NAV.items():
            assert 1 <= len(menu.primary) <= MAX_PRIMARY, role
            endpoints = [item.endpoint for item in menu.items]
            assert len(endpoints) == len(set(endpoints)), role
            for item in menu.items:
                url_for(item.endpoint)  # every entry leads somewhere
        assert len(ANONYMOUS_NAV.primary) <= MAX_PRIMARY and not ANONYMOUS_NAV.more


def test_a_producer_reaches_her_deliveries_from_the_first_row(app):
    primary = [item.endpoint for item in ROLE_NAV[Role.PRODUCER].primary]
    assert primary == ["catalog.browse", "credit.mine", "traceability.my_deliveries"]
    assert navigation_for(None) is ANONYMOUS_NAV


def test_the_producer_menu_is_one_row_and_a_details(app, make_user):
    producer = make_user("producer")
    html = signed_in_client(app, producer).get("/").get_data(as_text=True)
    nav = html[html.index('<nav class="nav"') : html.index("</nav>")]
    first_row = nav[: nav.index("<details>")]
    assert re.findall(r">([^<>]+)</a>", first_row) == [
        "Inicio",
        "Tienda",
        "Mi crédito",
        "Mis entregas",
    ]
    more = nav[nav.index("<details>") :]
    assert "<summary>Más</summary>" in more
    for label in ("Mis pedidos", "Mis fincas", "Mis datos", "Centros de acopio", "Salir"):
        assert label in more
    # the notices moved to the header bar, next to the language
    header = html[html.index('<header class="top">') : html.index("</header>")]
    assert "Avisos" in header


def test_an_entry_behind_mas_marks_mas_as_current(app, make_user):
    producer = make_user("producer")
    html = signed_in_client(app, producer).get("/mis-datos").get_data(as_text=True)
    assert '<summary class="current">Más</summary>' in html


def test_anonymous_visitors_get_no_mas(client):
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('<nav class="nav"') : html.index("</nav>")]
    assert "<details>" not in nav and "Crear cuenta" in nav


# --- sign-up data in "Mis datos" ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Rosa", "Rosa", ""),
        ("Rosa Quispe", "Rosa", "Quispe"),
        ("Rosa Quispe Mamani", "Rosa", "Quispe Mamani"),
        ("  Rosa  María Quispe Mamani ", "Rosa María", "Quispe Mamani"),
    ],
)
def test_the_account_name_splits_into_given_names_and_surnames(name, first, last):
    prefill = account_prefill(User(name=name, phone="+51987654321"))
    assert prefill == {"first_name": first, "last_name": last, "phone": "+51987654321"}


def _value(html: str, field_id: str) -> str:
    found = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html)
    assert found, field_id
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def test_mis_datos_starts_with_the_name_and_mobile_of_sign_up(app):
    client = app.test_client()
    response = client.post(
        "/registro",
        data={
            "name": "Rosa Quispe Mamani",
            "identifier": "987 654 321",
            "country": "PE",
            "role": "producer",
            "password": "maiz-morado-2026",
            "confirm": "maiz-morado-2026",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    html = client.get("/mis-datos").get_data(as_text=True)
    assert _value(html, "first_name") == "Rosa"
    assert _value(html, "last_name") == "Quispe Mamani"
    assert _value(html, "phone") == "+51987654321"


def test_a_technician_registering_someone_gets_an_empty_form(app, make_user):
    technician = make_user("technician", name="Lucía Técnica Ríos", phone="+51912345678")
    html = signed_in_client(app, technician).get("/productores/nuevo").get_data(as_text=True)
    assert _value(html, "first_name") == "" and _value(html, "phone") == ""
    assert "El registro queda en su cooperativa." in html and "registrado" not in html


# --- greetings --------------------------------------------------------------------------------


def test_by_gender_picks_her_his_or_the_neutral_words():
    words = ("inscrita", "inscrito", "con sus datos guardados")
    assert by_gender("female", *words) == "inscrita"
    assert by_gender(Gender.FEMALE, *words) == "inscrita"  # as a loaded Producer holds it
    assert by_gender("male", *words) == "inscrito"
    for gender in ("other", "undisclosed", None, ""):
        assert by_gender(gender, *words) == "con sus datos guardados"


MASCULINE_DEFAULTS = re.compile(
    r"Bienvenido|lo incluyó|inscrito|Para ser evaluado|Quedará registrado|Productor: "
)


def test_templates_say_masculine_words_only_beside_the_feminine_and_neutral_ones():
    templates = Path(__file__).resolve().parents[2] / "templates"
    found = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        if not path.is_relative_to(templates / "commitments")  # issue 18's other part
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if MASCULINE_DEFAULTS.search(line) and "by_gender(" not in line
    ]
    assert not found, found


@pytest.mark.parametrize(
    ("role", "said"),
    [
        ("technician", "Técnico/a de cooperativa"),
        ("buyer", "Comprador/a"),
        ("supplier", "Proveedor/a de insumos"),
        ("admin", "Administrador/a"),
    ],
)
def test_the_footer_names_her_role_without_assuming_a_gender(app, make_user, role, said):
    user = make_user(role, name="Lucía Ríos")
    html = signed_in_client(app, user).get("/").get_data(as_text=True)
    footer = html[html.index('<footer class="foot">') :]
    assert f"Lucía Ríos · {said}" in footer


def test_sign_up_greets_without_assuming_a_gender(app):
    client = app.test_client()
    client.post(
        "/registro",
        data={
            "name": "Rosa Quispe",
            "identifier": "rosa@example.org",
            "country": "PE",
            "role": "producer",
            "password": "maiz-morado-2026",
            "confirm": "maiz-morado-2026",
        },
    )
    html = client.get("/").get_data(as_text=True)
    assert "¡Hola, Rosa Quispe! Le damos la bienvenida a Minka." in html
    assert "Bienvenido" not in html


@pytest.mark.parametrize(
    ("gender", "greeting", "owner"),
    [
        ("female", "¡Listo, Rosa! Ya está inscrita en Minka", "Productora: Rosa Quispe"),
        ("male", "¡Listo, Rosa! Ya está inscrito en Minka", "Productor: Rosa Quispe"),
        ("undisclosed", "¡Listo, Rosa! Sus datos quedaron guardados", "Productor o productora:"),
    ],
)
def test_her_own_profile_saved_greets_her_as_she_said(app, make_user, gender, greeting, owner):
    client = signed_in_client(app, make_user("producer", name="Rosa Quispe"))
    response = client.post(
        "/mis-datos",
        data={
            "first_name": "Rosa",
            "last_name": "Quispe",
            "gender": gender,
            "country": "PE",
            "national_id": "45871236",
            "cooperative_id": "",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert greeting in html and owner in html


def test_the_home_page_welcomes_without_a_gender(client):
    html = client.get("/").get_data(as_text=True)
    assert "<title>Le damos la bienvenida · Minka</title>" in html


# --- plain words on the plot page -----------------------------------------------------------

TECHNICAL_WORDS = ("GeoJSON", "Polygon", "WGS84", "KML")


def _visible_text(html: str) -> str:
    """The page's words a reader sees: no tags, attributes, scripts or data-* JSON."""
    body = html[html.index("<main") : html.index("</main>")]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    return re.sub(r"<[^>]*>", " ", body)


def test_a_producer_reads_no_technical_words_on_her_plot_page(
    app, make_user, make_producer, make_farm
):
    user = make_user("producer")
    farm = make_farm(make_producer(user_id=user.id))
    html = signed_in_client(app, user).get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    text = _visible_text(html)
    for word in TECHNICAL_WORDS:
        assert word not in text, word
    assert "Subir un archivo del GPS" in text
    assert "Dibujar el contorno" in text  # the drawing button's name, in the hint
    assert 'type="hidden" id="outline" name="outline"' in html  # the drawing still saves


def test_a_producers_bad_upload_is_explained_in_plain_words(
    app, make_user, make_producer, make_farm
):
    user = make_user("producer")
    farm = make_farm(make_producer(user_id=user.id))
    client = signed_in_client(app, user)
    response = client.post(
        f"/fincas/{farm.id}/parcela",
        data={"upload": (BytesIO(b'{"type": "Point", "coordinates": [-76.7, -7.1]}'), "f.json")},
        content_type="multipart/form-data",
    )
    text = _visible_text(response.get_data(as_text=True))
    assert "puntos o líneas, no el contorno cerrado" in text
    for word in TECHNICAL_WORDS:
        assert word not in text, word


def test_a_technician_keeps_the_geojson_behind_detalles_tecnicos(
    app, make_user, make_org, make_producer, make_farm
):
    coop = make_org("cooperative")
    technician = make_user("technician", organization=coop)
    farm = make_farm(make_producer(cooperative_id=coop.id))
    html = (
        signed_in_client(app, technician).get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    )
    details = html[html.index('<details class="technical"') :]
    details = details[: details.index("</details>")]
    assert "Detalles técnicos" in details and "Contorno (GeoJSON)" in details


# --- static files cached, pages compressed ------------------------------------------------


def test_static_urls_carry_the_files_version(app, client):
    html = client.get("/").get_data(as_text=True)
    version = app.extensions["minka_static_versions"]["minka.css"]
    assert f"/static/minka.css?v={version}" in html


def _cache_control(client, url: str) -> str:
    response = client.get(url)
    response.close()  # a static file is sent from an open file
    assert response.status_code == 200, url
    return response.headers["Cache-Control"]


def test_a_versioned_static_file_is_kept_a_year(app, client):
    version = app.extensions["minka_static_versions"]["minka.css"]
    year = "public, max-age=31536000, immutable"
    assert _cache_control(client, f"/static/minka.css?v={version}") == year
    day = "public, max-age=86400"
    assert _cache_control(client, "/static/minka.css?v=000000000000") == day  # an old URL
    assert _cache_control(client, "/static/vendor/leaflet/images/layers.png") == day


def test_a_changed_file_gets_a_new_version(tmp_path):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "a.css"
    sheet.write_text("body { color: red; }")
    before = assets.file_versions(tmp_path)
    sheet.write_text("body { color: blue; }")
    after = assets.file_versions(tmp_path)
    assert set(before) == {"css/a.css"} and before["css/a.css"] != after["css/a.css"]
    assert assets.file_versions(tmp_path / "missing") == {}


def test_scripts_and_styles_are_gzipped_once_and_tagged_apart(app, client):
    version = app.extensions["minka_static_versions"]["vendor/leaflet/leaflet.js"]
    url = f"/static/vendor/leaflet/leaflet.js?v={version}"
    plain = client.get(url)
    body = plain.get_data()
    plain.close()
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == body
    assert int(packed.headers["Content-Length"]) < len(body) / 2
    assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert packed.get_etag()[0] == plain.get_etag()[0] + "-gzip"
    # the uncompressed file still answers its own tag with a 304
    again = client.get(url, headers={"If-None-Match": plain.headers["ETag"]})
    again.close()
    assert again.status_code == 304
    image = client.get(
        "/static/vendor/leaflet/images/layers.png", headers={"Accept-Encoding": "gzip"}
    )
    image.close()
    assert "Content-Encoding" not in image.headers  # a PNG is compressed already


def test_pages_are_gzipped_when_the_phone_accepts_it(client):
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    # the same page but for its CSRF tokens, masked afresh in every response (BREACH)
    assert _unmasked(gzip.decompress(packed.get_data())) == _unmasked(plain.get_data())
    # (the random pads of the masked tokens do not compress: a small page gains a bit less)
    assert int(packed.headers["Content-Length"]) < len(plain.get_data()) * 0.6


def _unmasked(html: bytes) -> bytes:
    return re.sub(rb'name="csrf_token" value="[^"]*"', b'name="csrf_token" value=""', html)


def test_signed_in_pages_stay_private_when_gzipped(app, make_user):
    client = signed_in_client(app, make_user("producer"))
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_json_errors_and_small_answers(client):
    response = client.get("/api/no-such-thing", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 404 and response.is_json  # small: sent as is
    assert "Content-Encoding" not in response.headers
