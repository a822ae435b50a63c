"""Tables of the store. Personal data lives in `users` and rows that point at a user."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.clock import now


def utcnow() -> datetime:
    """The current moment in UTC (the one clock is `bot.clock.now`)."""
    return now()


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    """A person who accepted the consent; nothing about anyone else is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(2))
    first_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    consent_version: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    # Given by the student if they wish (/faculty): groups surveys and the weekly digest.
    faculty: Mapped[str | None] = mapped_column(String(120))
    course: Mapped[int | None] = mapped_column(Integer)


class FaqEntry(Base):
    """One curated question with its answer in both languages."""

    __tablename__ = "faq_entries"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    question_kk: Mapped[str] = mapped_column(Text)
    question_ru: Mapped[str] = mapped_column(Text)
    answer_kk: Mapped[str] = mapped_column(Text)
    answer_ru: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # Set when an admin deletes the entry; the row is purged 30 days later, restorable until then.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Provenance: what the answer rests on and when a person last checked it is still true.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(Text)
    reviewed: Mapped[date | None] = mapped_column(Date)
    review_every: Mapped[int | None] = mapped_column(Integer)


class FaqEntryStats(Base):
    """How often an entry was shown and judged; aggregate, survives data deletion."""

    __tablename__ = "faq_entry_stats"

    entry_pk: Mapped[int] = mapped_column(
        ForeignKey("faq_entries.pk", ondelete="CASCADE"), primary_key=True
    )
    shown: Mapped[int] = mapped_column(Integer, default=0)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)


class FaqFeedback(Base):
    """A student's "was this helpful?" vote on one answer message (one vote per message)."""

    __tablename__ = "faq_feedback"
    __table_args__ = (UniqueConstraint("user_id", "message_id", name="uq_faq_feedback_vote"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    entry_pk: Mapped[int] = mapped_column(ForeignKey("faq_entries.pk", ondelete="CASCADE"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuestionLog(Base):
    """Every free-text question and what the bot did with it.

    `user_id` is set only for users who consented, and the rows go when they delete their data.
    Admins review the unmatched and low-confidence ones.
    """

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    intent: Mapped[str] = mapped_column(String(64))
    intent_confidence: Mapped[float] = mapped_column(Float)
    entry_pk: Mapped[int | None] = mapped_column(ForeignKey("faq_entries.pk", ondelete="SET NULL"))
    score: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What an admin did with an unanswered question: added, attached or dismissed.
    resolution: Mapped[str | None] = mapped_column(String(16))
    # A random token the buttons under the reply carry, so that a "did you mean" choice or a
    # 👎 finds the question it belongs to (on any replica, without storing who asked).
    ref: Mapped[str | None] = mapped_column(String(16), index=True)


class StaffMember(Base):
    """A curator or admin added from the bot (ADMIN_IDS and CURATOR_IDS come from settings)."""

    __tablename__ = "staff"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FaqEntryVersion(Base):
    """One change of a knowledge-base entry: who, when, what changed, and the whole entry after."""

    __tablename__ = "faq_entry_versions"
    __table_args__ = (UniqueConstraint("entry_pk", "version", name="uq_faq_entry_versions_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_pk: Mapped[int] = mapped_column(ForeignKey("faq_entries.pk", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KbRevision(Base):
    """A counter bumped by every knowledge-base change, so other bot replicas notice and reload."""

    __tablename__ = "kb_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LexiconGroup(Base):
    """A concept group of the bilingual lexicon (knowledge_base/lexicon.py): words that search
    treats as one. Seeded from knowledge_base/lexicon.yml; admins extend it from the bot."""

    __tablename__ = "lexicon_groups"
    __table_args__ = ({"sqlite_autoincrement": True},)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    incident: Mapped[bool] = mapped_column(Boolean, default=False)
    words: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Who changed it last from the bot (None: a file import).
    author_id: Mapped[int | None] = mapped_column(BigInteger)


class Consultation(Base):
    """A student's request to a curator; a small state machine (see services/consultations).

    When the student deletes their data, the row is kept anonymised: no student id, name,
    answers or resolution text remain, only the area, urgency and timestamps for reports.
    """

    __tablename__ = "consultations"
    # Case numbers are shown to people and put in buttons: never hand one out twice.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # Set only for named consultations: a snapshot of what curators are allowed to see.
    student_name: Mapped[str | None] = mapped_column(String(128))
    student_username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    area: Mapped[str] = mapped_column(String(32), index=True)
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    curator_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    curator_name: Mapped[str | None] = mapped_column(String(128))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Since when the student has been waiting for the assigned curator's reply (None: not).
    awaiting_reply_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FsmState(Base):
    """Where a person is in a dialog (a half-filled form, the case a curator is answering).

    Kept in the store so a restart changes nothing a person is in the middle of. `user_id` is
    there so deleting a student's data deletes their half-written drafts too.
    """

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str | None] = mapped_column(String(160))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConsultationEvent(Base):
    """One transition of a consultation (opened, taken, closed, ...); reports read these."""

    __tablename__ = "consultation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24), index=True)
    # A curator or admin; never the student, so events stay anonymous.
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ConsultationMessage(Base):
    """A message in a consultation: the student's, the curator's, or a curator's internal note."""

    __tablename__ = "consultation_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(8))  # student | curator | note
    author_id: Mapped[int | None] = mapped_column(BigInteger)  # the curator; None for students
    kind: Mapped[str] = mapped_column(String(16))  # text | photo | document | voice
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the bot delivered it, so a curator's reply to that message finds the consultation.
    relay_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    relay_message_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class ConsultationCard(Base):
    """A card announcing a consultation in a curator's chat or the curators' group."""

    __tablename__ = "consultation_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)


class FollowUpSurvey(Base):
    """The survey after a closed consultation; credits the curator who closed it."""

    __tablename__ = "follow_up_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), unique=True
    )
    student_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    curator_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(Integer)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)


class Event(Base):
    """A culture day, excursion, club meeting or webinar that students can follow."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title_kk: Mapped[str] = mapped_column(String(200))
    title_ru: Mapped[str] = mapped_column(String(200))
    description_kk: Mapped[str] = mapped_column(Text)
    description_ru: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    place: Mapped[str] = mapped_column(String(512))
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="published")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class EventReminder(Base):
    """A student's "remind me"; the sent marks make each reminder go out once."""

    __tablename__ = "event_reminders"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_event_reminders_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    day_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hour_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EventRsvp(Base):
    """A student's "I'm going" to an event with limited places."""

    __tablename__ = "event_rsvps"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_event_rsvps_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventKindSubscription(Base):
    """A student follows every new event of one kind (all culture days, all club meetings)."""

    __tablename__ = "event_kind_subscriptions"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NotificationSettings(Base):
    """What a student wants to be told; no row means everything is on."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    events: Mapped[bool] = mapped_column(Boolean, default=True)
    announcements: Mapped[bool] = mapped_column(Boolean, default=True)
    surveys: Mapped[bool] = mapped_column(Boolean, default=True)


class LearningMaterial(Base):
    """A curated course, webinar, methodological text or textbook (imported from YAML)."""

    __tablename__ = "learning_materials"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title_kk: Mapped[str] = mapped_column(Text)
    title_ru: Mapped[str] = mapped_column(Text)
    description_kk: Mapped[str] = mapped_column(Text)
    description_ru: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(512))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Announcement(Base):
    """A message from admins to all students or to one event kind's subscribers."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    audience: Mapped[str] = mapped_column(String(16))  # "all" or an event kind
    text_kk: Mapped[str] = mapped_column(Text)
    text_ru: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="sending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AnnouncementDelivery(Base):
    """One recipient of an announcement: pending, claimed (being sent), sent, skipped, blocked
    or failed. A row is claimed before its message goes out, so a restart never repeats it."""

    __tablename__ = "announcement_deliveries"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KbReviewReminder(Base):
    """A month whose "entries are due for review" reminder went to admins (sent once)."""

    __tablename__ = "kb_review_reminders"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-12"
    overdue: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WeeklyDigest(Base):
    """A week whose early-warning digest went to admins (claimed before sending: sent once)."""

    __tablename__ = "weekly_digests"

    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # "2026-W48"
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CuratorFaqSend(Base):
    """A knowledge-base answer a curator sent to a student with one tap (curator assist).

    Counted per entry; the rows outlive the consultation and the entry (the slug stays).
    """

    __tablename__ = "curator_faq_sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_pk: Mapped[int | None] = mapped_column(
        ForeignKey("faq_entries.pk", ondelete="SET NULL"), index=True
    )
    entry_slug: Mapped[str] = mapped_column(String(80))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="SET NULL")
    )
    curator_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
