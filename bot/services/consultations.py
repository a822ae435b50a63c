"""Consultations: a small state machine whose transitions are recorded as events.

    waiting --take--> active --transfer--> active --close--> closed
    waiting | active --cancel--> cancelled      (the student withdrew or deleted their data)

Every transition is one guarded UPDATE (``WHERE status = ...``), so two curators pressing
"Take" at once cannot both win, and one ConsultationEvent row; reports are computed from those.
Nothing here knows about Telegram.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import (
    Consultation,
    ConsultationEvent,
    ConsultationMessage,
    utcnow,
)

AREAS = (
    "conflict",
    "discrimination",
    "adaptation",
    "language",
    "culture",
    "psychological",
    "other",
)
# The questionnaire of each area: two or three short questions, every one skippable.
QUESTIONNAIRES: dict[str, tuple[str, ...]] = {
    "conflict": ("what", "who", "ongoing"),
    "discrimination": ("what", "when", "before"),
    "adaptation": ("where", "hardest"),
    "language": ("which", "need"),
    "culture": ("topic", "want"),
    "psychological": ("feeling", "how_long", "support"),
    "other": ("about", "know"),
}
URGENT_AREA = "discrimination"
MAX_ANSWER_CHARS = 1_000
# Telegram caps a message at 4,096 UTF-16 units, so this keeps every message whole.
MAX_TEXT_CHARS = 4_096
MESSAGE_KINDS = ("text", "photo", "document", "voice")


class Status(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OPEN_STATUSES = (Status.WAITING.value, Status.ACTIVE.value)


class EventKind(StrEnum):
    OPENED = "opened"
    TAKEN = "taken"
    FIRST_REPLY = "first_reply"
    TRANSFERRED = "transferred"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    MADE_URGENT = "made_urgent"
    ANONYMISED = "anonymised"
    SLA_NUDGED = "sla_nudged"
    SLA_ESCALATED = "sla_escalated"
    REPLY_NUDGED = "reply_nudged"
    SURVEY_SENT = "survey_sent"
    SURVEY_REMINDED = "survey_reminded"
    SURVEY_ANSWERED = "survey_answered"
    SURVEY_RESOLVED = "survey_resolved"
    SURVEY_EXPIRED = "survey_expired"


class Refusal(StrEnum):
    NOT_FOUND = "not_found"
    TAKEN = "taken"  # another curator has it
    CLOSED = "closed"  # closed or cancelled
    NOT_OWNER = "not_owner"
    ALREADY_OPEN = "already_open"  # the student already has an open consultation
    SAME_CURATOR = "same_curator"


class ConsultationRefused(Exception):
    """A transition that the consultation's current state does not allow."""

    def __init__(self, reason: Refusal, consultation: Consultation | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.consultation = consultation


@dataclass(slots=True)
class Draft:
    """What the student chose before confirming."""

    area: str
    language: str
    answers: list[dict[str, Any]] = field(default_factory=list)  # [{"q": key, "a": text|None}]
    anonymous: bool = True
    urgent: bool = False
    first_message: str | None = None


def is_open(consultation: Consultation) -> bool:
    return consultation.status in OPEN_STATUSES


async def record_event(
    session: AsyncSession,
    consultation_id: int,
    kind: EventKind,
    actor_id: int | None = None,
    details: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Append one event; the student is never the actor, so events stay anonymous."""
    session.add(
        ConsultationEvent(
            consultation_id=consultation_id,
            kind=kind.value,
            actor_id=actor_id,
            details=details,
            created_at=at or utcnow(),
        )
    )


async def get(session: AsyncSession, consultation_id: int) -> Consultation | None:
    return await session.get(Consultation, consultation_id, populate_existing=True)


async def open_for_student(session: AsyncSession, student_id: int) -> Consultation | None:
    """The student's open consultation, if any (there is at most one)."""
    return await session.scalar(
        select(Consultation)
        .where(Consultation.student_id == student_id, Consultation.status.in_(OPEN_STATUSES))
        .order_by(Consultation.id.desc())
        .limit(1)
    )


async def open_consultation(
    session: AsyncSession,
    student_id: int,
    draft: Draft,
    *,
    name: str | None = None,
    username: str | None = None,
) -> Consultation:
    """Create a waiting consultation from a confirmed draft; refused if one is already open."""
    existing = await open_for_student(session, student_id)
    if existing is not None:
        raise ConsultationRefused(Refusal.ALREADY_OPEN, existing)
    if draft.area not in AREAS:
        raise ValueError(f"unknown area {draft.area!r}")
    now = utcnow()
    consultation = Consultation(
        student_id=student_id,
        student_name=None if draft.anonymous else name,
        student_username=None if draft.anonymous else username,
        language=draft.language,
        area=draft.area,
        answers=[
            {"q": a["q"], "a": (a.get("a") or None) and str(a["a"])[:MAX_ANSWER_CHARS]}
            for a in draft.answers
        ],
        anonymous=draft.anonymous,
        urgent=draft.urgent,
        status=Status.WAITING.value,
        created_at=now,
    )
    session.add(consultation)
    await session.flush()
    await record_event(
        session,
        consultation.id,
        EventKind.OPENED,
        details={"area": draft.area, "urgent": draft.urgent, "anonymous": draft.anonymous},
        at=now,
    )
    if draft.first_message:
        session.add(
            ConsultationMessage(
                consultation_id=consultation.id,
                sender="student",
                kind="text",
                text=draft.first_message[:MAX_TEXT_CHARS],
                created_at=now,
            )
        )
    await session.flush()
    return consultation


async def make_urgent(session: AsyncSession, consultation_id: int) -> bool:
    """Mark an open consultation urgent (an incident reported while one was open)."""
    result = await session.execute(
        update(Consultation)
        .where(
            Consultation.id == consultation_id,
            Consultation.status.in_(OPEN_STATUSES),
            Consultation.urgent.is_(False),
        )
        .values(urgent=True)
    )
    changed = bool(result.rowcount)  # type: ignore[attr-defined]
    if changed:
        await record_event(session, consultation_id, EventKind.MADE_URGENT)
    await session.flush()
    return changed


async def _refusal(session: AsyncSession, consultation_id: int, curator_id: int | None) -> None:
    consultation = await get(session, consultation_id)
    if consultation is None:
        raise ConsultationRefused(Refusal.NOT_FOUND)
    if not is_open(consultation):
        raise ConsultationRefused(Refusal.CLOSED, consultation)
    if consultation.status == Status.ACTIVE and consultation.curator_id != curator_id:
        raise ConsultationRefused(Refusal.TAKEN, consultation)
    raise ConsultationRefused(Refusal.NOT_OWNER, consultation)


@dataclass(frozen=True)
class HistoryEntry:
    """What a state change records in the consultation's history."""

    kind: EventKind
    actor_id: int | None = None
    details: dict[str, Any] | None = None
    at: datetime | None = None


def _still_with(current: Consultation) -> list[ColumnElement[bool]]:
    """The consultation is still active with the curator it had when it was read."""
    return [
        Consultation.status == Status.ACTIVE.value,
        Consultation.curator_id == current.curator_id,
    ]


async def _transition(
    session: AsyncSession,
    consultation_id: int,
    conditions: Sequence[ColumnElement[bool]],
    values: dict[str, Any],
    refuse: Callable[[], Awaitable[None]],
    event: HistoryEntry,
) -> Consultation:
    """One guarded state change: the UPDATE applies only while `conditions` hold, so exactly
    one of concurrent changes wins and the others are refused with the reason; the event is
    recorded and the fresh row returned."""
    result = await session.execute(
        update(Consultation).where(Consultation.id == consultation_id, *conditions).values(**values)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await refuse()
    await record_event(
        session, consultation_id, event.kind, event.actor_id, event.details, at=event.at
    )
    await session.flush()
    consultation = await get(session, consultation_id)
    assert consultation is not None
    return consultation


async def take(
    session: AsyncSession, consultation_id: int, curator_id: int, curator_name: str
) -> Consultation:
    """Assign a waiting consultation to `curator_id`; exactly one of concurrent takes wins."""
    now = utcnow()
    return await _transition(
        session,
        consultation_id,
        [Consultation.status == Status.WAITING.value],
        {
            "status": Status.ACTIVE.value,
            "curator_id": curator_id,
            "curator_name": curator_name[:128],
            "taken_at": now,
            "awaiting_reply_since": now,
        },
        lambda: _refusal(session, consultation_id, None),
        HistoryEntry(EventKind.TAKEN, curator_id, at=now),
    )


async def owned(
    session: AsyncSession, consultation_id: int, curator_id: int, *, override: bool = False
) -> Consultation:
    """The active consultation of `curator_id` (any active one when `override`, for admins)."""
    consultation = await get(session, consultation_id)
    if consultation is None:
        raise ConsultationRefused(Refusal.NOT_FOUND)
    if not is_open(consultation):
        raise ConsultationRefused(Refusal.CLOSED, consultation)
    if consultation.status != Status.ACTIVE:
        raise ConsultationRefused(Refusal.NOT_OWNER, consultation)
    if consultation.curator_id != curator_id and not override:
        raise ConsultationRefused(Refusal.TAKEN, consultation)
    return consultation


async def transfer(
    session: AsyncSession,
    consultation_id: int,
    from_curator: int,
    to_curator: int,
    to_name: str,
    *,
    override: bool = False,
) -> Consultation:
    """Hand an active consultation to another curator."""
    if from_curator == to_curator:
        raise ConsultationRefused(Refusal.SAME_CURATOR)
    current = await owned(session, consultation_id, from_curator, override=override)
    now = utcnow()
    return await _transition(
        session,
        consultation_id,
        _still_with(current),
        {"curator_id": to_curator, "curator_name": to_name[:128], "awaiting_reply_since": now},
        lambda: _refusal(session, consultation_id, from_curator),
        HistoryEntry(
            EventKind.TRANSFERRED,
            from_curator,
            {"from": current.curator_id, "to": to_curator},
            at=now,
        ),
    )


async def close(
    session: AsyncSession,
    consultation_id: int,
    curator_id: int,
    resolution: str,
    *,
    override: bool = False,
) -> Consultation:
    """Close an active consultation with a short resolution (kept for curators and reports)."""
    current = await owned(session, consultation_id, curator_id, override=override)
    now = utcnow()
    return await _transition(
        session,
        consultation_id,
        _still_with(current),
        {
            "status": Status.CLOSED.value,
            "resolution": resolution.strip()[:MAX_ANSWER_CHARS],
            "closed_at": now,
            "awaiting_reply_since": None,
        },
        lambda: _refusal(session, consultation_id, curator_id),
        HistoryEntry(EventKind.CLOSED, curator_id, at=now),
    )


async def cancel(session: AsyncSession, consultation_id: int, student_id: int) -> Consultation:
    """The student withdraws their open consultation."""
    now = utcnow()
    result = await session.execute(
        update(Consultation)
        .where(
            Consultation.id == consultation_id,
            Consultation.student_id == student_id,
            Consultation.status.in_(OPEN_STATUSES),
        )
        .values(status=Status.CANCELLED.value, closed_at=now, awaiting_reply_since=None)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        consultation = await get(session, consultation_id)
        if consultation is None or consultation.student_id != student_id:
            raise ConsultationRefused(Refusal.NOT_FOUND)
        raise ConsultationRefused(Refusal.CLOSED, consultation)
    await record_event(session, consultation_id, EventKind.CANCELLED, at=now)
    await session.flush()
    consultation = await get(session, consultation_id)
    assert consultation is not None
    return consultation


async def anonymise_student(session: AsyncSession, student_id: int) -> list[int]:
    """Irreversibly detach a student from their consultations (their data was deleted).

    Open ones are cancelled; every one loses the student id, name, answers, resolution and
    messages; area, urgency, timestamps and events stay for anonymous reports. Returns the ids
    of the consultations that were open, whose scheduled work must be cancelled.
    """
    return await anonymise(session, Consultation.student_id == student_id)


async def anonymise(session: AsyncSession, which: ColumnElement[bool]) -> list[int]:
    """Irreversibly strip the consultations `which` selects of everything personal, as
    `anonymise_student` does; returns the ids of those that were open."""
    rows = (await session.execute(select(Consultation.id, Consultation.status).where(which))).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    was_open = [row.id for row in rows if row.status in OPEN_STATUSES]
    now = utcnow()
    for consultation_id in was_open:
        await record_event(session, consultation_id, EventKind.CANCELLED, at=now)
    for consultation_id in ids:
        await record_event(session, consultation_id, EventKind.ANONYMISED, at=now)
    await session.execute(
        update(Consultation)
        .where(Consultation.id.in_(was_open))
        .values(status=Status.CANCELLED.value, closed_at=now, awaiting_reply_since=None)
    )
    await session.execute(
        update(Consultation)
        .where(Consultation.id.in_(ids))
        .values(
            student_id=None,
            student_name=None,
            student_username=None,
            answers=[],
            resolution=None,
            anonymous=True,
        )
    )
    await session.execute(
        delete(ConsultationMessage).where(ConsultationMessage.consultation_id.in_(ids))
    )
    await session.flush()
    return was_open


class OpenCases:
    """Which students have an open consultation, answered from memory.

    The free-text path asks this on every update, so it must not query the store. Transitions
    in this process update it at once; the stored truth is re-read every `ttl` seconds, so
    several replicas agree within that time.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], ttl: float = 30.0):
        self._session_factory = session_factory
        self._ttl = ttl
        self._by_student: dict[int, int] = {}
        # Added here recently: kept across a re-read that ran before their transaction was
        # committed, so a student's next message is not taken for a question to the bot.
        self._recent: dict[int, tuple[int, float]] = {}
        self._loaded_at = float("-inf")

    async def refresh(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < self._ttl:
            return
        self._loaded_at = time.monotonic()
        async with self._session_factory() as session:
            rows = (
                await session.execute(
                    select(Consultation.student_id, Consultation.id).where(
                        Consultation.status.in_(OPEN_STATUSES),
                        Consultation.student_id.is_not(None),
                    )
                )
            ).all()
        fresh = {int(student): int(case_id) for student, case_id in rows if student is not None}
        cutoff = time.monotonic() - 2 * self._ttl
        self._recent = {k: v for k, v in self._recent.items() if v[1] >= cutoff}
        for student, (case_id, _added) in self._recent.items():
            fresh.setdefault(student, case_id)
        self._by_student = fresh

    def get(self, student_id: int) -> int | None:
        return self._by_student.get(student_id)

    def __contains__(self, student_id: object) -> bool:
        return student_id in self._by_student

    def add(self, student_id: int, consultation_id: int) -> None:
        self._by_student[student_id] = consultation_id
        self._recent[student_id] = (consultation_id, time.monotonic())

    def discard(self, student_id: int | None) -> None:
        if student_id is not None:
            self._by_student.pop(student_id, None)
            self._recent.pop(student_id, None)
