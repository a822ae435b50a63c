"""interest groups, their members and their events

Revision ID: i15_0003
Revises: i15_0002
Create Date: 2026-12-02 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i15_0003"
down_revision: str | None = "i15_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interest_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interest", sa.String(length=24), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("title_kk", sa.String(length=120), nullable=False),
        sa.Column("title_ru", sa.String(length=120), nullable=False),
        sa.Column("description_kk", sa.Text(), nullable=False),
        sa.Column("description_ru", sa.Text(), nullable=False),
        sa.Column("chat_url", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interest_groups")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("interest_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interest_groups_interest"), ["interest"], unique=False)
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["interest_groups.id"],
            name=op.f("fk_group_members_group_id_interest_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_members_user_id"), ["user_id"], unique=False)
    op.create_table(
        "group_events",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_group_events_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["interest_groups.id"],
            name=op.f("fk_group_events_group_id_interest_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "event_id", name=op.f("pk_group_events")),
    )


def downgrade() -> None:
    op.drop_table("group_events")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_user_id"))
    op.drop_table("group_members")
    with op.batch_alter_table("interest_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interest_groups_interest"))
    op.drop_table("interest_groups")
