"""The figures behind the report's charts: week by week, from the recorded events and the
question log, in Almaty weeks (Monday to Sunday)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import aware
from bot.db.models import Consultation, ConsultationEvent, QuestionLog, utcnow
from bot.services.consultations import EventKind
from bot.services.questions import UNANSWERED_OUTCOMES
from bot.services.unanswered import group_questions

ALMATY = ZoneInfo("Asia/Almaty")
# More weeks than this would make bars too thin to read; the newest are kept.
MAX_WEEKS = 26
TOP_TOPICS = 8


@dataclass(frozen=True, slots=True)
class CuratorRatings:
    curator_id: int
    name: str | None
    # rating (1-5) -> how many surveys gave it
    counts: dict[int, int]


@dataclass(slots=True)
class ReportSeries:
    """Week-by-week figures; every list runs parallel to `weeks` (the Monday of each week)."""

    weeks: list[date]
    opened_by_area: dict[str, list[int]] = field(default_factory=dict)
    first_reply_seconds: list[float] = field(default_factory=list)
    curator_ratings: list[CuratorRatings] = field(default_factory=list)
    bot_alone: list[int] = field(default_factory=list)
    handed_to_curator: list[int] = field(default_factory=list)
    # (a representative wording, how many times it was asked), most asked first
    unanswered_topics: list[tuple[str, int]] = field(default_factory=list)


def week_of(moment: datetime) -> date:
    """The Monday (Almaty time) of the week `moment` falls in."""
    value = aware(moment)
    assert value is not None
    day = value.astimezone(ALMATY).date()
    return day - timedelta(days=day.weekday())


def _weeks(first: date, last: date) -> list[date]:
    weeks = []
    week = first
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks[-MAX_WEEKS:]


async def build_series(
    session: AsyncSession, since: datetime | None = None, until: datetime | None = None
) -> ReportSeries:
    """Chart figures for the period [`since`, `until`) (UTC; open ends allowed)."""

    def within(column: Any, query: Any) -> Any:
        if since is not None:
            query = query.where(column >= since)
        if until is not None:
            query = query.where(column < until)
        return query

    events = (
        await session.execute(
            within(
                ConsultationEvent.created_at,
                select(
                    ConsultationEvent.consultation_id,
                    ConsultationEvent.kind,
                    ConsultationEvent.actor_id,
                    ConsultationEvent.created_at,
                    ConsultationEvent.details,
                    Consultation.area,
                    Consultation.student_id,
                )
                .join(Consultation, Consultation.id == ConsultationEvent.consultation_id)
                .order_by(ConsultationEvent.id),
            )
        )
    ).all()
    questions = (
        await session.execute(
            within(
                QuestionLog.created_at,
                select(
                    QuestionLog.id,
                    QuestionLog.user_id,
                    QuestionLog.created_at,
                    QuestionLog.text,
                    QuestionLog.language,
                    QuestionLog.outcome,
                ),
            )
        )
    ).all()

    moments = [aware(row.created_at) for row in events] + [aware(q.created_at) for q in questions]
    first = week_of(since) if since is not None else None
    if first is None and moments:
        first = week_of(min(m for m in moments if m is not None))
    last = week_of(until if until is not None else utcnow())
    weeks = _weeks(first or last, last)
    index = {week: i for i, week in enumerate(weeks)}

    def slot(moment: datetime) -> int | None:
        return index.get(week_of(moment))

    opened_by_area: dict[str, list[int]] = {}
    opened_at: dict[int, datetime] = {}
    replied_at: dict[int, datetime] = {}
    ratings: dict[int, Counter[int]] = defaultdict(Counter)
    handed = [0] * len(weeks)
    handed_days: set[tuple[int, date]] = set()
    for row in events:
        moment = aware(row.created_at)
        assert moment is not None
        if row.kind == EventKind.OPENED.value:
            opened_at.setdefault(row.consultation_id, moment)
            i = slot(moment)
            if i is not None:
                opened_by_area.setdefault(row.area, [0] * len(weeks))[i] += 1
                handed[i] += 1
            if row.student_id is not None:
                handed_days.add((int(row.student_id), moment.astimezone(ALMATY).date()))
        elif row.kind == EventKind.FIRST_REPLY.value:
            replied_at.setdefault(row.consultation_id, moment)
        elif row.kind == EventKind.SURVEY_ANSWERED.value and row.actor_id is not None:
            rating = (row.details or {}).get("rating")
            if isinstance(rating, int) and 1 <= rating <= 5:
                ratings[int(row.actor_id)][rating] += 1

    first_reply = [
        (replied_at[case] - opened).total_seconds()
        for case, opened in opened_at.items()
        if case in replied_at
    ]

    # A conversation is one student's questions on one day, as in the text report.
    alone = [0] * len(weeks)
    conversations: set[tuple[int, date]] = set()
    unanswered: list[tuple[int, str, str]] = []
    for q in questions:
        moment = aware(q.created_at)
        assert moment is not None
        if q.outcome in UNANSWERED_OUTCOMES:
            unanswered.append((int(q.id), str(q.text), str(q.language)))
        if q.user_id is None:
            i = slot(moment)
            if i is not None:
                alone[i] += 1
            continue
        conversations.add((int(q.user_id), moment.astimezone(ALMATY).date()))
    for user_id, day in conversations:
        if (user_id, day) in handed_days:
            continue
        i = index.get(day - timedelta(days=day.weekday()))
        if i is not None:
            alone[i] += 1

    names = await _curator_names(session, list(ratings))
    return ReportSeries(
        weeks=weeks,
        opened_by_area=dict(sorted(opened_by_area.items())),
        first_reply_seconds=first_reply,
        curator_ratings=[
            CuratorRatings(curator_id, names.get(curator_id), dict(sorted(counts.items())))
            for curator_id, counts in sorted(ratings.items())
        ],
        bot_alone=alone,
        handed_to_curator=handed,
        unanswered_topics=[(g.text, g.count) for g in group_questions(unanswered)[:TOP_TOPICS]],
    )


async def _curator_names(session: AsyncSession, curator_ids: list[int]) -> dict[int, str]:
    """The name each curator last signed consultations with."""
    if not curator_ids:
        return {}
    rows = await session.execute(
        select(Consultation.curator_id, Consultation.curator_name)
        .where(Consultation.curator_id.in_(curator_ids), Consultation.curator_name.is_not(None))
        .order_by(Consultation.id)
    )
    return {int(curator_id): str(name) for curator_id, name in rows.all() if curator_id is not None}
