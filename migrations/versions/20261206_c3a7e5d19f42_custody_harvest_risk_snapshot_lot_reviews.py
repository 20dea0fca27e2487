"""chain of custody: harvest period, product state and frozen risk on deliveries; lot
output state, lineage and review flags

Revision ID: c3a7e5d19f42
Revises: b3e1d5a7c902
Create Date: 2026-12-06 20:45:00.000000

Backfill of rows from before:
- harvest_start/harvest_end stay empty: nobody recorded them, and the export falls back to
  the delivery date rather than invent a harvest;
- product_state: what Minka's centres took until now, dry cacao beans and dry parchment
  coffee, by the commitment's value chain (other chains: none);
- the risk snapshot: risk_status was already copied at delivery; risk_assessed_at is the
  farm's last assessment if it happened before the delivery was recorded (else unknown), and
  risk_layers the layers imported before the delivery that are still stored (the only
  record of which layers existed then);
- a lot's output_state follows its commitment's value chain the same way.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "c3a7e5d19f42"
down_revision = "b3e1d5a7c902"
branch_labels = None
depends_on = None

STATE_BY_CHAIN = {"cacao": "cacao_seco", "cafe": "cafe_pergamino"}


def upgrade():
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("harvest_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("harvest_end", sa.Date(), nullable=True))
        batch.add_column(sa.Column("product_state", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("risk_assessed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("risk_layers", sa.JSON(), nullable=True))
    with op.batch_alter_table("lot") as batch:
        batch.add_column(sa.Column("output_state", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("split_from_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_lot_split_from_id_lot", "lot", ["split_from_id"], ["id"])
        batch.create_foreign_key("fk_lot_merged_into_id_lot", "lot", ["merged_into_id"], ["id"])
    op.create_table(
        "lot_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("farm_id", sa.Integer(), nullable=False),
        sa.Column("risk_status", sa.String(length=20), nullable=False),
        sa.Column("assessed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["farm_id"], ["farm.id"]),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lot_id", "farm_id", "risk_status", name="uq_lot_review_farm_status"),
    )
    with op.batch_alter_table("lot_review") as batch:
        batch.create_index("ix_lot_review_lot_id", ["lot_id"], unique=False)
    _backfill()


def _backfill():
    bind = op.get_bind()
    delivery = sa.table(
        "delivery",
        sa.column("id", sa.Integer),
        sa.column("commitment_id", sa.Integer),
        sa.column("farm_id", sa.Integer),
        sa.column("created_at", UTCDateTime(timezone=True)),
        sa.column("product_state", sa.String),
        sa.column("risk_assessed_at", UTCDateTime(timezone=True)),
        sa.column("risk_layers", sa.JSON),
    )
    lot = sa.table(
        "lot",
        sa.column("id", sa.Integer),
        sa.column("commitment_id", sa.Integer),
        sa.column("output_state", sa.String),
    )
    commitment = sa.table(
        "purchase_commitment", sa.column("id", sa.Integer), sa.column("value_chain", sa.String)
    )
    farm = sa.table(
        "farm", sa.column("id", sa.Integer), sa.column("risk_assessed_at", UTCDateTime(timezone=True))
    )
    layer = sa.table(
        "forest_layer",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("imported_at", UTCDateTime(timezone=True)),
    )
    for chain, state in STATE_BY_CHAIN.items():
        ids = sa.select(commitment.c.id).where(commitment.c.value_chain == chain)
        bind.execute(
            delivery.update().where(delivery.c.commitment_id.in_(ids)).values(product_state=state)
        )
        bind.execute(lot.update().where(lot.c.commitment_id.in_(ids)).values(output_state=state))
    layers = bind.execute(sa.select(layer.c.id, layer.c.name, layer.c.imported_at)).all()
    rows = bind.execute(
        sa.select(delivery.c.id, delivery.c.created_at, farm.c.risk_assessed_at).join(
            farm, farm.c.id == delivery.c.farm_id
        )
    ).all()
    for row in rows:
        assessed = row.risk_assessed_at
        if assessed is not None and row.created_at is not None and assessed > row.created_at:
            assessed = None
        used = [
            {"id": lid, "name": name, "imported_at": imported.isoformat()}
            for lid, name, imported in layers
            if imported is not None and row.created_at is not None and imported <= row.created_at
        ]
        bind.execute(
            delivery.update()
            .where(delivery.c.id == row.id)
            .values(risk_assessed_at=assessed, risk_layers=used)
        )


def downgrade():
    with op.batch_alter_table("lot_review") as batch:
        batch.drop_index("ix_lot_review_lot_id")
    op.drop_table("lot_review")
    with op.batch_alter_table("lot") as batch:
        batch.drop_constraint("fk_lot_merged_into_id_lot", type_="foreignkey")
        batch.drop_constraint("fk_lot_split_from_id_lot", type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("split_from_id")
        batch.drop_column("output_state")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("risk_layers")
        batch.drop_column("risk_assessed_at")
        batch.drop_column("product_state")
        batch.drop_column("harvest_end")
        batch.drop_column("harvest_start")
