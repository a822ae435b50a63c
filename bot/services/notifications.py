"""What each student wants to be told (events, announcements, surveys), and who can be reached.

A student without a row gets everything; a student who withdrew consent or blocked the bot
gets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import NotificationSettings, User

PREFERENCES = ("events", "announcements", "surveys")
# users.consent_version of a student who withdrew consent: nothing is processed until they
# consent again, and their data waits for deletion (by them or by retention).
CONSENT_WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Preferences:
    events: bool = True
    announcements: bool = True
    surveys: bool = True

    def as_dict(self) -> dict[str, bool]:
        return {"events": self.events, "announcements": self.announcements, "surveys": self.surveys}


@dataclass(frozen=True, slots=True)
class Recipient:
    """A student a scheduled message may go to, with the language to write in."""

    user_id: int
    language: str


async def preferences(session: AsyncSession, user_id: int) -> Preferences:
    """The student's notification preferences (all on when never changed)."""
    row = await session.get(NotificationSettings, user_id)
    if row is None:
        return Preferences()
    return Preferences(row.events, row.announcements, row.surveys)


async def set_preference(
    session: AsyncSession, user_id: int, name: str, value: bool
) -> Preferences:
    """Turn one kind of notification on or off."""
    if name not in PREFERENCES:
        raise ValueError(f"unknown preference {name!r}")
    row = await session.get(NotificationSettings, user_id)
    if row is None:
        row = NotificationSettings(user_id=user_id, events=True, announcements=True, surveys=True)
        session.add(row)
    setattr(row, name, value)
    await session.flush()
    return Preferences(row.events, row.announcements, row.surveys)


def active_user() -> ColumnElement[bool]:
    """Consent given and not withdrawn, bot not blocked."""
    return and_(User.consent_version != CONSENT_WITHDRAWN, User.blocked_bot.is_(False))


def wants(name: str) -> ColumnElement[bool]:
    """SQL condition: the student (outer-joined with notification_settings) wants `name`."""
    return func.coalesce(getattr(NotificationSettings, name), True).is_(True)


def reachable_users(name: str) -> Any:
    """SELECT (user id, language) of active users who want notifications of kind `name`."""
    return (
        select(User.id, User.language)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
        .where(active_user(), wants(name))
    )


async def mark_blocked(session: AsyncSession, user_id: int) -> None:
    """The student blocked the bot: nothing more is sent until they write again."""
    await session.execute(update(User).where(User.id == user_id).values(blocked_bot=True))


async def mark_returned(session: AsyncSession, user_id: int) -> None:
    """The student unblocked the bot: reminders and announcements reach them again."""
    await session.execute(update(User).where(User.id == user_id).values(blocked_bot=False))


async def forget_user(session: AsyncSession, user_id: int) -> None:
    """Delete the student's preferences and their place in announcements' delivery lists."""
    from bot.db.models import AnnouncementDelivery

    await session.execute(
        delete(NotificationSettings).where(NotificationSettings.user_id == user_id)
    )
    await session.execute(
        delete(AnnouncementDelivery).where(AnnouncementDelivery.user_id == user_id)
    )
