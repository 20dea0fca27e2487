"""Build marketplace/gazetteer/districts.csv from the shared gazetteer source CSVs.

Usage: python scripts/build_gazetteer.py [SOURCE_DIR] [--output PATH] [--show-changes]

SOURCE_DIR defaults to ../shared/data/gazetteer relative to the repository root. The
Peruvian source lost its accents; they are restored here (see restore_accents) so that the
runtime module only has to read the generated CSV.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "gazetteer"
DEFAULT_OUTPUT = REPO_ROOT / "marketplace" / "gazetteer" / "districts.csv"

OUTPUT_COLUMNS = ("country", "code", "region", "province", "name", "lat", "lon", "area_km2")

# (file name, expected header, country, region column, province column or None, name column)
SOURCES = (
    (
        "peru_districts.csv",
        "code,region,province,district,lat,lon,area_km2,altitude_m,hdi_2019,poverty_pct",
        "PE",
        "region",
        "province",
        "district",
    ),
    (
        "mexico_municipalities.csv",
        "code,state,municipality,lat,lon",
        "MX",
        "state",
        None,
        "municipality",
    ),
    (
        "colombia_municipalities.csv",
        "code,department,municipality,lat,lon",
        "CO",
        "department",
        None,
        "municipality",
    ),
)

# Coarse country boxes (min_lat, min_lon, max_lat, max_lon); keep in sync with the module.
BOUNDS = {
    "PE": (-18.4, -81.4, -0.03, -68.6),
    "MX": (14.5, -118.5, 32.8, -86.7),
    "CO": (-4.3, -79.1, 13.5, -66.8),
}

# (a) Words whose unaccented form is always wrong in a Peruvian place name.
WORD_ACCENTS: dict[str, str] = {
    # Spanish given names, surnames and common words.
    "Agustin": "Agustín",
    "Albarracin": "Albarracín",
    "Andres": "Andrés",
    "Angel": "Ángel",
    "Anton": "Antón",
    "Ascension": "Ascensión",
    "Asis": "Asís",
    "Barbara": "Bárbara",
    "Barron": "Barrón",
    "Bartolome": "Bartolomé",
    "Belen": "Belén",
    "Beraun": "Beraún",
    "Bermudez": "Bermúdez",
    "Bolivar": "Bolívar",
    "Bombon": "Bombón",
    "Caceres": "Cáceres",
    "Carrion": "Carrión",
    "Cesar": "César",
    "Chavez": "Chávez",
    "Cordova": "Córdova",
    "Cristobal": "Cristóbal",
    "Damaso": "Dámaso",
    "Damian": "Damián",
    "Elias": "Elías",
    "Eslabon": "Eslabón",
    "Fermin": "Fermín",
    "Frias": "Frías",
    "Galvez": "Gálvez",
    "Garcia": "García",
    "Guzman": "Guzmán",
    "Hernandez": "Hernández",
    "Heroes": "Héroes",
    "Heroinas": "Heroínas",
    "Hilarion": "Hilarión",
    "Ines": "Inés",
    "Jeronimo": "Jerónimo",
    "Jesus": "Jesús",
    "Joaquin": "Joaquín",
    "Jose": "José",
    "Leon": "León",
    "Lopez": "López",
    "Lucia": "Lucía",
    "Maria": "María",
    "Marquez": "Márquez",
    "Martin": "Martín",
    "Mejia": "Mejía",
    "Monzon": "Monzón",
    "Nicolas": "Nicolás",
    "Organos": "Órganos",
    "Perez": "Pérez",
    "Peru": "Perú",
    "Pierola": "Piérola",
    "Ramon": "Ramón",
    "Razuri": "Rázuri",
    "Rio": "Río",
    "Rodriguez": "Rodríguez",
    "Roman": "Román",
    "Sanchez": "Sánchez",
    "Sebastian": "Sebastián",
    "Simon": "Simón",
    "Soplin": "Soplín",
    "Tomas": "Tomás",
    "Tupac": "Túpac",
    "Union": "Unión",
    "Valcarcel": "Valcárcel",
    "Valdizan": "Valdizán",
    "Veintiseis": "Veintiséis",
    "Victor": "Víctor",
    # Peruvian place words (regions, provinces, districts) that always carry the accent.
    "Ancash": "Áncash",
    "Apurimac": "Apurímac",
    "Azangaro": "Azángaro",
    "Bongara": "Bongará",
    "Camana": "Camaná",
    "Caraveli": "Caravelí",
    "Celendin": "Celendín",
    "Chavin": "Chavín",
    "Chepen": "Chepén",
    "Chimu": "Chimú",
    "Contumaza": "Contumazá",
    "Huaman": "Huamán",
    "Huamalies": "Huamalíes",
    "Huancane": "Huancané",
    "Huantar": "Huántar",
    "Huanuco": "Huánuco",
    "Huarochiri": "Huarochirí",
    "Huaytara": "Huaytará",
    "Jaen": "Jaén",
    "Julcan": "Julcán",
    "Junin": "Junín",
    "Marañon": "Marañón",
    "Morropon": "Morropón",
    "Oyon": "Oyón",
    "Paucar": "Páucar",
    "Pucara": "Pucará",
    "Purus": "Purús",
    "Viru": "Virú",
}

# (c) Whole names (region, province or district, as spelt in the source) that need accents
# beyond the word and suffix rules. Keys must occur in the source (checked at build time).
NAME_ACCENTS: dict[str, str] = {
    # Demo landscapes.
    "Juanjui": "Juanjuí",  # San Martín, Mariscal Cáceres
    "Polvora": "Pólvora",  # San Martín, Tocache
    "Awajun": "Awajún",  # San Martín, Rioja
    "Yantalo": "Yantaló",  # San Martín, Moyobamba
    "Perene": "Perené",  # Junín, Chanchamayo
    "Vizcatan del Ene": "Vizcatán del Ene",  # Junín, Satipo
    "Daniel Alomias Robles": "Daniel Alomía Robles",  # Huánuco, Leoncio Prado (spelling too)
    "Curimana": "Curimaná",  # Ucayali, Padre Abad
    "Boqueron": "Boquerón",  # Ucayali, Padre Abad
    "Calleria": "Callería",  # Ucayali, Coronel Portillo
    "Iparia": "Iparía",  # Ucayali, Coronel Portillo
    "Copallin": "Copallín",  # Amazonas, Bagua
    "Yamon": "Yamón",  # Amazonas, Utcubamba
    "Chontali": "Chontalí",  # Cajamarca, Jaén
    "Iguain": "Iguaín",  # Ayacucho, Huanta (VRAEM)
    # Elsewhere in Peru (well-attested official spellings).
    "Ancon": "Ancón",
    "Caleta de Carquin": "Caleta de Carquín",
    "Cayalti": "Cayaltí",
    "Chadin": "Chadín",
    "Chiliquin": "Chiliquín",
    "Chiquian": "Chiquián",
    "Chochope": "Chóchope",
    "Cholon": "Cholón",
    "Colan": "Colán",
    "Conchan": "Conchán",
    "Dean Valdivia": "Deán Valdivia",
    "El Tallan": "El Tallán",
    "Huachon": "Huachón",
    "Huancapon": "Huancapón",
    "Huasmin": "Huasmín",
    "Ichocan": "Ichocán",
    "Illimo": "Íllimo",
    "Jazan": "Jazán",
    "Jilili": "Jililí",
    "Lamud": "Lámud",
    "Llamellin": "Llamellín",
    "Lunahuana": "Lunahuaná",
    "Lurin": "Lurín",
    "Mancora": "Máncora",
    "Marias": "Marías",
    "Mochumi": "Mochumí",
    "Monsefu": "Monsefú",
    "Morrope": "Mórrope",
    "Navan": "Naván",
    "Ongon": "Ongón",
    "Oyotun": "Oyotún",
    "Pacaran": "Pacarán",
    "Pachacamac": "Pachacámac",
    "Pachacutec": "Pachacútec",
    "Pacllon": "Pacllón",
    "Paijan": "Paiján",
    "Pion": "Pión",
    "Pucala": "Pucalá",
    "Quilmana": "Quilmaná",
    "Rimac": "Rímac",
    "Saman": "Samán",
    "San Cristobal de Rajan": "San Cristóbal de Raján",
    "San Gaban": "San Gabán",
    "San Jeronimo de Tunan": "San Jerónimo de Tunán",
    "Sayan": "Sayán",
    "Sondor": "Sóndor",
    "Tahuania": "Tahuanía",
    "Tucume": "Túcume",
    "Tuman": "Tumán",
    "Tumbaden": "Tumbadén",
    "Uñon": "Uñón",
    "Yonan": "Yonán",
    "Yurua": "Yurúa",
    "Zuñiga": "Zúñiga",
}

_WORD_RE = re.compile(r"[^\W\d_]+")


def _fix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if word in WORD_ACCENTS:
        return WORD_ACCENTS[word]
    if word.endswith("cion"):  # (b) Spanish -cion is always -ción (Concepción, Asunción).
        return word[:-4] + "ción"
    return word


def restore_accents(name: str) -> str:
    """Return a Peruvian place name with its Spanish accents restored."""
    if name in NAME_ACCENTS:
        return NAME_ACCENTS[name]
    return _WORD_RE.sub(_fix_word, name)


def sort_key(text: str) -> str:
    """Accent-insensitive key; ñ sorts after n as in Spanish."""
    text = text.casefold().replace("ñ", "n~")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _read_source(path: Path, header: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if ",".join(reader.fieldnames or []) != header:
            raise SystemExit(f"{path}: unexpected header {reader.fieldnames!r}")
        return list(reader)


def _in_bounds(country: str, lat: str, lon: str) -> bool:
    min_lat, min_lon, max_lat, max_lon = BOUNDS[country]
    return min_lat <= float(lat) <= max_lat and min_lon <= float(lon) <= max_lon


def build_rows(source_dir: Path) -> tuple[list[dict[str, str]], list[tuple[str, str, str]]]:
    """Read the three sources; return the output rows and the accent fixes made."""
    rows: list[dict[str, str]] = []
    changes: list[tuple[str, str, str]] = []
    used_names: set[str] = set()
    errors: list[str] = []
    for file_name, header, country, region_col, province_col, name_col in SOURCES:
        seen: set[str] = set()
        for src in _read_source(source_dir / file_name, header):
            code = src["code"].strip()
            if not code.isdigit() or code in seen:
                errors.append(f"{file_name}: bad or duplicate code {code!r}")
            seen.add(code)
            region, province = src[region_col].strip(), (src[province_col] if province_col else "")
            name = src[name_col].strip()
            if country == "PE":
                fixed = {}
                for key, old in (("region", region), ("province", province), ("name", name)):
                    new = restore_accents(old)
                    fixed[key] = new
                    if old in NAME_ACCENTS:
                        used_names.add(old)
                    change = (code if key == "name" else key, old, new)
                    if new != old and change not in changes:
                        changes.append(change)
                region, province, name = fixed["region"], fixed["province"], fixed["name"]
            lat, lon = src["lat"].strip(), src["lon"].strip()
            if bool(lat) != bool(lon):
                errors.append(f"{file_name}: {code} has only one coordinate")
            elif lat and not _in_bounds(country, lat, lon):
                errors.append(f"{file_name}: {code} lies outside the {country} box")
            area = src.get("area_km2", "").strip()
            rows.append(
                {
                    "country": country,
                    "code": code,
                    "region": region,
                    "province": province.strip(),
                    "name": name,
                    "lat": lat,
                    "lon": lon,
                    "area_km2": area,
                }
            )
    unused = sorted(set(NAME_ACCENTS) - used_names)
    if unused:
        errors.append(f"NAME_ACCENTS keys not found in the source: {unused}")
    if errors:
        raise SystemExit("\n".join(errors))
    rows.sort(key=lambda r: (r["country"], sort_key(r["region"]), sort_key(r["name"]), r["code"]))
    return rows, changes


def write_csv(rows: list[dict[str, str]], output: Path) -> None:
    """Write the rows as a compact UTF-8 CSV with a header row."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=OUTPUT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--show-changes", action="store_true", help="list every accent fix")
    args = parser.parse_args(argv)

    rows, changes = build_rows(args.source_dir)
    write_csv(rows, args.output)
    counts = Counter(r["country"] for r in rows)
    no_coords = sum(1 for r in rows if not r["lat"])
    print(f"wrote {len(rows)} rows to {args.output}: {dict(sorted(counts.items()))}")
    print(f"{no_coords} rows without coordinates; {len(changes)} accent fixes")
    if args.show_changes:
        for code, old, new in changes:  # code is "region"/"province" for those fixes
            print(f"  {code:8} {old} -> {new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
