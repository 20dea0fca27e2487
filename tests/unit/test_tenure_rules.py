"""The tenure documents' rules as data: which country issues each kind, what it proves, the
registry numbers' formats, the fields' checks and the holder's name against the producer's."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.models import Tenure, TenureDocKind
from marketplace.models.producers import TENURE_BY_COUNTRY
from marketplace.traceability import tenure_rules
from marketplace.traceability.tenure_rules import RULES, Upload, holder_matches, problems

TODAY = date(2026, 12, 7)


def upload(**overrides) -> Upload:
    values = {
        "kind": "pe_title",
        "number": "11023456",
        "authority": "SUNARP Tarapoto",
        "issued_on": date(2015, 3, 2),
        "holder_name": "QUISPE MAMANI ROSA",
        "data": b"%PDF-1.4 x",
    }
    return Upload(**(values | overrides))


def test_every_kind_has_a_rule_and_proves_a_tenure_its_countries_issue():
    assert set(RULES) == set(TenureDocKind)
    for kind, rule in RULES.items():
        for country in rule.countries:
            assert rule.tenure in TENURE_BY_COUNTRY[country], (kind, country)


def test_each_country_offers_its_own_documents():
    assert set(tenure_rules.kinds_for("PE")) == {
        TenureDocKind.PE_TITLE,
        TenureDocKind.PE_POSSESSION,
        TenureDocKind.PE_USE_GRANT,
        TenureDocKind.LEASE,
    }
    assert TenureDocKind.CO_REGISTRY in tenure_rules.kinds_for("CO")
    assert TenureDocKind.MX_PARCEL in tenure_rules.kinds_for("MX")
    assert TenureDocKind.MX_PARCEL not in tenure_rules.kinds_for("PE")
    assert set(tenure_rules.kinds_proving(Tenure.TITLE)) == {
        TenureDocKind.PE_TITLE,
        TenureDocKind.CO_REGISTRY,
        TenureDocKind.CO_ADJUDICATION,
        TenureDocKind.MX_TITLE,
    }


@pytest.mark.parametrize(
    ("kind", "country", "tenure", "number", "stored"),
    [
        ("pe_title", "PE", "title", "11023456", "11023456"),
        ("pe_title", "PE", "title", " p2401 2345 ", "P24012345"),
        ("co_registry", "CO", "title", "050 – 1234567", "050-1234567"),
        ("co_registry", "CO", "title", "370-9", "370-9"),
        ("mx_parcel", "MX", "parcel_certificate", "000000203842", "000000203842"),
        ("mx_common_use", "MX", "agrarian_rights", "1234.5678", "12345678"),
        ("pe_possession", "PE", "possession", "CP-045/2019", "CP-045/2019"),
    ],
)
def test_registry_numbers_that_pass_are_stored_normalised(kind, country, tenure, number, stored):
    assert problems(upload(kind=kind, number=number), country, tenure, TODAY) == {}
    assert tenure_rules.normalise_number(TenureDocKind(kind), number) == stored


@pytest.mark.parametrize(
    ("kind", "country", "tenure", "number", "says"),
    [
        ("pe_title", "PE", "title", "1102345", "8 dígitos"),
        ("pe_title", "PE", "title", "X11023456", "8 dígitos"),
        ("co_registry", "CO", "title", "0501234567", "círculo registral"),
        ("co_registry", "CO", "title", "05-1234567", "círculo registral"),
        ("co_registry", "CO", "title", "050-123456789", "círculo registral"),
        ("mx_parcel", "MX", "parcel_certificate", "12345", "RAN"),
        ("mx_parcel", "MX", "parcel_certificate", "AB123456", "RAN"),
        ("pe_possession", "PE", "possession", "<script>", "hasta 40"),
        ("pe_title", "PE", "title", "", "Escriba el número"),
    ],
)
def test_a_malformed_number_is_refused_with_a_spanish_message(kind, country, tenure, number, says):
    found = problems(upload(kind=kind, number=number), country, tenure, TODAY)
    assert set(found) == {"number"} and says in found["number"]


def test_a_kind_from_another_country_is_refused():
    found = problems(upload(kind="mx_parcel", number="000000203842"), "PE", "title", TODAY)
    assert "país de la finca" in found["kind"]
    assert "kind" in problems(upload(kind="bogus"), "PE", "title", TODAY)


def test_a_document_for_another_tenure_than_the_declared_one_is_refused():
    found = problems(upload(kind="pe_possession", number="123"), "PE", "title", TODAY)
    assert "la finca declara" in found["kind"]


def test_dates_authority_and_holder_are_checked():
    found = problems(
        upload(issued_on=date(2027, 1, 1), authority=" ", holder_name=""), "PE", "title", TODAY
    )
    assert set(found) == {"issued_on", "authority", "holder_name"}
    assert "futura" in found["issued_on"]
    old = problems(upload(issued_on=date(1850, 1, 1)), "PE", "title", TODAY)
    assert "1900" in old["issued_on"]
    assert "issued_on" in problems(upload(issued_on=None), "PE", "title", TODAY)


@pytest.mark.parametrize(
    ("holder", "matches"),
    [
        ("QUISPE MAMANI ROSA ELENA", True),
        ("Rosa Elena Quispe Mamani", True),
        ("rosa quíspe", True),
        ("QUISPE MAMANI JUAN", False),
        ("ROSA FLORES", False),
        ("", False),
    ],
)
def test_the_holder_is_compared_with_the_producers_name(holder, matches):
    assert holder_matches(holder, "Rosa Elena", "Quispe Mamani") is matches
