"""Files people upload (a technician's field photos, an organization's document): recognised
by their first bytes, never by their name; stored under the instance folder (never under
static/) with a random name; read back only from inside their own folder."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path

from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError

JPEG, PNG, PDF = ".jpg", ".png", ".pdf"
_SIGNATURES = {b"\xff\xd8\xff": JPEG, b"\x89PNG\r\n\x1a\n": PNG, b"%PDF-": PDF}


def suffix_of(data: bytes, allowed: Iterable[str]) -> str | None:
    """The file's kind (".jpg", ".png", ".pdf") from its first bytes, if one of `allowed`."""
    for signature, suffix in _SIGNATURES.items():
        if data.startswith(signature) and suffix in allowed:
            return suffix
    return None


def store(instance_path: Path, folder: Path, data: bytes, suffix: str) -> Path:
    """Write `data` under instance_path/folder with a random name; the path relative to
    the instance folder, as the database keeps it."""
    relative = folder / f"{secrets.token_hex(16)}{suffix}"
    target = instance_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative


def stored_file(instance_path: Path, folder: Path, relative: str | None) -> Path | None:
    """The stored file's path, if it exists and lies under `folder`."""
    if not relative:
        return None
    root = (instance_path / folder).resolve()
    path = (instance_path / relative).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def remove(instance_path: Path, relative: str | Path | None) -> None:
    """Delete a stored file (missing is fine)."""
    if relative:
        (instance_path / relative).unlink(missing_ok=True)


# --- an organization's document for its verification (sign-up and "Mi organización") -------

DOCUMENT_DIR = Path("uploads") / "organizations"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_KINDS = (PDF, JPEG, PNG)


def document_suffix(document: bytes, field: str = "document") -> str:
    """The document's kind from its first bytes; DomainError (on `field`) if it is not a
    PDF, JPEG or PNG of at most 5 MB."""
    if len(document) > MAX_DOCUMENT_BYTES:
        raise DomainError(_l("El documento pesa más de 5 MB."), field)
    suffix = suffix_of(document, DOCUMENT_KINDS)
    if suffix is None:
        raise DomainError(_l("El documento debe ser un PDF o una foto JPEG o PNG."), field)
    return suffix
