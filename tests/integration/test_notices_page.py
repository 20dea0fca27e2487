"""The notices page: hers and her organization's, newest first, among the newest only."""

from __future__ import annotations

from datetime import timedelta

from marketplace.extensions import db
from marketplace.models import Notification
from marketplace.models.base import utcnow
from marketplace.notifications import services


def test_hers_and_her_organization_s_notices_come_newest_first_across_pages(
    app, login, make_org, make_user, monkeypatch
):
    # Each side is read newest first from its index and the two merged (one OR sorted every
    # notice of a million-producer world's cooperative); the pager counts only the newest.
    monkeypatch.setattr(services, "NOTICES_LISTED", 5)
    coop = make_org("cooperative")
    user = make_user("technician", organization=coop)
    other = make_user("technician", organization=make_org("cooperative"))
    start = utcnow()
    for minute, (to_user, to_org) in enumerate(
        [(user, None), (None, coop), (None, coop), (user, None), (other, None), (None, coop)]
    ):
        db.session.add(
            Notification(
                user_id=to_user.id if to_user else None,
                organization_id=to_org.id if to_org else None,
                kind="organization.verified",
                params={"minute": minute},
                created_at=start + timedelta(minutes=minute),
            )
        )
    db.session.commit()

    def minutes(page: int) -> list[int]:
        return [n.params["minute"] for n in services.page_for(user, page, per_page=2).items]

    assert [minutes(1), minutes(2), minutes(3)] == [[5, 3], [2, 1], [0]]
    first = services.page_for(user, 1, per_page=2)
    assert (first.total, first.capped, first.pages) == (5, False, 3)

    db.session.add(Notification(user_id=user.id, kind="organization.verified", params={}))
    db.session.commit()
    capped = services.page_for(user, 1, per_page=2)
    assert (capped.total, capped.capped, capped.pages) == (5, True, 3)
    page = login(user).get("/avisos").text
    assert "Se muestran los 5 avisos más recientes." in page
    assert [n.params["minute"] for n in services.page_for(other, 1).items] == [4]
