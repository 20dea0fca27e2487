"""Uploaded files kept in the database (MINKA_FILE_STORAGE=database, marketplace/files.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import utcnow
from marketplace.types import UTCDateTime


class StoredFile(db.Model):
    """One file, under the key the rows that name it keep (e.g. uploads/evidence/<hex>.jpg)."""

    __tablename__ = "stored_file"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
