"""Erasing a student: what the right to be forgotten removes, in one unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import consultations, surveys
from bot.services.users import delete_user_data


@dataclass(frozen=True)
class Erased:
    """What the erasure touched whose scheduled work must be cancelled after the commit."""

    consultations: list[int]
    surveys: list[int]


async def erase_student(session: AsyncSession, user_id: int) -> Erased:
    """Anonymise the student's consultations, cancel their surveys and delete everything else
    stored about them (profile, questions, events, memberships)."""
    cases = await consultations.anonymise_student(session, user_id)
    pending = await surveys.cancel_for_student(session, user_id)
    await delete_user_data(session, user_id)
    return Erased(consultations=cases, surveys=pending)
