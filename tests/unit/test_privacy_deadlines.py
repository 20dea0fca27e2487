"""Legal deadlines for data requests: business days per country and kind."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.privacy import deadlines

FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)


def test_business_days_skip_the_weekend():
    assert deadlines.add_business_days(FRIDAY, 1) == MONDAY
    assert deadlines.add_business_days(FRIDAY, 5) == date(2026, 12, 11)


@pytest.mark.parametrize(
    ("country", "kind", "days"),
    [
        ("PE", "access", 20),
        ("PE", "rectification", 10),
        ("PE", "objection", 10),
        ("PE", "deletion", 10),
        ("MX", "access", 20),
        ("MX", "deletion", 20),
        ("CO", "access", 10),
        ("CO", "rectification", 15),
        ("CO", "objection", 15),
        ("CO", "deletion", 15),
    ],
)
def test_each_country_gives_its_laws_days(country, kind, days):
    assert deadlines.business_days_for(country, kind) == days


def test_ten_business_days_are_two_calendar_weeks():
    assert deadlines.due_on("PE", "deletion", MONDAY) == date(2026, 12, 21)


def test_an_unknown_country_gets_the_shortest_deadline():
    assert deadlines.business_days_for("EC", "deletion") == 10


def test_days_left_counts_business_days_and_goes_negative_when_overdue():
    due = date(2026, 12, 11)  # a Friday
    assert deadlines.business_days_left(due, MONDAY) == 4
    assert deadlines.business_days_left(due, due) == 0
    assert deadlines.business_days_left(due, date(2026, 12, 14)) == -1
    assert deadlines.business_days_left(due, date(2026, 12, 13)) == -1  # the Sunday after
    assert deadlines.business_days_left(due, date(2026, 12, 15)) == -2
