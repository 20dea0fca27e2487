from marketplace.phones import normalize_phone, phone_candidates


def test_local_numbers_get_the_country_code():
    assert normalize_phone("987 654 321", "PE") == "+51987654321"
    assert normalize_phone("300-123-4567", "CO") == "+573001234567"
    assert normalize_phone("961 123 4567", "MX") == "+529611234567"


def test_international_forms_are_kept():
    assert normalize_phone("+51 987654321", None) == "+51987654321"
    assert normalize_phone("0051987654321", None) == "+51987654321"


def test_garbage_is_refused():
    assert normalize_phone("hola", "PE") is None
    assert normalize_phone("123", "PE") is None
    assert normalize_phone("", "PE") is None


def test_sign_in_candidates_cover_each_country():
    assert "+51987654321" in phone_candidates("987654321")
    assert phone_candidates("+51987654321") == ["+51987654321"]
