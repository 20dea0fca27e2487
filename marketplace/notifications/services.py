"""Sending notifications and reading them."""

from __future__ import annotations

from sqlalchemy import Select, bindparam, func, or_, select, union_all, update

from marketplace.extensions import db
from marketplace.models import Notification, Producer, User
from marketplace.models.base import utcnow
from marketplace.paging import capped_paginate
from marketplace.sms import outbox, texts


def notify_user(user_id: int, kind: str, link: str | None = None, **params) -> Notification:
    """Tell one user something; the caller commits with its own change. A producer who
    opted in also gets it by SMS or WhatsApp (sms.outbox.for_producer decides)."""
    note = Notification(user_id=user_id, kind=kind, params=params, link=link)
    db.session.add(note)
    if kind in texts.TEXTS:
        producer = db.session.scalar(select(Producer).where(Producer.user_id == user_id))
        if producer is not None:
            outbox.for_producer(producer, kind, params)
    return note


def notify_producer(producer: Producer, kind: str, link: str | None = None, **params) -> None:
    """Tell a producer something: in the app when she has an account, and by SMS or WhatsApp
    when she opted in (a producer her technician registered may only have a phone)."""
    if producer.user_id is not None:
        notify_user(producer.user_id, kind, link, **params)
    else:
        outbox.for_producer(producer, kind, params)


def notify_organization(org_id: int, kind: str, link: str | None = None, **params) -> Notification:
    """Tell every member of an organization something; the caller commits."""
    note = Notification(organization_id=org_id, kind=kind, params=params, link=link)
    db.session.add(note)
    return note


def _addressed_to(user: User):
    mine = Notification.user_id == user.id
    if user.organization_id is None:
        return mine
    return or_(mine, Notification.organization_id == user.organization_id)


UNREAD_CAP = 99  # the menu says "99+" beyond: a cooperative's technicians share thousands


def _unread(*addressed) -> Select:
    """Unread notifications counted up to UNREAD_CAP + 1: every page pays for the count, and a
    cooperative of a large world has tens of thousands unread."""
    unread = (
        select(Notification.id)
        .where(or_(*addressed), Notification.read_at.is_(None))
        .limit(UNREAD_CAP + 1)
        .subquery()
    )
    return select(func.count()).select_from(unread)


# Built once: every page's menu shows the count, and building a statement costs more than
# running it.
_UNREAD_OF_USER = _unread(Notification.user_id == bindparam("user"))
_UNREAD_OF_MEMBER = _unread(
    Notification.user_id == bindparam("user"), Notification.organization_id == bindparam("org")
)


def unread_count(user: User) -> int:
    """How many notifications addressed to `user` (or their organization) are unread, up to
    UNREAD_CAP + 1 (more than UNREAD_CAP)."""
    if user.organization_id is None:
        return db.session.scalar(_UNREAD_OF_USER, {"user": user.id})
    return db.session.scalar(_UNREAD_OF_MEMBER, {"user": user.id, "org": user.organization_id})


NOTICES_LISTED = 1000  # the pager counts this far: a large cooperative has 100,000s of notices


def page_for(user: User, page: int = 1, per_page: int = 25):
    """A page of the user's notifications, newest first, among the NOTICES_LISTED newest
    (`capped` when there are more). Those addressed to her and those to her organization are
    each read newest first from their index and merged: one OR of the two made the database
    gather and sort every notice of a cooperative."""
    page = max(page, 1)
    depth = page * per_page  # rows each side may give to pages 1..page
    sides = [Notification.user_id == user.id]
    if user.organization_id is not None:
        sides.append(Notification.organization_id == user.organization_id)
    newest = [
        select(Notification.id, Notification.created_at)
        .where(side)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(depth)
        .subquery()
        for side in sides
    ]
    parts = [select(part.c.id, part.c.created_at) for part in newest]
    merged = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    query = (
        select(Notification)
        .join(merged, merged.c.id == Notification.id)
        .order_by(merged.c.created_at.desc(), merged.c.id.desc())
    )
    addressed = select(Notification.id).where(_addressed_to(user))
    return capped_paginate(query, page, per_page, NOTICES_LISTED, count_query=addressed)


def mark_all_read(user: User) -> int:
    """Mark everything addressed to `user` as read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(_addressed_to(user), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount
