"""The follow-up survey after a consultation: scheduled, sent once, reminded once, expired.

    scheduled --send--> sent --remind--> reminded --expire--> expired
    sent | reminded --rate--> answered ("was it resolved" and a comment may follow)
    scheduled | sent | reminded --> cancelled      (the student deleted their data)
    scheduled --> undeliverable                     (the student blocked the bot)

Each step is claimed with a guarded UPDATE before anything is sent, so a job that runs twice
(say, after a restart) sends nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Consultation, FollowUpSurvey, User, utcnow
from bot.services.consultations import EventKind, record_event
from bot.services.notifications import CONSENT_WITHDRAWN, preferences

MAX_COMMENT_CHARS = 1_000


class SurveyStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    REMINDED = "reminded"
    ANSWERED = "answered"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNDELIVERABLE = "undeliverable"


AWAITING_ANSWER = (SurveyStatus.SENT.value, SurveyStatus.REMINDED.value)
PENDING = (SurveyStatus.SCHEDULED.value, *AWAITING_ANSWER)


class Answer(StrEnum):
    """What happened to a press on a survey button."""

    SAVED = "saved"
    ALREADY = "already"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A survey claimed for sending: where, in which language, about which consultation."""

    survey_id: int
    consultation_id: int
    student_id: int
    language: str


async def create_survey(
    session: AsyncSession, consultation: Consultation, delay: float
) -> FollowUpSurvey | None:
    """Schedule the survey of a closed consultation, crediting the curator who closed it."""
    if consultation.student_id is None:
        return None
    survey = FollowUpSurvey(
        consultation_id=consultation.id,
        student_id=consultation.student_id,
        curator_id=consultation.curator_id,
        language=consultation.language,
        status=SurveyStatus.SCHEDULED.value,
        due_at=utcnow() + timedelta(seconds=delay),
    )
    session.add(survey)
    await session.flush()
    return survey


async def _claim(
    session: AsyncSession, survey_id: int, from_statuses: tuple[str, ...], to_status: SurveyStatus
) -> FollowUpSurvey | None:
    now = utcnow()
    values: dict[str, object] = {"status": to_status.value}
    if to_status == SurveyStatus.SENT:
        values["sent_at"] = now
    elif to_status == SurveyStatus.REMINDED:
        values["reminded_at"] = now
    result = await session.execute(
        update(FollowUpSurvey)
        .where(FollowUpSurvey.id == survey_id, FollowUpSurvey.status.in_(from_statuses))
        .values(**values)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return await session.get(FollowUpSurvey, survey_id, populate_existing=True)


async def _reachable(session: AsyncSession, student_id: int | None) -> bool:
    if student_id is None:
        return False
    user = await session.get(User, student_id)
    if user is None or user.blocked_bot or user.consent_version == CONSENT_WITHDRAWN:
        return False
    # Students may turn surveys off in /me.
    return (await preferences(session, student_id)).surveys


async def claim_for_sending(session: AsyncSession, survey_id: int) -> Delivery | None:
    """Mark a scheduled survey sent; None if it was sent, cancelled, or the student is gone."""
    survey = await _claim(session, survey_id, (SurveyStatus.SCHEDULED.value,), SurveyStatus.SENT)
    if survey is None:
        return None
    if not await _reachable(session, survey.student_id) or survey.student_id is None:
        survey.status = SurveyStatus.UNDELIVERABLE.value
        await session.flush()
        return None
    return Delivery(survey.id, survey.consultation_id, survey.student_id, survey.language)


async def claim_for_reminder(session: AsyncSession, survey_id: int) -> Delivery | None:
    """Mark a sent, unanswered survey reminded; None if answered or the student is gone."""
    survey = await _claim(session, survey_id, (SurveyStatus.SENT.value,), SurveyStatus.REMINDED)
    if survey is None:
        return None
    if not await _reachable(session, survey.student_id) or survey.student_id is None:
        return None
    return Delivery(survey.id, survey.consultation_id, survey.student_id, survey.language)


async def record_delivered(
    session: AsyncSession, survey_id: int, *, reminder: bool = False
) -> None:
    """Telegram accepted the survey (or its reminder): count it for the credited curator."""
    survey = await session.get(FollowUpSurvey, survey_id)
    if survey is None:
        return
    kind = EventKind.SURVEY_REMINDED if reminder else EventKind.SURVEY_SENT
    await record_event(session, survey.consultation_id, kind, survey.curator_id)
    await session.flush()


async def expire(session: AsyncSession, survey_id: int) -> bool:
    """An unanswered survey expires after its reminder; True if it did now."""
    survey = await _claim(session, survey_id, AWAITING_ANSWER, SurveyStatus.EXPIRED)
    if survey is None:
        return False
    await record_event(session, survey.consultation_id, EventKind.SURVEY_EXPIRED, survey.curator_id)
    await session.flush()
    return True


async def mark_undeliverable(session: AsyncSession, survey_id: int, student_id: int) -> None:
    """The student blocked the bot: remember it so nothing more is sent to them."""
    await session.execute(
        update(FollowUpSurvey)
        .where(FollowUpSurvey.id == survey_id)
        .values(status=SurveyStatus.UNDELIVERABLE.value)
    )
    await session.execute(update(User).where(User.id == student_id).values(blocked_bot=True))


async def _owned(session: AsyncSession, survey_id: int, student_id: int) -> FollowUpSurvey | None:
    survey = await session.get(FollowUpSurvey, survey_id, populate_existing=True)
    if survey is None or survey.student_id != student_id:
        return None
    return survey


async def rate(session: AsyncSession, survey_id: int, student_id: int, rating: int) -> Answer:
    """Save the 1–5 rating; a second press or an expired survey changes nothing."""
    if not 1 <= rating <= 5:
        return Answer.NOT_FOUND
    survey = await _owned(session, survey_id, student_id)
    if survey is None or survey.status in (
        SurveyStatus.SCHEDULED.value,
        SurveyStatus.CANCELLED.value,
    ):
        return Answer.NOT_FOUND
    if survey.status == SurveyStatus.EXPIRED.value:
        return Answer.EXPIRED
    now = utcnow()
    result = await session.execute(
        update(FollowUpSurvey)
        .where(
            FollowUpSurvey.id == survey_id,
            FollowUpSurvey.status.in_(AWAITING_ANSWER),
            FollowUpSurvey.rating.is_(None),
        )
        .values(rating=rating, status=SurveyStatus.ANSWERED.value, answered_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return Answer.ALREADY
    await record_event(
        session,
        survey.consultation_id,
        EventKind.SURVEY_ANSWERED,
        survey.curator_id,
        {"rating": rating},
        at=now,
    )
    await session.flush()
    return Answer.SAVED


async def set_resolved(
    session: AsyncSession, survey_id: int, student_id: int, resolved: bool
) -> Answer:
    """Save "was your question resolved?" once, after the rating."""
    survey = await _owned(session, survey_id, student_id)
    if survey is None or survey.status != SurveyStatus.ANSWERED.value:
        if survey is not None and survey.status == SurveyStatus.EXPIRED.value:
            return Answer.EXPIRED
        return Answer.NOT_FOUND
    result = await session.execute(
        update(FollowUpSurvey)
        .where(FollowUpSurvey.id == survey_id, FollowUpSurvey.resolved.is_(None))
        .values(resolved=resolved)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return Answer.ALREADY
    await record_event(
        session,
        survey.consultation_id,
        EventKind.SURVEY_RESOLVED,
        survey.curator_id,
        {"resolved": resolved},
    )
    await session.flush()
    return Answer.SAVED


async def set_comment(session: AsyncSession, survey_id: int, student_id: int, text: str) -> bool:
    """Save the optional comment of an answered survey."""
    result = await session.execute(
        update(FollowUpSurvey)
        .where(
            FollowUpSurvey.id == survey_id,
            FollowUpSurvey.student_id == student_id,
            FollowUpSurvey.status == SurveyStatus.ANSWERED.value,
        )
        .values(comment=text.strip()[:MAX_COMMENT_CHARS])
    )
    await session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_for_student(session: AsyncSession, student_id: int) -> list[int]:
    """The student deleted their data: pending surveys are cancelled, all lose the link and
    the comment (ratings stay as anonymous figures). Returns the cancelled surveys' ids."""
    pending = list(
        (
            await session.scalars(
                select(FollowUpSurvey.id).where(
                    FollowUpSurvey.student_id == student_id, FollowUpSurvey.status.in_(PENDING)
                )
            )
        ).all()
    )
    if pending:
        await session.execute(
            update(FollowUpSurvey)
            .where(FollowUpSurvey.id.in_(pending))
            .values(status=SurveyStatus.CANCELLED.value)
        )
    await session.execute(
        update(FollowUpSurvey)
        .where(FollowUpSurvey.student_id == student_id)
        .values(student_id=None, comment=None)
    )
    await session.flush()
    return pending


async def survey_of(session: AsyncSession, consultation_id: int) -> FollowUpSurvey | None:
    return await session.scalar(
        select(FollowUpSurvey).where(FollowUpSurvey.consultation_id == consultation_id)
    )


def due_at(survey: FollowUpSurvey) -> datetime:
    moment = survey.due_at
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
