"""Moving a currency's stored amounts to Minka's minor units: `flask money rescale`.

Until Minka kept its own table of minor units, it took them from Babel, and Babel 2.19 gives
the Colombian peso 0 decimals (ISO 4217 gives it 2). A database written on such a machine
holds COP amounts in whole pesos, which Minka now reads as centavos: one hundredth of the
real amount. This multiplies every stored amount of that currency by the missing power of
ten, in one transaction, once, and records that it did (audit log and a platform setting).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute

from marketplace import audit, currencies
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import (
    Assessment,
    Cluster,
    CreditProduct,
    Delivery,
    Listing,
    Loan,
    LoanInstalment,
    Match,
    Order,
    OrderPayment,
    OrderRefund,
    PlatformSetting,
    PurchaseCommitment,
    Repayment,
)


@dataclass(frozen=True)
class MoneyColumns:
    """The amounts of one table, and how a row's currency is found."""

    model: type
    columns: tuple[str, ...]
    #: the row's own currency column, or (foreign key, parent model) whose currency it is
    currency_from: tuple[str, type] | None = None


#: Every stored amount in Minka (a test checks no money column is missing).
MONEY_COLUMNS: tuple[MoneyColumns, ...] = (
    MoneyColumns(Listing, ("price_minor",)),
    MoneyColumns(Order, ("unit_price_minor", "total_minor")),
    MoneyColumns(OrderPayment, ("amount_minor", "received_minor", "fee_minor")),
    MoneyColumns(OrderRefund, ("amount_minor",)),
    MoneyColumns(PurchaseCommitment, ("price_minor_per_kg", "premium_minor_per_kg")),
    MoneyColumns(
        CreditProduct, ("min_amount_minor", "max_amount_minor", "budget_minor", "fee_minor",
                        "amount_step_minor")
    ),
    MoneyColumns(Loan, ("amount_minor", "used_minor", "balance_minor")),
    MoneyColumns(LoanInstalment, ("capital_minor", "interest_minor", "insurance_minor",
                                  "fee_minor", "due_minor", "late_charge_minor", "paid_minor"),
                 ("loan_id", Loan)),
    MoneyColumns(Repayment, ("amount_minor",), ("loan_id", Loan)),
    MoneyColumns(Assessment, ("requested_minor",)),
    MoneyColumns(Cluster, ("requested_minor",)),
    MoneyColumns(Match, ("amount_minor",), ("cluster_id", Cluster)),
    MoneyColumns(Delivery, ("value_minor", "deduction_minor")),
)  # fmt: skip


def setting_key(code: str, from_decimals: int) -> str:
    """The platform setting that records a rescale was applied."""
    return f"rescaled:{code}:{from_decimals}->{currencies.minor_units(code)}"


def _rows_of(spec: MoneyColumns, code: str):
    """A WHERE clause selecting the rows of `spec`'s table in currency `code`."""
    if spec.currency_from is None:
        return spec.model.currency == code
    key, parent = spec.currency_from
    column: InstrumentedAttribute = getattr(spec.model, key)
    return column.in_(select(parent.id).where(parent.currency == code))


def rows_to_rescale(code: str) -> dict[str, int]:
    """How many rows of each table hold amounts in `code`."""
    return {
        spec.model.__tablename__: db.session.scalar(
            select(func.count()).select_from(spec.model).where(_rows_of(spec, code))
        )
        for spec in MONEY_COLUMNS
    }


def rescale(code: str, from_decimals: int) -> dict[str, int]:
    """Multiply every stored amount in `code` written with `from_decimals` decimals so it is
    in Minka's minor units; returns the rows changed per table. Refuses a second time."""
    currency = currencies.get(code)
    if not 0 <= from_decimals < currency.minor_units:
        raise DomainError(
            f"{code} has {currency.minor_units} decimals: amounts written with "
            f"{from_decimals} cannot be rescaled up to it"
        )
    key = setting_key(currency.code, from_decimals)
    if db.session.get(PlatformSetting, key) is not None:
        raise DomainError(f"{code} amounts were already rescaled ({key})")
    factor = 10 ** (currency.minor_units - from_decimals)
    changed: dict[str, int] = {}
    for spec in MONEY_COLUMNS:
        values = {name: getattr(spec.model, name) * factor for name in spec.columns}
        result = db.session.execute(
            update(spec.model)
            .where(_rows_of(spec, currency.code))
            .values(values)
            .execution_options(synchronize_session=False)
        )
        changed[spec.model.__tablename__] = result.rowcount
    setting = PlatformSetting(key=key, value=str(factor))
    db.session.add(setting)
    db.session.flush()
    audit.record(
        None, "money.rescaled", audit.PLATFORM_SETTINGS, currency=code, factor=factor, **changed
    )
    db.session.commit()
    return changed
