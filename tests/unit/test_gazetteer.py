"""Unit tests for marketplace.gazetteer (pure Python, no Flask app needed)."""

from __future__ import annotations

import csv
import importlib.util
import math
import re
from pathlib import Path

import pytest

from marketplace import gazetteer
from marketplace.gazetteer import (
    COUNTRIES,
    District,
    check_coordinates,
    country_bounds,
    districts,
    get_district,
    haversine_km,
    max_distance_km,
    regions,
    sort_key,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
JUANJUI = "220601"  # San Martín, Mariscal Cáceres, Juanjuí
LIMA_LAT, LIMA_LON = -12.045278, -77.030833

PERU_REGIONS = [
    "Amazonas",
    "Áncash",
    "Apurímac",
    "Arequipa",
    "Ayacucho",
    "Cajamarca",
    "Callao",
    "Cusco",
    "Huancavelica",
    "Huánuco",
    "Ica",
    "Junín",
    "La Libertad",
    "Lambayeque",
    "Lima",
    "Loreto",
    "Madre de Dios",
    "Moquegua",
    "Pasco",
    "Piura",
    "Puno",
    "San Martín",
    "Tacna",
    "Tumbes",
    "Ucayali",
]

# Unaccented forms that must not survive in any Peruvian region or province name.
WRONG_WORDS = {
    "Ancash",
    "Apurimac",
    "Bolivar",
    "Caceres",
    "Carrion",
    "Celendin",
    "Concepcion",
    "Convencion",
    "Huanuco",
    "Jaen",
    "Junin",
    "Maranon",
    "Marañon",
    "Martin",
    "Morropon",
    "Ramon",
    "Roman",
    "Rodriguez",
    "Sanchez",
    "Union",
}


def test_counts_per_country() -> None:
    counts = {c: len(gazetteer.all_districts(c)) for c in COUNTRIES}
    assert counts == {"PE": 1890, "MX": 815, "CO": 167}


def test_codes_unique_and_zero_padded() -> None:
    everything = gazetteer.all_districts()
    assert len({(d.country, d.code) for d in everything}) == len(everything)
    assert all(len(d.code) == 6 for d in everything if d.country == "PE")
    assert all(len(d.code) == 5 for d in everything if d.country != "PE")
    assert get_district("MX", "04001") is not None


def test_peru_regions_have_accents() -> None:
    assert regions("PE") == PERU_REGIONS


def test_no_unaccented_peruvian_region_or_province() -> None:
    peru = gazetteer.all_districts("PE")
    names = {d.region for d in peru} | {d.province for d in peru}
    for name in names:
        assert not WRONG_WORDS & set(re.findall(r"[^\W\d_]+", name)), name
    assert {"Mariscal Cáceres", "La Convención", "Jaén", "Morropón", "Marañón"} <= names


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (JUANJUI, "Juanjuí"),
        ("120302", "Perené"),
        ("120608", "Río Tambo"),
        ("221003", "Pólvora"),
        ("250303", "Curimaná"),
        ("100606", "Mariano Dámaso Beraún"),
        ("100602", "Daniel Alomía Robles"),
        ("220301", "San José de Sisa"),
        ("010102", "Asunción"),
        ("050507", "Santa Rosa"),
        ("220907", "Huimbayoc"),
        ("221005", "Uchiza"),
    ],
)
def test_district_names(code: str, name: str) -> None:
    district = get_district("PE", code)
    assert district is not None
    assert district.name == name


def test_juanjui_in_mariscal_caceres() -> None:
    names = {d.name for d in districts("PE", "San Martín") if d.province == "Mariscal Cáceres"}
    assert names == {"Juanjuí", "Campanilla", "Huicungo", "Pachiza", "Pajarillo"}


def test_mexico_and_colombia_names_unchanged() -> None:
    assert "Yucatán" in regions("MX")
    assert "Nariño" in regions("CO")
    assert get_district("CO", "19001").name == "Popayán"  # type: ignore[union-attr]
    assert all(d.province == "" and d.area_km2 is None for d in gazetteer.all_districts("MX"))


def test_districts_of_region() -> None:
    san_martin = districts("PE", "San Martín")
    assert len(san_martin) == 78
    assert all(d.country == "PE" and d.region == "San Martín" for d in san_martin)
    keys = [(sort_key(d.name), sort_key(d.province)) for d in san_martin]
    assert keys == sorted(keys)
    assert districts("PE", "San Martin") == []
    assert districts("XX", "San Martín") == []


def test_regions_sorted_accent_insensitively() -> None:
    for country in COUNTRIES:
        names = regions(country)
        assert names == sorted(names, key=sort_key)
    assert regions("MX") == ["Campeche", "Chiapas", "Oaxaca", "Quintana Roo", "Yucatán"]
    assert regions("XX") == []
    assert sort_key("Áncash") < sort_key("Apurímac") < sort_key("Arequipa")
    assert sort_key("Nuñoa") > sort_key("Nunoa") and sort_key("Ñahuimpuquio") < sort_key("Oyón")


def test_get_district() -> None:
    juanjui = get_district("PE", JUANJUI)
    assert isinstance(juanjui, District)
    assert (juanjui.region, juanjui.province, juanjui.name) == (
        "San Martín",
        "Mariscal Cáceres",
        "Juanjuí",
    )
    assert juanjui.lat == pytest.approx(-7.176667)
    assert juanjui.area_km2 == pytest.approx(335.19)
    assert get_district("PE", "999999") is None
    assert get_district("MX", JUANJUI) is None


def test_missing_coordinates_kept() -> None:
    no_coords = [d for d in gazetteer.all_districts() if d.lat is None]
    assert len(no_coords) == 16
    assert all(d.country == "PE" and d.lon is None for d in no_coords)
    putis = get_district("PE", "050413")
    assert putis is not None and not putis.has_coordinates


def test_label() -> None:
    assert get_district("PE", JUANJUI).label == "Juanjuí (Mariscal Cáceres)"  # type: ignore[union-attr]
    assert get_district("CO", "19001").label == "Popayán"  # type: ignore[union-attr]
    assert get_district("MX", "04001").label == "Calkiní"  # type: ignore[union-attr]


def test_all_seats_inside_country_bounds() -> None:
    for d in gazetteer.all_districts():
        if d.lat is None or d.lon is None:
            continue
        min_lat, min_lon, max_lat, max_lon = country_bounds(d.country)
        assert min_lat <= d.lat <= max_lat and min_lon <= d.lon <= max_lon, d


def test_country_bounds_unknown() -> None:
    with pytest.raises(ValueError):
        country_bounds("US")


def test_haversine() -> None:
    assert haversine_km(0, 0, 0, 0) == 0
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.2, abs=0.1)
    assert haversine_km(-7.1767, -76.7239, LIMA_LAT, LIMA_LON) == pytest.approx(
        haversine_km(LIMA_LAT, LIMA_LON, -7.1767, -76.7239)
    )


def test_max_distance_km() -> None:
    small = District("PE", "1", "R", "P", "N", 0.0, 0.0, 10.0)
    big = District("PE", "2", "R", "P", "N", 0.0, 0.0, 10_000.0)
    unknown = District("PE", "3", "R", "P", "N", 0.0, 0.0, None)
    assert max_distance_km(small) == 25
    assert max_distance_km(big) == pytest.approx(2.5 * math.sqrt(10_000 / math.pi))
    assert max_distance_km(unknown) == 80


def test_check_coordinates() -> None:
    juanjui = get_district("PE", JUANJUI)
    assert juanjui is not None and juanjui.lat is not None and juanjui.lon is not None
    assert check_coordinates("PE", JUANJUI, juanjui.lat, juanjui.lon) is None
    assert check_coordinates("PE", JUANJUI, juanjui.lat + 0.1, juanjui.lon) is None
    assert check_coordinates("PE", JUANJUI, LIMA_LAT, LIMA_LON) == "far_from_district"
    assert check_coordinates("PE", JUANJUI, 40.0, -3.7) == "outside_country"
    assert check_coordinates("PE", JUANJUI, math.nan, -76.7) == "outside_country"
    assert check_coordinates("PE", "999999", LIMA_LAT, LIMA_LON) == "unknown_district"
    # A district without coordinates: only the country box is checked.
    assert check_coordinates("PE", "050413", LIMA_LAT, LIMA_LON) is None
    assert check_coordinates("CO", "19001", 2.48, -76.57) is None


def test_shipped_csv_header() -> None:
    path = REPO_ROOT / "marketplace" / "gazetteer" / "districts.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["country", "code", "region", "province", "name", "lat", "lon", "area_km2"]


def test_builder_reproduces_shipped_csv(tmp_path: Path) -> None:
    script = REPO_ROOT / "scripts" / "build_gazetteer.py"
    spec = importlib.util.spec_from_file_location("build_gazetteer", script)
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    if not (builder.DEFAULT_SOURCE / "peru_districts.csv").exists():
        pytest.skip("gazetteer source folder not available")
    out = tmp_path / "districts.csv"
    assert builder.main(["--output", str(out)]) == 0
    shipped = REPO_ROOT / "marketplace" / "gazetteer" / "districts.csv"
    assert out.read_bytes() == shipped.read_bytes()
