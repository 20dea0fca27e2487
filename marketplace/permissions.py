"""Guards shared by every feature's views: the signed-in user's role, and a record they may
reach. The rules themselves are each feature's `permissions.py` predicates, `can_<action>(user,
record) -> bool`; these guards only apply them and answer with the HTTP error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy.orm.interfaces import ORMOption

from marketplace.extensions import db
from marketplace.models import OrgKind, Role, User

Record = TypeVar("Record")

MAX_ID = 2**31 - 1  # larger ids exist nowhere (and overflow PostgreSQL's integer)


def role_required(*roles: str) -> Callable:
    """Require a signed-in user with one of `roles`; others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def serving_cooperative_id(user: User) -> int | None:
    """The cooperative a technician acts for, only while it is verified and not suspended.

    The one rule through which membership gives a technician reach over producers (their
    profiles, national ids, consents, farms, lists, registration) and collection centres:
    every such check asks here, so a look-alike or suspended cooperative reaches nobody.
    """
    if user.role != Role.TECHNICIAN:
        return None
    org = user.organization
    if org is None or org.kind != OrgKind.COOPERATIVE or not org.can_publish:
        return None
    return org.id


def load_or_404(
    model: type[Record],
    record_id: int,
    can: Callable[[User, Record], bool] | None = None,
    *,
    options: Sequence[ORMOption] = (),
    **expected: object,
) -> Record:
    """The `model` row with primary key `record_id` that the signed-in user may reach; else 404.

    `can(current_user, row)` is the feature's access rule; `expected` are attribute values the
    row must have (a farm under its own producer's address: `producer_id=producer.id`);
    `options` are loader options such as `selectinload(...)`. A row the user may not reach
    answers 404 exactly like a missing one, so nobody learns which ids exist. Refusals that
    may show the row exists (a 403 for an action on a page the user sees) stay in the view.
    """
    if not 0 < record_id <= MAX_ID:
        abort(404)
    record = db.session.get(model, record_id, options=options)
    if record is None:
        abort(404)
    if any(getattr(record, name) != value for name, value in expected.items()):
        abort(404)
    if can is not None and not can(current_user, record):
        abort(404)
    return record
