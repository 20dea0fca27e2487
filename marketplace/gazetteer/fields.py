"""A place chosen from the gazetteer (a region, then a district): form fields, checks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from marketplace import gazetteer

CHOOSE = _l("— Elija —")
REGION = _l("Región, departamento o estado")
DISTRICT = _l("Distrito o municipio")


def region_field(label=REGION) -> SelectField:
    """A region select; its choices depend on the country (see `fill_place_choices`)."""
    return SelectField(
        label, [DataRequired(_l("Elija una región de la lista."))], validate_choice=False
    )


def district_field(label=DISTRICT, description=None) -> SelectField:
    """A district select; the service checks that it belongs to the chosen region."""
    return SelectField(
        label,
        [DataRequired(_l("Elija un distrito de la lista."))],
        validate_choice=False,
        description=description,
    )


def fill_place_choices(form, country: str, region: str) -> None:
    """Offer the country's regions and the chosen region's districts."""
    form.region.choices = [("", CHOOSE)] + [(name, name) for name in gazetteer.regions(country)]
    form.district_code.choices = [("", CHOOSE)] + [
        (d.code, d.label) for d in gazetteer.districts(country, region)
    ]


def place_problems(
    country: str, region: str, district_code: str, lat: float | None, lon: float | None
) -> dict[str, str]:
    """What is wrong with a chosen place, by form field: the district must belong to the
    region, and coordinates (when given) must lie in the country and near the district."""
    district = gazetteer.get_district(country, district_code)
    if district is None:
        return {"district_code": _l("Elija un distrito de la lista.")}
    if district.region != region:
        return {"district_code": _l("Ese distrito no pertenece a la región elegida.")}
    if lat is None or lon is None:
        return {}
    where = gazetteer.check_coordinates(country, district_code, lat, lon)
    if where == "outside_country":
        return {"lat": _l("Las coordenadas quedan fuera del país elegido.")}
    if where == "far_from_district":
        return {
            "lat": _l(
                "Las coordenadas quedan lejos del distrito %(name)s. Revíselas.",
                name=district.name,
            )
        }
    return {}
