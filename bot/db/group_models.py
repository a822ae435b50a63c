"""Tables of interest groups: the groups admins publish, their members and their events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class InterestGroup(Base):
    """A language club, culture club, debate or volunteering group with its own chat."""

    __tablename__ = "interest_groups"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interest: Mapped[str] = mapped_column(String(24), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    title_kk: Mapped[str] = mapped_column(String(120))
    title_ru: Mapped[str] = mapped_column(String(120))
    description_kk: Mapped[str] = mapped_column(Text)
    description_ru: Mapped[str] = mapped_column(Text)
    chat_url: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="published")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("interest_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GroupEvent(Base):
    """An event held by a group: its members are subscribed to it."""

    __tablename__ = "group_events"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("interest_groups.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
