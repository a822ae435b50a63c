"""Tables of the buddy programme: volunteers, newcomers' requests, proposed and approved pairs,
and the notices owed to one side when the other leaves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class BuddyVolunteer(Base):
    """A student who offered to help newcomers settle in."""

    __tablename__ = "buddy_volunteers"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    faculty: Mapped[str] = mapped_column(String(120))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests: Mapped[str] = mapped_column(Text, default="")
    # Shown to a matched newcomer only; None when the volunteer chose not to share one.
    contact: Mapped[str | None] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer, default=2)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|paused|blocked
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BuddyRequest(Base):
    """A newcomer (first year, or from another region or country) asking for a buddy."""

    __tablename__ = "buddy_requests"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    faculty: Mapped[str] = mapped_column(String(120))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BuddyPair(Base):
    """A match: proposed by the bot, approved or rejected by a curator, active until either
    side ends it. Check-in answers are kept for reports."""

    __tablename__ = "buddy_pairs"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("buddy_requests.id", ondelete="CASCADE"), index=True
    )
    newcomer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    volunteer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # proposed | active | rejected | ended
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(16))  # newcomer|volunteer|left|blocked
    checkin_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    newcomer_checkin: Mapped[bool | None] = mapped_column(Boolean)
    volunteer_checkin: Mapped[bool | None] = mapped_column(Boolean)


class BuddyNotice(Base):
    """A message owed to someone after a change in the programme (their buddy left, ended the
    pair, or a new proposal for curators), written in the same transaction and sent after it."""

    __tablename__ = "buddy_notices"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    pair_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
