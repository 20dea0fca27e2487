"""Static files a phone keeps, and pages sent compressed.

On a weak connection every request counts: static files are served with a year's max-age
and a version in their URL (``?v=`` a hash of the file, computed once at start), so a
changed file reaches phones at once under a new URL; HTML, JSON, CSV and text answers are
gzip-compressed when the client accepts it.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from flask import Flask, Response, request

#: A versioned static file never changes under its URL.
VERSIONED_CACHE = "public, max-age=31536000, immutable"
#: A static file asked for without its version (the images leaflet's CSS names): a day.
UNVERSIONED_CACHE = "public, max-age=86400"
COMPRESSIBLE = frozenset(
    {"text/html", "application/json", "text/csv", "text/plain", "application/geo+json"}
)
#: Static files worth compressing (images and fonts are compressed already).
STATIC_COMPRESSIBLE = frozenset(
    {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}
)
#: Smaller answers gain nothing from compression.
MIN_COMPRESS_BYTES = 500


def file_versions(folder: str | Path) -> dict[str, str]:
    """A short hash of every file under `folder`, by its path relative to it (with /)."""
    root = Path(folder)
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _accepts_gzip() -> bool:
    return "gzip" in request.accept_encodings


def compress(response: Response) -> Response:
    """Gzip a whole (not streamed) text answer when the client takes gzip."""
    if (
        response.status_code < 200
        or response.status_code in (204, 304)
        or response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or response.mimetype not in COMPRESSIBLE
        or request.method == "HEAD"
    ):
        return response
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip():
        return response
    body = response.get_data()
    if len(body) < MIN_COMPRESS_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


class StaticGzip:
    """Each compressible static file gzipped once (at its first request), kept in memory."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._packed: dict[str, bytes] = {}

    def packed(self, filename: str) -> bytes:
        if filename not in self._packed:
            data = (self.folder / filename).read_bytes()
            self._packed[filename] = gzip.compress(data, compresslevel=9, mtime=0)
        return self._packed[filename]

    def apply(self, response: Response, filename: str) -> Response:
        """Send the gzipped file instead when the client takes it (a 200 of a whole file)."""
        if response.mimetype not in STATIC_COMPRESSIBLE:
            return response
        response.vary.add("Accept-Encoding")
        if response.status_code != 200 or request.method == "HEAD" or not _accepts_gzip():
            return response
        body = self.packed(filename)
        response.close()  # the file send_file opened
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        etag, weak = response.get_etag()
        if etag:  # another body, another tag
            response.set_etag(f"{etag}-gzip", weak=weak)
        return response


def init_app(app: Flask) -> None:
    """Version static URLs, cache static files and compress text answers."""
    versions = file_versions(app.static_folder) if app.static_folder else {}
    app.extensions["minka_static_versions"] = versions
    packer = StaticGzip(app.static_folder) if app.static_folder else None

    @app.url_defaults
    def _static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            version = versions.get(values.get("filename", ""))
            if version:
                values["v"] = version

    @app.after_request
    def _cache_and_compress(response: Response) -> Response:
        if request.endpoint != "static":
            return compress(response)
        filename = (request.view_args or {}).get("filename", "")
        wanted = versions.get(filename)
        if response.status_code in (200, 304):
            versioned = wanted is not None and request.args.get("v") == wanted
            response.headers["Cache-Control"] = VERSIONED_CACHE if versioned else UNVERSIONED_CACHE
        if packer is not None and wanted is not None:  # only files known at start
            return packer.apply(response, filename)
        return response
