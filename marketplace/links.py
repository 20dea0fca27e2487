"""Paths to Minka's pages for what services store or send (a notification's link).

Built from the routes, so a renamed URL cannot leave a stale link behind; it works without a
request too (the matching worker and the CLI notify people as well).
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values) -> str:
    """The path of a page, e.g. ``path_for("orders.detail", order_id=7)`` -> "/pedidos/7"."""
    if has_request_context():
        return url_for(endpoint, **values)
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    return current_app.url_map.bind("", script_name=root).build(endpoint, values)


def directions_url(lat: float, lon: float) -> str:
    """OpenStreetMap's directions to a point (lat, lon), from wherever the reader starts: a
    plain link, nothing of the map is loaded by Minka's pages."""
    point = f"{lat:.5f},{lon:.5f}"
    return (
        f"https://www.openstreetmap.org/directions?route=%3B{point.replace(',', '%2C')}"
        f"#map=15/{lat:.5f}/{lon:.5f}"
    )
