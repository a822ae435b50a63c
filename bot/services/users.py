"""Students' profiles, consent, language and the deletion of their data."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import CONSENT_VERSION
from bot.db.mail_models import MailThread
from bot.db.models import Consultation, FaqFeedback, FsmState, QuestionLog, User, utcnow
from bot.services.notifications import CONSENT_WITHDRAWN

# last_seen_at is written at most this often per user, to keep writes off the hot path.
_LAST_SEEN_RESOLUTION = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Profile:
    """What the bot needs to know about a consenting user on every update."""

    id: int
    language: str
    consent_version: str

    @property
    def consent_current(self) -> bool:
        return self.consent_version == CONSENT_VERSION


class ProfileCache:
    """A small per-process cache of profiles, so most updates need no database read.

    Entries expire after `ttl` seconds, which bounds staleness when several bot replicas
    share one store.
    """

    def __init__(self, ttl: float = 60.0, max_size: int = 50_000) -> None:
        self._ttl = ttl
        self._max_size = max_size
        # user id -> (expires at, profile or None for "known not to exist")
        self._items: dict[int, tuple[float, Profile | None]] = {}

    def get(self, user_id: int) -> tuple[bool, Profile | None]:
        item = self._items.get(user_id)
        if item is None or item[0] < time.monotonic():
            return False, None
        return True, item[1]

    def put(self, user_id: int, profile: Profile | None) -> None:
        if len(self._items) >= self._max_size:
            self._items.clear()
        self._items[user_id] = (time.monotonic() + self._ttl, profile)

    def forget(self, user_id: int) -> None:
        self._items.pop(user_id, None)

    def clear(self) -> None:
        self._items.clear()


async def load_profile(session: AsyncSession, user_id: int) -> Profile | None:
    user = await session.get(User, user_id)
    # A student who withdrew consent is treated as one who never gave it: nothing is processed.
    if user is None or user.consent_version == CONSENT_WITHDRAWN:
        return None
    return Profile(user.id, user.language, user.consent_version)


async def touch(session: AsyncSession, user_id: int) -> None:
    """Record activity (for retention) unless it was recorded recently."""
    now = utcnow()
    await session.execute(
        update(User)
        .where(User.id == user_id, User.last_seen_at < now - _LAST_SEEN_RESOLUTION)
        .values(last_seen_at=now, blocked_bot=False)
    )


async def give_consent(
    session: AsyncSession,
    user_id: int,
    language: str,
    first_name: str | None,
    username: str | None,
) -> Profile:
    """Store the user with the current consent version; the write is flushed before return."""
    user = await session.get(User, user_id)
    now = utcnow()
    if user is None:
        user = User(
            id=user_id,
            language=language,
            first_name=first_name,
            username=username,
            consent_version=CONSENT_VERSION,
            consent_at=now,
            created_at=now,
            last_seen_at=now,
        )
        session.add(user)
    else:
        user.language = language
        user.first_name = first_name
        user.username = username
        user.consent_version = CONSENT_VERSION
        user.consent_at = now
    await session.flush()
    return Profile(user.id, user.language, user.consent_version)


async def person_language(session: AsyncSession, user_id: int, default: str) -> str:
    """A curator's or student's language: their stored choice, else the bot's default."""
    if user_id < 0:
        return default
    user = await session.get(User, user_id)
    return user.language if user is not None else default


async def set_language(session: AsyncSession, user_id: int, language: str) -> bool:
    """Change a stored user's language; False when the user is not stored."""
    result = await session.execute(update(User).where(User.id == user_id).values(language=language))
    await session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_user_data(session: AsyncSession, user_id: int) -> bool:
    """Delete everything stored about the user; aggregate counters stay. True if anything was kept."""
    existed = await session.scalar(select(User.id).where(User.id == user_id)) is not None
    # Imported here: those services build on this module's tables, not the other way round.
    from bot.services.buddies import leave as leave_buddy_programme
    from bot.services.consultations import anonymise_student
    from bot.services.events import forget_user as forget_event_follows
    from bot.services.groups import forget_user as forget_groups
    from bot.services.notifications import forget_user as forget_preferences
    from bot.services.progress import forget_user as forget_progress
    from bot.services.pulse import forget_participant as forget_pulse_participation
    from bot.services.quizzes import forget_user as forget_quiz_attempts
    from bot.services.surveys import cancel_for_student

    await anonymise_student(session, user_id)
    await cancel_for_student(session, user_id)
    await forget_event_follows(session, user_id)
    await forget_preferences(session, user_id)
    await forget_quiz_attempts(session, user_id)
    await forget_progress(session, user_id)
    await forget_groups(session, user_id)
    await leave_buddy_programme(session, user_id)
    await forget_pulse_participation(session, user_id)
    await session.execute(delete(QuestionLog).where(QuestionLog.user_id == user_id))
    await session.execute(delete(FaqFeedback).where(FaqFeedback.user_id == user_id))
    await session.execute(delete(FsmState).where(FsmState.user_id == user_id))
    await session.execute(delete(User).where(User.id == user_id))
    await session.flush()
    return existed


async def purge_inactive(session: AsyncSession, retention_days: int) -> int:
    """Delete the data of users inactive for `retention_days`; returns how many were deleted."""
    cutoff = utcnow() - timedelta(days=retention_days)
    stale = (await session.scalars(select(User.id).where(User.last_seen_at < cutoff))).all()
    for user_id in stale:
        await delete_user_data(session, user_id)
    return len(stale)


async def forget_old_mail_senders(session: AsyncSession, retention_days: int) -> int:
    """E-mail consultations finished `retention_days` ago are anonymised like a deleted
    student's (sender, messages, answers, resolution go; area and times stay for reports) and
    their threads forgotten. Returns how many were anonymised."""
    from bot.services.consultations import anonymise

    cutoff = utcnow() - timedelta(days=retention_days)
    finished = select(Consultation.id).where(
        Consultation.status.in_(("closed", "cancelled")),
        func.coalesce(Consultation.closed_at, Consultation.created_at) < cutoff,
    )
    stale = list(
        (
            await session.scalars(
                select(MailThread.consultation_id).where(MailThread.consultation_id.in_(finished))
            )
        ).all()
    )
    if stale:
        await anonymise(session, Consultation.id.in_(stale))
        await session.execute(delete(MailThread).where(MailThread.consultation_id.in_(stale)))
    return len(stale)
