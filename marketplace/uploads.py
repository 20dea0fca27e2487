"""Files people upload (a technician's field photos, an organization's document, a tenure
document): recognised by their first bytes, never by their name; kept with a random name,
never under static/, read back only from inside their own folder.

Where they are kept is MINKA_FILE_STORAGE, one interface and three stores:

- ``local`` (the default, one host): files under the instance folder.
- ``database``: in the table stored_file, with the rest of Minka's data (every host reads
  them; the database's backups carry them).
- ``s3``: an S3-compatible bucket (AWS S3, MinIO, Ceph...) through boto3: MINKA_S3_BUCKET,
  MINKA_S3_ENDPOINT_URL (empty for AWS), MINKA_S3_REGION, and the credentials boto3 finds
  (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the host's role).

A file's key is the path it would have under the instance folder
("uploads/evidence/<random>.jpg"): the rows naming a file keep the same key in any store.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Protocol

from flask import Flask, Response, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import StoredFile

JPEG, PNG, PDF = ".jpg", ".png", ".pdf"
_SIGNATURES = {b"\xff\xd8\xff": JPEG, b"\x89PNG\r\n\x1a\n": PNG, b"%PDF-": PDF}


def suffix_of(data: bytes, allowed: Iterable[str]) -> str | None:
    """The file's kind (".jpg", ".png", ".pdf") from its first bytes, if one of `allowed`."""
    for signature, suffix in _SIGNATURES.items():
        if data.startswith(signature) and suffix in allowed:
            return suffix
    return None


# --- the stores --------------------------------------------------------------------------

MIMETYPES = {JPEG: "image/jpeg", PNG: "image/png", PDF: "application/pdf"}


class StoreUnavailable(OSError):
    """The store could not keep or give a file (a bucket refused, a disk is full...)."""


class FileStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def put_file(self, key: str, path: Path) -> None:
        """Keep the file at `path` under `key`, without holding it in memory where the store
        allows (a forest raster)."""

    def get_file(self, key: str, target: Path) -> bool:
        """Write the file kept under `key` to `target`; False when there is none."""


class LocalFiles:
    """Files under a folder of this host."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as error:
            raise StoreUnavailable(str(error)) from error

    def get(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def put_file(self, key: str, path: Path) -> None:
        if Path(path).resolve() != (self.root / key).resolve():
            self.put(key, Path(path).read_bytes())

    def get_file(self, key: str, target: Path) -> bool:
        source = self.root / key
        if not source.is_file():
            return False
        if source.resolve() != Path(target).resolve():
            shutil.copyfile(source, target)
        return True


class DatabaseFiles:
    """Files as rows: written in the caller's transaction (a file and the row naming it are
    committed, or rolled back, together); deleted in a transaction of their own, since a
    file is removed after the change that dropped it was committed."""

    def put(self, key: str, data: bytes) -> None:
        db.session.merge(StoredFile(key=key, data=data, size=len(data)))

    def get(self, key: str) -> bytes | None:
        return db.session.scalar(select(StoredFile.data).where(StoredFile.key == key))

    def delete(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(StoredFile).where(StoredFile.key == key))

    def put_file(self, key: str, path: Path) -> None:
        self.put(key, Path(path).read_bytes())

    def get_file(self, key: str, target: Path) -> bool:
        data = self.get(key)
        if data is None:
            return False
        Path(target).write_bytes(data)
        return True


class S3Files:
    """Files in an S3-compatible bucket."""

    def __init__(self, client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable(str(error)) from error

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def put_file(self, key: str, path: Path) -> None:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:  # in parts for a large file
            self.client.upload_file(str(path), self.bucket, key)
        except (BotoCoreError, ClientError, S3UploadFailedError) as error:
            raise StoreUnavailable(str(error)) from error

    def get_file(self, key: str, target: Path) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.download_file(self.bucket, key, str(target))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                return False
            raise StoreUnavailable(str(error)) from error
        except BotoCoreError as error:
            raise StoreUnavailable(str(error)) from error
        return True


def s3_client(app: Flask):
    """A boto3 S3 client for the app's settings."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=app.config.get("MINKA_S3_ENDPOINT_URL") or None,
        region_name=app.config.get("MINKA_S3_REGION") or None,
        config=Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3}),
    )


def file_store(instance_path: Path | None = None) -> FileStore:
    """The app's store (`instance_path`: the local store's folder, the app's by default)."""
    app = current_app
    kind = app.config.get("MINKA_FILE_STORAGE", "local")
    if kind == "database":
        return DatabaseFiles()
    if kind == "s3":
        if "minka_s3" not in app.extensions:
            app.extensions["minka_s3"] = S3Files(s3_client(app), app.config["MINKA_S3_BUCKET"])
        return app.extensions["minka_s3"]
    return LocalFiles(instance_path or Path(app.instance_path))


# --- storing, reading, serving ------------------------------------------------------------


def _key_under(folder: Path, relative: str | Path | None) -> str | None:
    """`relative` as a key, if it names a file inside `folder` (no "..", no absolute path)."""
    if not relative:
        return None
    key = PurePosixPath(str(relative).replace("\\", "/"))
    if key.is_absolute() or ".." in key.parts:
        return None
    return str(key) if PurePosixPath(folder.as_posix()) in key.parents else None


def store(instance_path: Path, folder: Path, data: bytes, suffix: str) -> Path:
    """Keep `data` under `folder` with a random name; its key (a path relative to the
    instance folder), as the database keeps it."""
    relative = folder / f"{secrets.token_hex(16)}{suffix}"
    with _refused_as_domain_error(relative.as_posix()):
        file_store(instance_path).put(relative.as_posix(), data)
    return relative


def store_file(instance_path: Path, key: str, path: Path) -> None:
    """Keep the file at `path` under `key` in the app's store (a forest raster), in parts
    where the store allows."""
    with _refused_as_domain_error(key):
        file_store(instance_path).put_file(key, path)


@contextmanager
def _refused_as_domain_error(key: str) -> Iterator[None]:
    """A store's refusal as the message the person who sent the file reads."""
    try:
        yield
    except StoreUnavailable as error:
        current_app.logger.error("the file store refused %s: %s", key, error)
        message = _l("No pudimos guardar el archivo. Inténtelo de nuevo en un momento.")
        raise DomainError(message) from error


def read(instance_path: Path, folder: Path, relative: str | None) -> bytes | None:
    """The stored file's bytes, if it exists and lies in `folder`."""
    key = _key_under(folder, relative)
    return None if key is None else file_store(instance_path).get(key)


def remove(instance_path: Path, relative: str | Path | None) -> None:
    """Delete a stored file (missing is fine)."""
    if relative:
        file_store(instance_path).delete(PurePosixPath(str(relative)).as_posix())


def private_file(data: bytes | None, relative: str) -> Response | None:
    """A response with a stored file for its owner only (never kept by a cache or a
    proxy); None when there is no file."""
    if data is None:
        return None
    mimetype = MIMETYPES.get(PurePosixPath(relative).suffix.lower(), "application/octet-stream")
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


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
