"""A student's learning progress: materials opened, quizzes passed, events attended (registered
or reminded, and marked present by a curator), and their step on the ladder in
knowledge_base/levels.yml. Plain values and a session; no Telegram."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event, EventReminder, EventRsvp, LearningMaterial, User, utcnow
from bot.db.progress_models import EventAttendance, MaterialOpen
from bot.db.quiz_models import QuizAttempt
from bot.services.events import aware
from knowledge_base.levels import Ladder, Level, load_ladder

_ladder: Ladder | None = None


def ladder() -> Ladder:
    """The ladder from knowledge_base/levels.yml, read once; a broken file fails loudly."""
    global _ladder
    if _ladder is None:
        loaded = load_ladder()
        if not loaded.ok:
            raise ValueError("; ".join(loaded.problems))
        _ladder = loaded
    return _ladder


@dataclass(frozen=True, slots=True)
class Progress:
    materials: int
    quizzes_passed: int
    quizzes_taken: int
    events_attended: int
    level: Level
    next_level: Level | None
    missing: dict[str, int] = field(default_factory=dict)
    level_number: int = 1
    levels: int = 1

    @property
    def counts(self) -> dict[str, int]:
        return {
            "materials": self.materials,
            "quizzes": self.quizzes_passed,
            "events": self.events_attended,
        }


async def record_open(session: AsyncSession, user_id: int, material_pk: int) -> None:
    """Count a material as opened by the student (only students who consented are stored)."""
    if await session.get(User, user_id) is None:
        return
    now = utcnow()
    result = await session.execute(
        update(MaterialOpen)
        .where(MaterialOpen.user_id == user_id, MaterialOpen.material_pk == material_pk)
        .values(times=MaterialOpen.times + 1, last_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(
            MaterialOpen(
                user_id=user_id, material_pk=material_pk, times=1, first_at=now, last_at=now
            )
        )
    await session.flush()


async def progress(session: AsyncSession, user_id: int) -> Progress:
    materials = int(
        await session.scalar(
            select(func.count()).select_from(MaterialOpen).where(MaterialOpen.user_id == user_id)
        )
        or 0
    )
    quiz_rows = (
        await session.execute(
            select(
                QuizAttempt.quiz_id,
                func.max(case((QuizAttempt.score_percent >= QuizAttempt.pass_percent, 1), else_=0)),
            )
            .where(QuizAttempt.user_id == user_id, QuizAttempt.status == "finished")
            .group_by(QuizAttempt.quiz_id)
        )
    ).all()
    attended = int(
        await session.scalar(
            select(func.count())
            .select_from(EventAttendance)
            .where(EventAttendance.user_id == user_id)
        )
        or 0
    )
    passed = sum(1 for _quiz, ok in quiz_rows if ok)
    counts = {"materials": materials, "quizzes": passed, "events": attended}
    steps = ladder()
    level, following = steps.standing(counts)
    return Progress(
        materials=materials,
        quizzes_passed=passed,
        quizzes_taken=len(quiz_rows),
        events_attended=attended,
        level=level,
        next_level=following,
        missing=following.missing(counts) if following else {},
        level_number=steps.levels.index(level) + 1,
        levels=len(steps.levels),
    )


# --- attendance ----------------------------------------------------------------------------------

ATTENDANCE_WINDOW = timedelta(days=30)


async def recent_events(session: AsyncSession, now: datetime | None = None) -> list[Event]:
    """Events that started within the last 30 days (or start today), newest first: the ones a
    curator may mark attendance for."""
    now = now or utcnow()
    rows = await session.scalars(
        select(Event)
        .where(
            Event.starts_at >= now - ATTENDANCE_WINDOW,
            Event.starts_at <= now + timedelta(hours=12),
            Event.status != "cancelled",
        )
        .order_by(Event.starts_at.desc())
        .limit(20)
    )
    return list(rows.all())


@dataclass(frozen=True, slots=True)
class Attendee:
    user_id: int
    name: str
    registered: bool
    present: bool


async def attendees(session: AsyncSession, event_id: int) -> list[Attendee]:
    """Students who registered for or asked to be reminded of the event, and who is marked."""
    going = set(
        (
            await session.scalars(select(EventRsvp.user_id).where(EventRsvp.event_id == event_id))
        ).all()
    )
    reminded = set(
        (
            await session.scalars(
                select(EventReminder.user_id).where(EventReminder.event_id == event_id)
            )
        ).all()
    )
    present = set(
        (
            await session.scalars(
                select(EventAttendance.user_id).where(EventAttendance.event_id == event_id)
            )
        ).all()
    )
    people = going | reminded | present
    if not people:
        return []
    users = {
        u.id: u for u in (await session.scalars(select(User).where(User.id.in_(people)))).all()
    }
    result = []
    for user_id in sorted(people):
        user = users.get(user_id)
        if user is None:
            continue  # deleted their data
        name = user.first_name or (f"@{user.username}" if user.username else str(user.id))
        result.append(Attendee(user_id, name, user_id in going, user_id in present))
    return sorted(result, key=lambda a: (not a.registered, a.name.lower()))


async def toggle_attendance(
    session: AsyncSession, event_id: int, user_id: int, curator_id: int
) -> bool | None:
    """Mark the student present, or unmark; the new state, None for an unknown event or user."""
    if await session.get(Event, event_id) is None or await session.get(User, user_id) is None:
        return None
    row = await session.get(EventAttendance, (event_id, user_id))
    if row is not None:
        await session.delete(row)
        await session.flush()
        return False
    session.add(EventAttendance(event_id=event_id, user_id=user_id, marked_by=curator_id))
    await session.flush()
    return True


# --- personal data --------------------------------------------------------------------------------


async def forget_user(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(MaterialOpen).where(MaterialOpen.user_id == user_id))
    await session.execute(delete(EventAttendance).where(EventAttendance.user_id == user_id))


async def export_progress(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Progress for the student's data export."""
    opened = await session.execute(
        select(
            LearningMaterial.slug, MaterialOpen.times, MaterialOpen.first_at, MaterialOpen.last_at
        )
        .join(LearningMaterial, LearningMaterial.pk == MaterialOpen.material_pk)
        .where(MaterialOpen.user_id == user_id)
        .order_by(MaterialOpen.first_at)
    )
    user = await session.get(User, user_id)
    title = Event.title_kk if user is not None and user.language == "kk" else Event.title_ru
    attended = await session.execute(
        select(EventAttendance.event_id, title, Event.starts_at)
        .join(Event, Event.id == EventAttendance.event_id)
        .where(EventAttendance.user_id == user_id)
        .order_by(Event.starts_at)
    )
    state = await progress(session, user_id)
    return {
        "level": state.level.id,
        "materials_opened": [
            {
                "material": slug,
                "times": times,
                "first_at": aware(first).isoformat(),
                "last_at": aware(last).isoformat(),
            }
            for slug, times, first, last in opened
        ],
        "quizzes_passed": state.quizzes_passed,
        "events_attended": [
            {"event_id": event_id, "event": name, "starts_at": aware(starts).isoformat()}
            for event_id, name, starts in attended
        ],
    }
