"""JSON lists of regions and districts, so forms can update their selects without reloading."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from marketplace import gazetteer

bp = Blueprint("gazetteer", __name__, url_prefix="/api/gazetteer")


def _country() -> str:
    country = request.args.get("country", "")
    if country not in gazetteer.COUNTRIES:
        abort(400)
    return country


@bp.get("/regions")
def regions():
    return jsonify(regions=gazetteer.regions(_country()))


@bp.get("/districts")
def districts():
    country = _country()
    region = request.args.get("region", "")
    items = [{"code": d.code, "label": d.label} for d in gazetteer.districts(country, region)]
    if not items:
        abort(404)
    return jsonify(districts=items)


@bp.app_template_global("district_label")
def district_label(country: str, code: str) -> str:
    """A district's name for display, or its code when unknown."""
    district = gazetteer.get_district(country, code)
    return district.label if district else code
