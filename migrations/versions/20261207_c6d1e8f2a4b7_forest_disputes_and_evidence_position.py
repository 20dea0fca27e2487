"""forest disputes decided by four eyes (with their evidence), field evidence's position and
photo date, and triggers that keep the assessment history append-only

Revision ID: c6d1e8f2a4b7
Revises: b8e5d1c4a7f2
Create Date: 2026-12-07 05:00:00.000000

Rows from before: evidence keeps no position (none was taken); no dispute exists. The
triggers refuse any UPDATE of forest_assessment and of a decided (or superseded) dispute;
DELETE stays allowed so that deleting a farm still removes its history.
"""

import sqlalchemy as sa
from alembic import op

from marketplace.types import UTCDateTime

revision = "c6d1e8f2a4b7"
down_revision = "b8e5d1c4a7f2"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('open', 'proposed')")
# the same statements as marketplace/models/disputes.py (create_all builds test databases)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER forest_assessment_no_update BEFORE UPDATE ON forest_assessment "
    "BEGIN SELECT RAISE(ABORT, 'forest_assessment is append-only'); END",
    "CREATE TRIGGER forest_dispute_decided_no_update BEFORE UPDATE ON forest_dispute "
    "WHEN OLD.status IN ('upheld', 'rejected', 'superseded') "
    "BEGIN SELECT RAISE(ABORT, 'a decided forest_dispute is final'); END",
)
POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION minka_refuse_update() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' rows cannot be updated'; END; "
    "$$ LANGUAGE plpgsql"
)
POSTGRESQL_TRIGGERS = (
    "CREATE TRIGGER forest_assessment_no_update BEFORE UPDATE ON forest_assessment "
    "FOR EACH ROW EXECUTE FUNCTION minka_refuse_update()",
    "CREATE TRIGGER forest_dispute_decided_no_update BEFORE UPDATE ON forest_dispute "
    "FOR EACH ROW WHEN (OLD.status IN ('upheld', 'rejected', 'superseded')) "
    "EXECUTE FUNCTION minka_refuse_update()",
)


def upgrade():
    with op.batch_alter_table("field_evidence") as batch:
        batch.add_column(sa.Column("lat", sa.Double(), nullable=True))
        batch.add_column(sa.Column("lon", sa.Double(), nullable=True))
        batch.add_column(sa.Column("accuracy_m", sa.Double(), nullable=True))
        batch.add_column(sa.Column("position_source", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("photo_taken_on", sa.Date(), nullable=True))
    op.create_table(
        "forest_dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("farm_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("disputed_status", sa.String(length=20), nullable=False),
        sa.Column("ground", sa.String(length=20), nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposed_outcome", sa.String(length=10), nullable=True),
        sa.Column("proposal_reason", sa.Text(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("returned_note", sa.Text(), nullable=True),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome_assessment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["farm_id"], ["farm.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assessment_id"], ["forest_assessment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["outcome_assessment_id"], ["forest_assessment.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["opened_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["returned_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forest_dispute") as batch:
        batch.create_index(batch.f("ix_forest_dispute_farm_id"), ["farm_id"], unique=False)
        batch.create_index(
            batch.f("ix_forest_dispute_outcome_assessment_id"),
            ["outcome_assessment_id"],
            unique=False,
        )
        batch.create_index(
            "uq_forest_dispute_active",
            ["farm_id"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )
    op.create_table(
        "forest_dispute_evidence",
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dispute_id"], ["forest_dispute.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["evidence_id"], ["field_evidence.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dispute_id", "evidence_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS forest_dispute_decided_no_update ON forest_dispute"
               if op.get_bind().dialect.name == "postgresql"
               else "DROP TRIGGER IF EXISTS forest_dispute_decided_no_update")
    op.execute("DROP TRIGGER IF EXISTS forest_assessment_no_update ON forest_assessment"
               if op.get_bind().dialect.name == "postgresql"
               else "DROP TRIGGER IF EXISTS forest_assessment_no_update")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS minka_refuse_update()")
    op.drop_table("forest_dispute_evidence")
    with op.batch_alter_table("forest_dispute") as batch:
        batch.drop_index("uq_forest_dispute_active")
        batch.drop_index(batch.f("ix_forest_dispute_outcome_assessment_id"))
        batch.drop_index(batch.f("ix_forest_dispute_farm_id"))
    op.drop_table("forest_dispute")
    with op.batch_alter_table("field_evidence") as batch:
        for name in ("photo_taken_on", "position_source", "accuracy_m", "lon", "lat"):
            batch.drop_column(name)
