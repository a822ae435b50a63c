"""Consultation reports, computed from the recorded events (never from mutable state), plus
how many conversations the bot handled alone, from the question log."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ALMATY, aware
from bot.db.models import Consultation, ConsultationEvent, QuestionLog
from bot.services.consultations import EventKind


@dataclass(frozen=True, slots=True)
class Durations:
    """Seconds between two events, over the consultations that have both."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: list[float]) -> Durations:
        if not values:
            return cls(0, None, None)
        ordered = sorted(values)
        p90 = ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]
        return cls(len(ordered), float(statistics.median(ordered)), float(p90))


@dataclass(slots=True)
class Counts:
    opened: int = 0
    taken: int = 0
    closed: int = 0
    cancelled: int = 0


@dataclass(slots=True)
class CuratorScore:
    """Surveys credited to the curator who closed the consultation."""

    curator_id: int
    closed: int = 0
    surveys_sent: int = 0
    surveys_answered: int = 0
    ratings: list[int] = field(default_factory=list)
    resolved_yes: int = 0
    resolved_no: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.surveys_answered / self.surveys_sent if self.surveys_sent else None

    @property
    def average_rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None


@dataclass(slots=True)
class Report:
    since: datetime | None
    until: datetime | None
    total: Counts
    by_area: dict[str, Counts]
    by_urgency: dict[str, Counts]
    first_reply: Durations
    resolution: Durations
    curators: list[CuratorScore]
    surveys_sent: int
    surveys_answered: int
    average_rating: float | None
    conversations_bot_alone: int
    conversations_handed_to_curator: int

    @property
    def response_rate(self) -> float | None:
        return self.surveys_answered / self.surveys_sent if self.surveys_sent else None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready figures."""
        data: dict[str, Any] = {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "consultations": asdict(self.total),
            "by_area": {k: asdict(v) for k, v in sorted(self.by_area.items())},
            "by_urgency": {k: asdict(v) for k, v in sorted(self.by_urgency.items())},
            "time_to_first_reply_seconds": asdict(self.first_reply),
            "time_to_resolution_seconds": asdict(self.resolution),
            "surveys": {
                "sent": self.surveys_sent,
                "answered": self.surveys_answered,
                "response_rate": _round(self.response_rate),
                "average_rating": _round(self.average_rating),
            },
            "curators": [
                {
                    "curator_id": c.curator_id,
                    "closed": c.closed,
                    "surveys_sent": c.surveys_sent,
                    "surveys_answered": c.surveys_answered,
                    "response_rate": _round(c.response_rate),
                    "average_rating": _round(c.average_rating),
                    "resolved_yes": c.resolved_yes,
                    "resolved_no": c.resolved_no,
                }
                for c in self.curators
            ],
            "conversations": {
                "bot_alone": self.conversations_bot_alone,
                "handed_to_curator": self.conversations_handed_to_curator,
            },
        }
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


_COUNTED = {
    EventKind.OPENED.value: "opened",
    EventKind.TAKEN.value: "taken",
    EventKind.CLOSED.value: "closed",
    EventKind.CANCELLED.value: "cancelled",
}


async def build_report(
    session: AsyncSession, since: datetime | None = None, until: datetime | None = None
) -> Report:
    """Figures for events between `since` and `until` (both optional, UTC)."""
    query = (
        select(
            ConsultationEvent.consultation_id,
            ConsultationEvent.kind,
            ConsultationEvent.actor_id,
            ConsultationEvent.created_at,
            ConsultationEvent.details,
            Consultation.area,
            Consultation.urgent,
        )
        .join(Consultation, Consultation.id == ConsultationEvent.consultation_id)
        .order_by(ConsultationEvent.id)
    )
    if since is not None:
        query = query.where(ConsultationEvent.created_at >= since)
    if until is not None:
        query = query.where(ConsultationEvent.created_at < until)
    rows = (await session.execute(query)).all()

    total = Counts()
    by_area: dict[str, Counts] = defaultdict(Counts)
    by_urgency: dict[str, Counts] = defaultdict(Counts)
    first_at: dict[tuple[int, str], datetime] = {}
    curators: dict[int, CuratorScore] = {}
    taken_once: set[int] = set()

    def score(curator_id: int) -> CuratorScore:
        return curators.setdefault(curator_id, CuratorScore(curator_id))

    for row in rows:
        moment = aware(row.created_at)
        assert moment is not None
        first_at.setdefault((row.consultation_id, row.kind), moment)
        counted = _COUNTED.get(row.kind)
        if counted == "taken":
            # A consultation taken, released by transfer and so on counts once.
            if row.consultation_id in taken_once:
                counted = None
            taken_once.add(row.consultation_id)
        if counted is not None:
            urgency = "urgent" if row.urgent else "regular"
            for counts in (total, by_area[row.area], by_urgency[urgency]):
                setattr(counts, counted, getattr(counts, counted) + 1)
        details = row.details or {}
        if row.kind == EventKind.CLOSED.value and row.actor_id is not None:
            score(row.actor_id).closed += 1
        elif row.kind == EventKind.SURVEY_SENT.value and row.actor_id is not None:
            score(row.actor_id).surveys_sent += 1
        elif row.kind == EventKind.SURVEY_ANSWERED.value and row.actor_id is not None:
            s = score(row.actor_id)
            s.surveys_answered += 1
            if isinstance(details.get("rating"), int):
                s.ratings.append(int(details["rating"]))
        elif row.kind == EventKind.SURVEY_RESOLVED.value and row.actor_id is not None:
            if details.get("resolved"):
                score(row.actor_id).resolved_yes += 1
            else:
                score(row.actor_id).resolved_no += 1

    first_reply, resolution = [], []
    for (case, kind), opened_at in first_at.items():
        if kind != EventKind.OPENED.value:
            continue
        replied = first_at.get((case, EventKind.FIRST_REPLY.value))
        if replied is not None:
            first_reply.append((replied - opened_at).total_seconds())
        closed = first_at.get((case, EventKind.CLOSED.value))
        if closed is not None:
            resolution.append((closed - opened_at).total_seconds())

    ratings = [r for c in curators.values() for r in c.ratings]
    bot_alone, handed = await _conversations(session, since, until)
    return Report(
        since=since,
        until=until,
        total=total,
        by_area=dict(by_area),
        by_urgency=dict(by_urgency),
        first_reply=Durations.of(first_reply),
        resolution=Durations.of(resolution),
        curators=sorted(curators.values(), key=lambda c: c.curator_id),
        surveys_sent=sum(c.surveys_sent for c in curators.values()),
        surveys_answered=sum(c.surveys_answered for c in curators.values()),
        average_rating=sum(ratings) / len(ratings) if ratings else None,
        conversations_bot_alone=bot_alone,
        conversations_handed_to_curator=handed,
    )


async def _conversations(
    session: AsyncSession, since: datetime | None, until: datetime | None
) -> tuple[int, int]:
    """(answered by the bot alone, handed to a curator).

    A conversation is one student's questions on one day (Almaty time); an anonymous question
    is a conversation of its own. Every consultation opened is a conversation handed to a
    curator; a conversation of that student on the day the consultation was opened is not
    counted again as the bot's alone.
    """
    questions = select(QuestionLog.user_id, QuestionLog.created_at)
    opened = select(Consultation.student_id, Consultation.created_at)
    if since is not None:
        questions = questions.where(QuestionLog.created_at >= since)
        opened = opened.where(Consultation.created_at >= since)
    if until is not None:
        questions = questions.where(QuestionLog.created_at < until)
        opened = opened.where(Consultation.created_at < until)
    conversations: Counter[tuple[int, str]] = Counter()
    anonymous = 0
    for user_id, created_at in (await session.execute(questions)).all():
        if user_id is None:
            anonymous += 1
        else:
            conversations[(int(user_id), _day(created_at))] += 1
    handed_days: set[tuple[int, str]] = set()
    handed = 0
    for student_id, created_at in (await session.execute(opened)).all():
        handed += 1
        if student_id is not None:
            handed_days.add((int(student_id), _day(created_at)))
    alone = anonymous + sum(1 for key in conversations if key not in handed_days)
    return alone, handed


def _day(moment: datetime) -> str:
    value = aware(moment)
    assert value is not None
    return value.astimezone(ALMATY).date().isoformat()


def format_seconds(seconds: float | None) -> str:
    """A duration for the command-line report: 45s, 12m, 3.5h, 2.1d."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def render_plain(report: Report) -> str:
    """The report as plain text for the command line."""
    lines = ["Consultations"]
    t = report.total
    lines.append(
        f"  opened {t.opened}, taken {t.taken}, closed {t.closed}, cancelled {t.cancelled}"
    )
    for title, groups in (("By area", report.by_area), ("By urgency", report.by_urgency)):
        lines.append(title)
        for key, c in sorted(groups.items()):
            lines.append(
                f"  {key:<15} opened {c.opened:>4}  taken {c.taken:>4}  closed {c.closed:>4}"
                f"  cancelled {c.cancelled:>4}"
            )
    for title, d in (
        ("Time to first curator reply", report.first_reply),
        ("Time to resolution", report.resolution),
    ):
        lines.append(
            f"{title}: median {format_seconds(d.median)}, p90 {format_seconds(d.p90)} (n={d.count})"
        )
    rate = report.response_rate
    avg = report.average_rating
    lines.append(
        f"Surveys: {report.surveys_sent} sent, {report.surveys_answered} answered"
        f" ({'—' if rate is None else f'{rate:.0%}'}), average rating "
        f"{'—' if avg is None else f'{avg:.2f}'}"
    )
    for score in report.curators:
        c_rate, c_avg = score.response_rate, score.average_rating
        lines.append(
            f"  curator {score.curator_id}: closed {score.closed}, surveys {score.surveys_answered}/"
            f"{score.surveys_sent} ({'—' if c_rate is None else f'{c_rate:.0%}'}), "
            f"rating {'—' if c_avg is None else f'{c_avg:.2f}'}, "
            f"resolved yes/no {score.resolved_yes}/{score.resolved_no}"
        )
    lines.append(
        f"Conversations: {report.conversations_bot_alone} answered by the bot alone, "
        f"{report.conversations_handed_to_curator} handed to a curator"
    )
    return "\n".join(lines)
