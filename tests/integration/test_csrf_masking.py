"""CSRF tokens are masked afresh in every response (compressed pages must not repeat a
secret an attacker could guess from their lengths), and every masked token still works."""

from __future__ import annotations

import re

from marketplace.csrf import mask, unmask
from tests.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def tokens(html: str) -> list[str]:
    return TOKEN.findall(html)


def test_mask_and_unmask_are_inverse_and_never_repeat():
    token = "IjJmNGE2ZDQ1ZTZhIg.aBcDeF.sig-nature_123"
    masked = {mask(token) for _ in range(50)}
    assert len(masked) == 50
    assert all(token not in m for m in masked)
    assert {unmask(m) for m in masked} == {token}
    for other in (None, "", "m.", "m.!!!", "m.AAA=", mask(token)[:-4]):
        assert unmask(other) != token


def test_every_page_carries_another_token_and_each_one_works(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    user = make_user("producer")
    client = app.test_client()
    login_page = client.get("/ingresar", headers={"Accept-Encoding": "gzip"})
    assert login_page.headers["Content-Encoding"] == "gzip"
    first = tokens(client.get("/ingresar").get_data(as_text=True))
    second = tokens(client.get("/ingresar").get_data(as_text=True))
    assert first and second and not set(first) & set(second)
    login = {"identifier": user.login, "password": PASSWORD, "csrf_token": first[0]}
    assert client.post("/ingresar", data=login).status_code == 302

    html = client.get("/").get_data(as_text=True)
    page_tokens = tokens(html)
    assert len(page_tokens) == len(set(page_tokens)) >= 1  # even within one page
    # An older page's token (masked otherwise) still signs the user out.
    assert client.post("/salir", data={"csrf_token": page_tokens[-1]}).status_code == 302


def test_a_forged_or_tampered_token_is_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    user = make_user("producer")
    client = app.test_client()
    token = tokens(client.get("/ingresar").get_data(as_text=True))[0]
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    for bad in (tampered, "m." + "A" * 40, "", "cualquiera"):
        login = {"identifier": user.login, "password": PASSWORD, "csrf_token": bad}
        assert client.post("/ingresar", data=login).status_code in (200, 400)
    assert client.get("/mi-credito").status_code in (302, 401)  # still signed out
