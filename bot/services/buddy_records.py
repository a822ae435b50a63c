"""The buddy programme as records: one student's part of it for their data export, and the
programme's figures for the learning report. Plain values and a session; no Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.buddy_models import BuddyPair, BuddyRequest, BuddyVolunteer


async def export_buddy(session: AsyncSession, user_id: int) -> dict[str, Any]:
    volunteer = await session.get(BuddyVolunteer, user_id)
    requests = (
        await session.scalars(select(BuddyRequest).where(BuddyRequest.user_id == user_id))
    ).all()
    pairs = (
        await session.scalars(
            select(BuddyPair).where(
                or_(BuddyPair.newcomer_id == user_id, BuddyPair.volunteer_id == user_id)
            )
        )
    ).all()
    return {
        "volunteer": None
        if volunteer is None
        else {
            "faculty": volunteer.faculty,
            "languages": volunteer.languages,
            "interests": volunteer.interests,
            "contact": volunteer.contact,
            "status": volunteer.status,
        },
        "requests": [
            {
                "faculty": r.faculty,
                "languages": r.languages,
                "origin": r.origin,
                "contact": r.contact,
                "status": r.status,
            }
            for r in requests
        ],
        "pairs": [
            {
                "as": "newcomer" if p.newcomer_id == user_id else "volunteer",
                "status": p.status,
                "checkin_answer": p.newcomer_checkin
                if p.newcomer_id == user_id
                else p.volunteer_checkin,
            }
            for p in pairs
        ],
    }


@dataclass(frozen=True, slots=True)
class Summary:
    volunteers: int
    waiting: int
    proposed: int
    active: int
    ended: int
    checkins_sent: int
    checkins_good: int
    checkins_bad: int


async def summary(session: AsyncSession) -> Summary:
    volunteers = int(
        await session.scalar(
            select(func.count())
            .select_from(BuddyVolunteer)
            .where(BuddyVolunteer.status == "active")
        )
        or 0
    )
    waiting = int(
        await session.scalar(
            select(func.count()).select_from(BuddyRequest).where(BuddyRequest.status == "waiting")
        )
        or 0
    )
    by_status = dict(
        (
            await session.execute(select(BuddyPair.status, func.count()).group_by(BuddyPair.status))
        ).all()
    )
    pairs = (
        await session.execute(
            select(BuddyPair.newcomer_checkin, BuddyPair.volunteer_checkin).where(
                BuddyPair.checkin_sent_at.is_not(None)
            )
        )
    ).all()
    answers = [a for row in pairs for a in row if a is not None]
    return Summary(
        volunteers=volunteers,
        waiting=waiting,
        proposed=int(by_status.get("proposed", 0)),
        active=int(by_status.get("active", 0)),
        ended=int(by_status.get("ended", 0)),
        checkins_sent=len(pairs),
        checkins_good=sum(1 for a in answers if a),
        checkins_bad=sum(1 for a in answers if not a),
    )
