"""The unread count in every page's menu: counted up to a cap, written "99+" beyond it."""

from __future__ import annotations

from sqlalchemy import event

from marketplace.extensions import db
from marketplace.models import Notification
from marketplace.notifications import services


def _notify_org(org_id: int, n: int) -> None:
    db.session.add_all(
        Notification(organization_id=org_id, kind="organization.verified", params={})
        for _ in range(n)
    )
    db.session.commit()


def test_the_menu_counts_up_to_the_cap_and_says_99_plus_beyond(
    app, login, make_org, make_user, monkeypatch
):
    # On the million-producer world a cooperative's technicians share some 40,000 unread
    # notices: every page counted them all, and "41,760" pushed the menu past a phone's width.
    coop = make_org("cooperative")
    client = login(make_user("technician", organization=coop))
    _notify_org(coop.id, 3)
    assert '<span class="badge badge-warn">3<span' in client.get("/avisos").text

    _notify_org(coop.id, services.UNREAD_CAP)
    page = client.get("/avisos").text
    assert '<span class="badge badge-warn">99+<span' in page
    assert "Marcar todo como leído" in page


def test_the_count_reads_no_more_rows_than_the_cap(app, make_org, make_user):
    coop = make_org("cooperative")
    user = make_user("technician", organization=coop)
    _notify_org(coop.id, services.UNREAD_CAP + 20)
    statements: list[str] = []

    def keep(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert services.unread_count(user) == services.UNREAD_CAP + 1
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert "LIMIT" in statements[-1].upper()


def test_a_producer_home_says_more_than_99(app, login, make_user, make_producer):
    user = make_user("producer")
    make_producer(user_id=user.id)
    db.session.add_all(
        Notification(user_id=user.id, kind="organization.verified", params={})
        for _ in range(services.UNREAD_CAP + 1)
    )
    db.session.commit()
    assert "Tiene más de 99 avisos sin leer" in login(user).get("/").text
