"""events with reminders, RSVPs and kind subscriptions; notification settings; learning
materials; announcements and their deliveries

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-22 00:24:02.008805
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("text_kk", sa.Text(), nullable=False),
        sa.Column("text_ru", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_table(
        "event_kind_subscriptions",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_event_kind_subscriptions")),
    )
    with op.batch_alter_table("event_kind_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_kind_subscriptions_kind"), ["kind"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title_kk", sa.String(length=200), nullable=False),
        sa.Column("title_ru", sa.String(length=200), nullable=False),
        sa.Column("description_kk", sa.Text(), nullable=False),
        sa.Column("description_ru", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=512), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "learning_materials",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title_kk", sa.Text(), nullable=False),
        sa.Column("title_ru", sa.Text(), nullable=False),
        sa.Column("description_kk", sa.Text(), nullable=False),
        sa.Column("description_ru", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=512), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_learning_materials")),
        sa.UniqueConstraint("slug", name=op.f("uq_learning_materials_slug")),
    )
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("events", sa.Boolean(), nullable=False),
        sa.Column("announcements", sa.Boolean(), nullable=False),
        sa.Column("surveys", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "announcement_deliveries",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_deliveries_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "announcement_id", "user_id", name=op.f("pk_announcement_deliveries")
        ),
    )
    with op.batch_alter_table("announcement_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announcement_deliveries_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "event_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hour_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_reminders_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_reminders")),
        sa.UniqueConstraint("event_id", "user_id", name="uq_event_reminders_user"),
    )
    with op.batch_alter_table("event_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_reminders_user_id"), ["user_id"], unique=False)

    op.create_table(
        "event_rsvps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_rsvps_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_rsvps")),
        sa.UniqueConstraint("event_id", "user_id", name="uq_event_rsvps_user"),
    )
    with op.batch_alter_table("event_rsvps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_rsvps_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_rsvps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_rsvps_user_id"))

    op.drop_table("event_rsvps")
    with op.batch_alter_table("event_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_reminders_user_id"))

    op.drop_table("event_reminders")
    with op.batch_alter_table("announcement_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_deliveries_user_id"))

    op.drop_table("announcement_deliveries")
    op.drop_table("notification_settings")
    op.drop_table("learning_materials")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_starts_at"))
        batch_op.drop_index(batch_op.f("ix_events_kind"))

    op.drop_table("events")
    with op.batch_alter_table("event_kind_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_kind_subscriptions_kind"))

    op.drop_table("event_kind_subscriptions")
    op.drop_table("announcements")
