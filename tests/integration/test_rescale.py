"""`flask money rescale`: amounts written in whole pesos (Babel 2.19) brought to centavos."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, select

from marketplace import rescale
from marketplace.extensions import db
from marketplace.models import AuditLog, Listing, Loan, Repayment
from tests.integration.loans import new_loan


def test_every_money_column_is_rescaled():
    listed = {(spec.model.__tablename__, name) for spec in rescale.MONEY_COLUMNS
              for name in spec.columns}  # fmt: skip
    money = {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, BigInteger) and "_minor" in column.name
    }
    assert money == listed


def colombian_world(make_listing, make_credit_product, make_producer):
    pesos = make_listing(currency="COP", price_minor=125_000, country="CO")
    soles = make_listing(price_minor=4_500)
    product = make_credit_product(
        currency="COP", coverage_country="CO", min_amount_minor=2_000_000,
        max_amount_minor=15_000_000, budget_minor=900_000_000,
    )  # fmt: skip
    loan = new_loan(make_producer(), product, amount_minor=5_000_000, used_minor=125_000)
    db.session.add(Repayment(loan_id=loan.id, amount_minor=1_000_000, paid_on=date(2026, 6, 1),
                             outcome="on_time"))  # fmt: skip
    db.session.commit()
    return pesos, soles, loan


def test_pesos_become_centavos_once_and_nothing_else_moves(
    db, runner, make_listing, make_credit_product, make_producer
):
    pesos, soles, loan = colombian_world(make_listing, make_credit_product, make_producer)

    dry = runner.invoke(args=["money", "rescale", "COP", "--from-decimals", "0"])
    assert dry.exit_code == 0 and "listing: 1 rows" in dry.output
    db.session.expire_all()
    assert db.session.get(Listing, pesos.id).price_minor == 125_000

    done = runner.invoke(args=["money", "rescale", "cop", "--from-decimals", "0", "--apply"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert db.session.get(Listing, pesos.id).price_minor == 12_500_000
    assert db.session.get(Listing, soles.id).price_minor == 4_500
    loan = db.session.get(Loan, loan.id)
    assert (loan.amount_minor, loan.used_minor) == (500_000_000, 12_500_000)
    assert loan.credit_product.max_amount_minor == 1_500_000_000
    assert db.session.scalar(select(Repayment.amount_minor)) == 100_000_000
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "money.rescaled"))

    again = runner.invoke(args=["money", "rescale", "COP", "--from-decimals", "0", "--apply"])
    assert again.exit_code != 0 and "already rescaled" in again.output
    db.session.expire_all()
    assert db.session.get(Listing, pesos.id).price_minor == 12_500_000


def test_a_currency_already_at_its_scale_is_refused(db, runner):
    result = runner.invoke(args=["money", "rescale", "PEN", "--from-decimals", "2", "--apply"])
    assert result.exit_code != 0 and "cannot be rescaled" in result.output
    unknown = runner.invoke(args=["money", "rescale", "XYZ", "--from-decimals", "0"])
    assert unknown.exit_code != 0 and "unknown currency" in unknown.output
