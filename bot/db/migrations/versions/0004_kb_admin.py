"""knowledge base edited from the bot: versions, soft deletion, a revision counter, and the
resolution of unanswered questions

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "faq_entry_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_pk", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_pk"],
            ["faq_entries.pk"],
            name=op.f("fk_faq_entry_versions_entry_pk_faq_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entry_versions")),
        sa.UniqueConstraint("entry_pk", "version", name="uq_faq_entry_versions_entry"),
    )
    op.create_table(
        "kb_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_revision")),
    )
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.drop_column("resolution")
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
    op.drop_table("kb_revision")
    op.drop_table("faq_entry_versions")
