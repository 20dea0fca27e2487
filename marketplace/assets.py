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


def init_app(app: Flask) -> None:
    """Version static URLs, cache static files and compress text answers."""
    versions = file_versions(app.static_folder) if app.static_folder else {}
    app.extensions["minka_static_versions"] = versions

    @app.url_defaults
    def _static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            version = versions.get(values.get("filename", ""))
            if version:
                values["v"] = version

    @app.after_request
    def _cache_and_compress(response: Response) -> Response:
        if request.endpoint == "static":
            if response.status_code in (200, 304):
                wanted = versions.get(request.view_args.get("filename", ""))
                versioned = wanted is not None and request.args.get("v") == wanted
                response.headers["Cache-Control"] = (
                    VERSIONED_CACHE if versioned else UNVERSIONED_CACHE
                )
            return response
        return compress(response)
