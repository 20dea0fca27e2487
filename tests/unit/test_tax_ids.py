"""Tax ids of organizations: SUNAT's RUC, DIAN's NIT and SAT's RFC, with real ids."""

import pytest

from marketplace import tax_ids
from marketplace.errors import DomainError


@pytest.mark.parametrize(
    ("country", "raw", "stored"),
    [
        ("PE", "20100070970", "20100070970"),  # SUNAT's own examples
        ("PE", "20131312955", "20131312955"),
        ("PE", "20100047218", "20100047218"),
        ("PE", " 20100070970 ", "20100070970"),
        ("CO", "800197268-4", "800197268-4"),  # DIAN
        ("CO", "860.034.313-7", "860034313-7"),
        ("CO", "900 123 456 8", "900123456-8"),
        ("CO", "8001972684", "800197268-4"),
        ("MX", "CFE370814QI0", "CFE370814QI0"),  # persona moral, 12 characters
        ("MX", "PME380607P35", "PME380607P35"),
        ("MX", "wmt970714r10", "WMT970714R10"),
        ("MX", "SAT970701NN3", "SAT970701NN3"),
        ("MX", "GODE561231GR8", "GODE561231GR8"),  # persona física, 13 characters
    ],
)
def test_real_tax_ids_are_accepted_and_stored_normalised(country, raw, stored):
    assert tax_ids.parse(country, raw) == stored
    assert tax_ids.is_valid(country, stored)


@pytest.mark.parametrize(
    ("country", "raw", "message"),
    [
        ("PE", "2010007097", "El RUC debe tener 11 dígitos."),
        ("PE", "2010007097A", "El RUC debe tener 11 dígitos."),
        ("PE", "30100070970", "El RUC debe empezar por 10, 15, 17 o 20."),
        ("PE", "20100070971", "El dígito verificador del RUC no corresponde."),
        ("CO", "800197268-5", "El dígito verificador del NIT no corresponde."),
        ("CO", "12345", "El NIT tiene de 6 a 15 dígitos"),
        ("CO", "80019726A-4", "El NIT tiene de 6 a 15 dígitos"),
        ("MX", "CFE370814QI1", "El dígito verificador del RFC no corresponde."),
        ("MX", "CFE371314QI0", "La fecha del RFC no es una fecha real."),
        ("MX", "CFE370230QI0", "La fecha del RFC no es una fecha real."),
        ("MX", "CF370814QI0", "El RFC tiene 12 caracteres"),
        ("MX", "", "Escriba el número de identificación tributaria."),
    ],
)
def test_wrong_tax_ids_are_refused_in_spanish(app, country, raw, message):
    with pytest.raises(DomainError) as refused:
        tax_ids.parse(country, raw)
    assert refused.value.field == "tax_id"
    assert str(refused.value.message).startswith(message)


@pytest.mark.parametrize(
    ("first_ten", "digit"),
    [
        ("2010007097", 0),  # weighted sum mod 11 = 1: 11 - 1 = 10 -> 0
        ("2010000013", 1),  # mod 11 = 0: 11 - 0 = 11 -> 1
        ("2013131295", 5),  # mod 11 = 6: 11 - 6 = 5
    ],
)
def test_ruc_check_digit_maps_ten_to_zero_and_eleven_to_one(first_ten, digit):
    assert tax_ids.ruc_check_digit(first_ten) == digit


def test_nit_check_digit_keeps_remainders_zero_and_one():
    weights = (3, 7, 13, 17, 19, 23, 29, 37, 41)
    for number in (f"9001234{n:02d}" for n in range(100)):
        remainder = sum(int(d) * w for d, w in zip(reversed(number), weights, strict=True)) % 11
        expected = remainder if remainder < 2 else 11 - remainder
        assert tax_ids.nit_check_digit(number) == expected


def test_rfc_check_digit_ten_is_written_a():
    # search a persona moral whose check character is "A"
    first = next(
        f"ABC0101{n:02d}XY"
        for n in range(1, 29)
        if tax_ids.rfc_check_digit(f"ABC0101{n:02d}XY") == "A"
    )
    assert tax_ids.is_valid("MX", first + "A")


def test_a_february_29_counts_only_in_leap_years(app):
    leap = "ABC000229XY" + tax_ids.rfc_check_digit("ABC000229XY")
    assert tax_ids.is_valid("MX", leap)
    with pytest.raises(DomainError):
        tax_ids.parse("MX", "ABC010229XY" + tax_ids.rfc_check_digit("ABC010229XY"))


@pytest.mark.parametrize(
    ("country", "body"), [("PE", "2060000001"), ("CO", "900000001"), ("MX", "CMJ150301A1")]
)
def test_with_check_digit_makes_valid_ids(country, body):
    assert tax_ids.is_valid(country, tax_ids.with_check_digit(country, body))
