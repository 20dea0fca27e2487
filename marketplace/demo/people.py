"""People of the demo world: names as they are in each region, national ids and phones.

Draws are vectorised with a numpy ``Generator``; everything is deterministic for its seed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import numpy as np

from marketplace.demo.names import FEMALE, MALE, SURNAMES
from marketplace.producers.national_id import _curp_check_digit

PHONE_PREFIXES = {
    # Peru: mobiles are 9 + 8 digits. Mexico: area code (3) + 7. Colombia: 3xx + 7.
    "PE": ("519",),
    "MX": ("52962", "52918", "52958", "52996", "52997", "52983", "52982"),
    "CO": (
        "57310",
        "57311",
        "57312",
        "57313",
        "57314",
        "57315",
        "57320",
        "57321",
        "57300",
        "57301",
        "57316",
        "57318",
    ),
}
CURP_OTHER_STATES = ("VZ", "TC", "PL", "GR", "DF", "CS")
_CURP_PARTICLES = {
    "DA",
    "DAS",
    "DE",
    "DEL",
    "DER",
    "DI",
    "DIE",
    "DD",
    "EL",
    "LA",
    "LOS",
    "LAS",
    "LE",
    "LES",
    "MAC",
    "MC",
    "VAN",
    "VON",
    "Y",
}
# Words RENAPO never lets the first four letters of a CURP spell (the second becomes X).
_CURP_BAD_WORDS = {
    "BACA",
    "BAKA",
    "BUEI",
    "BUEY",
    "CACA",
    "CACO",
    "CAGA",
    "CAGO",
    "CAKA",
    "CAKO",
    "COGE",
    "COGI",
    "COJA",
    "COJE",
    "COJI",
    "COJO",
    "COLA",
    "CULO",
    "FALO",
    "FETO",
    "GETA",
    "GUEI",
    "GUEY",
    "JETA",
    "JOTO",
    "KACA",
    "KACO",
    "KAGA",
    "KAGO",
    "KAKA",
    "KAKO",
    "KOGE",
    "KOGI",
    "KOJA",
    "KOJE",
    "KOJI",
    "KOJO",
    "KOLA",
    "KULO",
    "LILO",
    "LOCA",
    "LOCO",
    "LOKA",
    "LOKO",
    "MAME",
    "MAMO",
    "MEAR",
    "MEAS",
    "MEON",
    "MIAR",
    "MION",
    "MOCO",
    "MOKO",
    "MULA",
    "MULO",
    "NACA",
    "NACO",
    "PEDA",
    "PEDO",
    "PENE",
    "PIPI",
    "PITO",
    "POPO",
    "PUTA",
    "PUTO",
    "QULO",
    "RATA",
    "ROBA",
    "ROBE",
    "ROBO",
    "RUIN",
    "SENO",
    "TETA",
    "VACA",
    "VAGA",
    "VAGO",
    "VAKA",
    "VUEI",
    "VUEY",
    "WUEI",
    "WUEY",
}
_VOWELS = set("AEIOU")


def choose(rng: np.random.Generator, pool: tuple[str, ...], n: int) -> list[str]:
    """`n` names drawn uniformly (with replacement) from `pool`."""
    return [pool[i] for i in rng.integers(0, len(pool), n).tolist()]


def pool_for(keys: Iterable[str]) -> tuple[str, ...]:
    """Concatenate the named surname pools (a repeated key weighs more)."""
    return tuple(name for key in keys for name in SURNAMES[key])


def given_names(rng: np.random.Generator, country: str, female: np.ndarray) -> list[str]:
    """First names by sex; about a third carry a second given name ("María Elena")."""
    n = len(female)
    out = []
    firsts = {True: FEMALE[country], False: MALE[country]}
    idx1 = rng.random(n)
    idx2 = rng.random(n)
    second = rng.random(n) < 0.33
    for fem, a, b, two in zip(
        female.tolist(), idx1.tolist(), idx2.tolist(), second.tolist(), strict=True
    ):
        pool = firsts[fem]
        first = pool[int(a * len(pool))]
        if two and " " not in first:
            other = pool[int(b * len(pool))]
            if other != first and " " not in other:
                first = f"{first} {other}"
        out.append(first)
    return out


def unique_ints(
    rng: np.random.Generator, low: int, high: int, n: int, taken: set[int] | None = None
) -> np.ndarray:
    """`n` distinct integers in [low, high), none in `taken`, in draw order."""
    taken = taken or set()
    got: list[int] = []
    seen: set[int] = set(taken)
    while len(got) < n:
        need = n - len(got)
        for value in rng.integers(low, high, need + need // 8 + 16).tolist():
            if value not in seen:
                seen.add(value)
                got.append(value)
                if len(got) == n:
                    break
    return np.asarray(got, dtype=np.int64)


def dnis(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    """Peruvian DNIs: 8 digits, unique."""
    taken_ints = {int(x) for x in taken if x.isdigit()}
    return [f"{v:08d}" for v in unique_ints(rng, 1_000_000, 48_000_000, n, taken_ints).tolist()]


def cedulas(rng: np.random.Generator, birth_years: np.ndarray, taken: set[str]) -> list[str]:
    """Colombian cédulas: 7–8 digits for older people, 10 (10xxxxxxxx) for the young."""
    taken_ints = {int(x) for x in taken if x.isdigit()}
    n = len(birth_years)
    old = unique_ints(rng, 4_000_000, 99_000_000, n, taken_ints)
    young = unique_ints(rng, 1_000_000_000, 1_130_000_000, n, taken_ints)
    chosen = np.where(birth_years >= 1988, young, old)
    return [str(v) for v in chosen.tolist()]


def phones(rng: np.random.Generator, country: str, n: int, taken: set[str]) -> list[str]:
    """Unique mobile numbers in the stored '+<digits>' form."""
    prefixes = PHONE_PREFIXES[country]
    width = 8 if country == "PE" else 7
    low = 10 ** (width - 1) * 2  # subscriber numbers do not start with 0 or 1
    size = 10**width - low
    # Encode (prefix index, subscriber number) as one integer to draw without repeats.
    taken_codes = set()
    for phone in taken:
        for i, prefix in enumerate(prefixes):
            if phone.startswith("+" + prefix) and len(phone) == 1 + len(prefix) + width:
                taken_codes.add(i * size + int(phone[1 + len(prefix) :]) - low)
    codes = unique_ints(rng, 0, len(prefixes) * size, n, taken_codes)
    out = []
    for code in codes.tolist():
        prefix, number = divmod(code, size)
        out.append(f"+{prefixes[prefix]}{low + number}")
    return out


def _plain(text: str) -> str:
    """Upper case without accents; Ñ becomes X as in the CURP."""
    text = text.upper().replace("Ñ", "X")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _core_word(text: str, skip_common_first: bool = False) -> str:
    words = [w for w in _plain(text).replace("-", " ").split() if w not in _CURP_PARTICLES]
    if skip_common_first and len(words) > 1 and words[0] in {"MARIA", "MA", "JOSE", "J"}:
        words = words[1:]
    return words[0] if words else "X"


def _first_inner(word: str, vowels: bool) -> str:
    for ch in word[1:]:
        if (ch in _VOWELS) == vowels and ch.isalpha():
            return ch
    return "X"


def curp(
    first: str,
    paterno: str,
    materno: str,
    born: tuple[int, int, int],
    sex: str,
    state: str,
    homonymy: int = 0,
) -> str:
    """A CURP that passes the check digit: name letters, birth date, sex, state."""
    p, m, n = _core_word(paterno), _core_word(materno), _core_word(first, True)
    head = p[0] + _first_inner(p, True) + m[0] + n[0]
    if head in _CURP_BAD_WORDS:
        head = head[0] + "X" + head[2:]
    year, month, day = born
    mark = str(homonymy) if year < 2000 else chr(ord("A") + homonymy)
    body = (
        f"{head}{year % 100:02d}{month:02d}{day:02d}{sex}{state}"
        f"{_first_inner(p, False)}{_first_inner(m, False)}{_first_inner(n, False)}{mark}"
    )
    return body + str(_curp_check_digit(body))


def curps(
    rng: np.random.Generator,
    firsts: list[str],
    lasts: list[tuple[str, str]],
    birth_years: np.ndarray,
    female: np.ndarray,
    states: list[str],
    taken: set[str],
) -> list[str]:
    """Unique CURPs for Mexican producers (the homonymy character breaks ties)."""
    n = len(firsts)
    months = rng.integers(1, 13, n).tolist()
    days = rng.integers(1, 29, n).tolist()  # every month has a 28th
    away = (rng.random(n) < 0.15).tolist()
    other = rng.integers(0, len(CURP_OTHER_STATES), n).tolist()
    seen = set(taken)
    out = []
    for i in range(n):
        state = CURP_OTHER_STATES[other[i]] if away[i] else states[i]
        sex = "M" if female[i] else "H"
        born = (int(birth_years[i]), months[i], days[i])
        value = ""
        for attempt in range(280):  # namesakes born the same day: next mark, then next day
            day = (born[2] - 1 + attempt // 10) % 28 + 1
            value = curp(
                firsts[i],
                lasts[i][0],
                lasts[i][1],
                (born[0], born[1], day),
                sex,
                state,
                attempt % 10,
            )
            if value not in seen:
                break
        seen.add(value)
        out.append(value)
    return out


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits only (for e-mail local parts)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())
