"""Tables of a student's learning progress: materials opened and events attended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class MaterialOpen(Base):
    """A student opened a learning material's card (once per material; `times` counts)."""

    __tablename__ = "material_opens"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    material_pk: Mapped[int] = mapped_column(
        ForeignKey("learning_materials.pk", ondelete="CASCADE"), primary_key=True
    )
    times: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventAttendance(Base):
    """A curator marked the student present at an event."""

    __tablename__ = "event_attendance"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, index=True
    )
    marked_by: Mapped[int] = mapped_column(BigInteger)
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
