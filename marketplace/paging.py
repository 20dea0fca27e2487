"""Pages of lists too long to count exactly on every visit (the audit log)."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from marketplace.extensions import db


def capped_paginate(
    query: Select, page: int, per_page: int, cap: int, count_query: Select | None = None
) -> Pagination:
    """`db.paginate`, counting the rows only up to `cap`: on millions of rows an exact
    count(*) costs more than the page itself. `capped` is True when there are more.
    `count_query`: the rows to count, when `query` is not the cheapest way to count them."""
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=False)
    window = (count_query if count_query is not None else query).order_by(None).limit(cap + 1)
    window = window.subquery()
    counted = db.session.scalar(select(func.count()).select_from(window)) or 0
    pagination.total = min(counted, cap)
    pagination.capped = counted > cap
    return pagination
