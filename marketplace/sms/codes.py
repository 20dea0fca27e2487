"""One-time codes sent by SMS: six digits, kept only as a keyed hash, valid ten minutes,
five tries, used once. A new code for the same account and purpose ends the previous one."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from marketplace.extensions import db
from marketplace.models import OneTimeCode
from marketplace.models.base import utcnow

LIFETIME = timedelta(minutes=10)
#: How long a spent or expired code is kept (its tries show in her data export meanwhile).
KEEP_EXPIRED = timedelta(days=1)
MAX_ATTEMPTS = 5
DIGITS = 6


def _hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def issue(purpose: str, user_id: int | None, producer_id: int | None = None) -> str:
    """A new code for `purpose` (the previous unused ones of the account end, and codes a
    day past their expiry are deleted); the caller sends it and commits."""
    now = utcnow()
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < now - KEEP_EXPIRED))
    db.session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.purpose == purpose,
            OneTimeCode.user_id == user_id,
            OneTimeCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    db.session.add(
        OneTimeCode(
            purpose=purpose,
            user_id=user_id,
            producer_id=producer_id,
            code_hash=_hash(code),
            attempts=0,
            expires_at=now + LIFETIME,
        )
    )
    return code


def live(purpose: str, user_id: int | None) -> OneTimeCode | None:
    """The account's unused, unexpired code for `purpose` with tries left."""
    if user_id is None:
        return None
    return db.session.scalar(
        select(OneTimeCode)
        .where(
            OneTimeCode.purpose == purpose,
            OneTimeCode.user_id == user_id,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > utcnow(),
            OneTimeCode.attempts < MAX_ATTEMPTS,
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )


def check(row: OneTimeCode | None, typed: str) -> bool:
    """Spend one try of `row` on `typed`; True (and the code is used up) when it matches.

    The try is counted with a conditional UPDATE, so parallel guesses cannot pass the limit;
    with no row the same hash is computed, so the answer takes as long."""
    typed = "".join(ch for ch in (typed or "") if ch.isdigit())
    digest = _hash(typed)
    if row is None:
        hmac.compare_digest(digest, _hash("no-code"))
        return False
    counted = db.session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.id == row.id,
            OneTimeCode.attempts == row.attempts,
            OneTimeCode.attempts < MAX_ATTEMPTS,
            OneTimeCode.used_at.is_(None),
        )
        .values(attempts=OneTimeCode.attempts + 1)
    )
    if counted.rowcount != 1 or not hmac.compare_digest(digest, row.code_hash):
        db.session.commit()
        return False
    row.used_at = utcnow()
    return True
