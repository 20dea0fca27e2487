import pytest

from marketplace.producers.national_id import is_valid, normalize


@pytest.mark.parametrize(
    ("country", "raw", "ok"),
    [
        ("PE", "41234567", True),
        ("PE", "4123 4567", True),
        ("PE", "4123456", False),
        ("PE", "412345678", False),
        ("PE", "4123456A", False),
        ("CO", "123456", True),
        ("CO", "1234567890", True),
        ("CO", "1.234.567", True),
        ("CO", "12345", False),
        ("CO", "12345678901", False),
        ("CO", "0123456", False),
        ("MX", "HEGG560427MVZRRL04", True),
        ("MX", "hegg560427mvzrrl04", True),
        ("MX", "HEGG560427MVZRRL05", False),  # wrong check digit
        ("MX", "HEGG561327MVZRRL04", False),  # month 13
        ("MX", "HEGG560427MXXRRL04", False),  # no such state
        ("MX", "HEGG560427MVZRR", False),
        ("MX", "41234567", False),
    ],
)
def test_national_id_forms(country, raw, ok):
    assert is_valid(country, normalize(country, raw)) is ok
