"""A student's optional faculty and course: they group pulse-survey answers and the weekly
digest, and are shown only in groups of at least five people."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User

FACULTY_MAX = 120
COURSES = range(1, 7)
_WITH_COURSE = re.compile(r"^(.*?)[,;]?\s+(\d)\s*$")


@dataclass(frozen=True, slots=True)
class StudyPlace:
    faculty: str | None
    course: int | None


def parse_study_place(text: str) -> StudyPlace | None:
    """`"Engineering, 2"` -> faculty and course; `"Engineering"` -> faculty only; `"-"` ->
    both cleared; None when the text is too long or the course is out of 1–6."""
    value = " ".join(text.split())
    if value in ("-", "—"):
        return StudyPlace(None, None)
    course: int | None = None
    match = _WITH_COURSE.match(value)
    if match:
        value, course = match[1].strip(" ,;"), int(match[2])
        if course not in COURSES:
            return None
    if not value or len(value) > FACULTY_MAX:
        return None
    return StudyPlace(value, course)


async def study_place(session: AsyncSession, user_id: int) -> StudyPlace | None:
    """What the student gave; None when they have not consented (no profile)."""
    user = await session.get(User, user_id)
    return None if user is None else StudyPlace(user.faculty, user.course)


async def set_study_place(session: AsyncSession, user_id: int, place: StudyPlace) -> bool:
    """Store the faculty and course; False when the student has no profile (no consent)."""
    user = await session.get(User, user_id)
    if user is None:
        return False
    user.faculty, user.course = place.faculty, place.course
    return True
