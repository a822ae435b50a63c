"""buddy programme: volunteers, requests, pairs and the notices owed after changes

Revision ID: i15_0004
Revises: i15_0003
Create Date: 2026-12-02 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i15_0004"
down_revision: str | None = "i15_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "buddy_volunteers",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("faculty", sa.String(length=120), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("interests", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_buddy_volunteers")),
    )
    op.create_table(
        "buddy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("faculty", sa.String(length=120), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_requests")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("buddy_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_buddy_requests_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_buddy_requests_user_id"), ["user_id"], unique=False)
    op.create_table(
        "buddy_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.BigInteger(), nullable=True),
        sa.Column("volunteer_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=16), nullable=True),
        sa.Column("checkin_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("newcomer_checkin", sa.Boolean(), nullable=True),
        sa.Column("volunteer_checkin", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["buddy_requests.id"],
            name=op.f("fk_buddy_pairs_request_id_buddy_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_pairs")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("buddy_pairs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buddy_pairs_newcomer_id"), ["newcomer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_buddy_pairs_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_buddy_pairs_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_buddy_pairs_volunteer_id"), ["volunteer_id"], unique=False
        )
    op.create_table(
        "buddy_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_notices")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("buddy_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_buddy_notices_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("buddy_notices")
    op.drop_table("buddy_pairs")
    op.drop_table("buddy_requests")
    op.drop_table("buddy_volunteers")
