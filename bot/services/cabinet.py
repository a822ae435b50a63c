"""The personal cabinet (/me): what the bot keeps about a student, withdrawing consent,
exporting everything as JSON, and recommendations from what the student asked and follows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    AnnouncementDelivery,
    Consultation,
    ConsultationMessage,
    Event,
    EventKindSubscription,
    EventReminder,
    EventRsvp,
    FaqEntry,
    FaqFeedback,
    FollowUpSurvey,
    LearningMaterial,
    NotificationSettings,
    QuestionLog,
    User,
    utcnow,
)
from bot.services import buddies, buddy_records, events, groups, learning, progress, quizzes
from bot.services.notifications import CONSENT_WITHDRAWN, Preferences, preferences

OPEN_STATUSES = ("waiting", "active")
# Which kinds of events suit a student who asked about a knowledge-base category.
KINDS_FOR_CATEGORY = {
    "culture": ("culture_day", "excursion"),
    "holidays": ("culture_day",),
    "assembly": ("culture_day",),
    "university": ("club_meeting",),
    "adaptation": ("club_meeting", "excursion"),
    "accord": ("club_meeting", "webinar"),
    "learning": ("webinar",),
    "languages": ("club_meeting",),
}


@dataclass(slots=True)
class Cabinet:
    """What /me shows."""

    language: str
    consent_version: str
    consent_at: datetime | None
    withdrawn: bool
    open_consultations: int
    consultations: int
    following: list[events.Following] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    preferences: Preferences = field(default_factory=Preferences)


async def cabinet(session: AsyncSession, user_id: int) -> Cabinet | None:
    """The student's cabinet; None when nothing is stored about them."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    counts = dict(
        (
            await session.execute(
                select(Consultation.status, func.count())
                .where(Consultation.student_id == user_id)
                .group_by(Consultation.status)
            )
        ).all()
    )
    return Cabinet(
        language=user.language,
        consent_version=user.consent_version,
        consent_at=user.consent_at,
        withdrawn=user.consent_version == CONSENT_WITHDRAWN,
        open_consultations=sum(int(counts.get(s, 0)) for s in OPEN_STATUSES),
        consultations=sum(int(n) for n in counts.values()),
        following=await events.followed_events(session, user_id),
        kinds=await events.subscribed_kinds(session, user_id),
        preferences=await preferences(session, user_id),
    )


async def withdraw_consent(session: AsyncSession, user_id: int) -> bool:
    """Stop processing: nothing is sent or recorded until the student consents again.

    The data stays until the student deletes it (offered at once) or retention removes it.
    """
    # Without consent nobody sees the student's contact: their buddy pairings end.
    await buddies.leave(session, user_id)
    result = await session.execute(
        update(User)
        .where(User.id == user_id, User.consent_version != CONSENT_WITHDRAWN)
        .values(consent_version=CONSENT_WITHDRAWN)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _iso(value: datetime | None) -> str | None:
    return events.aware(value).isoformat() if value is not None else None


async def export_data(session: AsyncSession, user_id: int) -> dict[str, Any] | None:
    """Everything stored about the student, and nothing about anyone else (curators appear
    only as "curator"); None when nothing is stored."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    prefs = await session.get(NotificationSettings, user_id)
    questions = await session.scalars(
        select(QuestionLog).where(QuestionLog.user_id == user_id).order_by(QuestionLog.id)
    )
    votes = await session.execute(
        select(FaqFeedback.created_at, FaqEntry.slug, FaqFeedback.helpful)
        .join(FaqEntry, FaqEntry.pk == FaqFeedback.entry_pk)
        .where(FaqFeedback.user_id == user_id)
        .order_by(FaqFeedback.id)
    )
    consultations = []
    for case in await session.scalars(
        select(Consultation).where(Consultation.student_id == user_id).order_by(Consultation.id)
    ):
        messages = await session.scalars(
            select(ConsultationMessage)
            .where(ConsultationMessage.consultation_id == case.id)
            .order_by(ConsultationMessage.id)
        )
        survey = await session.scalar(
            select(FollowUpSurvey).where(FollowUpSurvey.consultation_id == case.id)
        )
        consultations.append(
            {
                "id": case.id,
                "area": case.area,
                "status": case.status,
                "anonymous": case.anonymous,
                "urgent": case.urgent,
                "name_shown_to_curators": case.student_name,
                "username_shown_to_curators": case.student_username,
                "answers": case.answers,
                "created_at": _iso(case.created_at),
                "closed_at": _iso(case.closed_at),
                "messages": [
                    {
                        "at": _iso(m.created_at),
                        "from": m.sender,
                        "kind": m.kind,
                        "text": m.text,
                    }
                    for m in messages
                ],
                "survey": None
                if survey is None
                else {
                    "status": survey.status,
                    "rating": survey.rating,
                    "resolved": survey.resolved,
                    "comment": survey.comment,
                },
            }
        )

    async def event_rows(table: type[EventReminder] | type[EventRsvp]) -> list[dict[str, Any]]:
        rows = await session.execute(
            select(table.created_at, Event.id, Event.title_kk, Event.title_ru, Event.starts_at)
            .join(Event, Event.id == table.event_id)
            .where(table.user_id == user_id)
            .order_by(table.id)
        )
        return [
            {
                "event_id": event_id,
                "event": title_kk if user.language == "kk" else title_ru,
                "starts_at": _iso(starts_at),
                "since": _iso(created_at),
            }
            for created_at, event_id, title_kk, title_ru, starts_at in rows
        ]

    kinds = await session.execute(
        select(EventKindSubscription.kind, EventKindSubscription.created_at).where(
            EventKindSubscription.user_id == user_id
        )
    )
    deliveries = await session.execute(
        select(
            AnnouncementDelivery.announcement_id,
            AnnouncementDelivery.status,
            AnnouncementDelivery.sent_at,
        ).where(AnnouncementDelivery.user_id == user_id)
    )
    return {
        "exported_at": _iso(utcnow()),
        "profile": {
            "telegram_id": user.id,
            "language": user.language,
            "first_name": user.first_name,
            "username": user.username,
            "faculty": user.faculty,
            "course": user.course,
            "consent_version": user.consent_version,
            "consent_at": _iso(user.consent_at),
            "created_at": _iso(user.created_at),
            "last_seen_at": _iso(user.last_seen_at),
            "blocked_bot": user.blocked_bot,
        },
        "notification_preferences": (
            Preferences(prefs.events, prefs.announcements, prefs.surveys)
            if prefs
            else Preferences()
        ).as_dict(),
        "questions": [
            {
                "at": _iso(q.created_at),
                "text": q.text,
                "language": q.language,
                "understood_as": q.intent,
                "outcome": q.outcome,
            }
            for q in questions
        ],
        "answer_votes": [
            {"at": _iso(at), "entry": slug, "helpful": helpful} for at, slug, helpful in votes
        ],
        "consultations": consultations,
        "event_reminders": await event_rows(EventReminder),
        "event_registrations": await event_rows(EventRsvp),
        "event_kind_subscriptions": [{"kind": kind, "since": _iso(since)} for kind, since in kinds],
        "announcements": [
            {"announcement_id": aid, "status": status, "sent_at": _iso(sent_at)}
            for aid, status, sent_at in deliveries
        ],
        "quiz_attempts": await quizzes.export_attempts(session, user_id),
        "learning_progress": await progress.export_progress(session, user_id),
        "interest_groups": await groups.export_memberships(session, user_id),
        "buddy_programme": await buddy_records.export_buddy(session, user_id),
    }


@dataclass(slots=True)
class Recommendations:
    events: list[Event]
    materials: list[LearningMaterial]


async def asked_categories(session: AsyncSession, user_id: int) -> Counter[str]:
    """How often the student's answered questions fell into each knowledge-base category."""
    rows = await session.execute(
        select(FaqEntry.category, func.count())
        .join(QuestionLog, QuestionLog.entry_pk == FaqEntry.pk)
        .where(QuestionLog.user_id == user_id)
        .group_by(FaqEntry.category)
    )
    return Counter({category: int(n) for category, n in rows})


async def recommendations(session: AsyncSession, user_id: int, limit: int = 3) -> Recommendations:
    """Upcoming events of the kinds the student follows or asked about, and materials on the
    topics they asked about; nothing when there is nothing to go on."""
    topics = await asked_categories(session, user_id)
    kinds = Counter({kind: 3 for kind in await events.subscribed_kinds(session, user_id)})
    for category, n in topics.items():
        for kind in KINDS_FOR_CATEGORY.get(category, ()):
            kinds[kind] += n
    following = {f.event.id for f in await events.followed_events(session, user_id)}
    upcoming = [e for e in await events.upcoming(session, limit=50) if e.id not in following]
    chosen = sorted(
        (e for e in upcoming if kinds.get(e.kind)),
        key=lambda e: (-kinds[e.kind], e.starts_at),
    )[:limit]
    materials = learning.recommend(await learning.materials(session), dict(topics), limit)
    return Recommendations(chosen, materials)
