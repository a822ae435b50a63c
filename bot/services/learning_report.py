"""Reports on learning and belonging for /stats and `kelisim report`: quiz pass rates per
material, materials opened, attendance marks, interest-group joins."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.group_models import GroupMember, InterestGroup
from bot.db.models import LearningMaterial
from bot.db.progress_models import EventAttendance, MaterialOpen
from bot.db.quiz_models import Quiz, QuizAttempt
from bot.services import buddy_records
from knowledge_base.quizzes import percent


@dataclass(frozen=True, slots=True)
class QuizRate:
    material: str
    students: int  # who finished the quiz at least once
    passed: int  # of them, who passed at least once
    attempts: int  # finished attempts
    pass_rate: int  # percent of students who passed


@dataclass(frozen=True, slots=True)
class GroupRow:
    group_id: int
    title: str
    interest: str
    members: int
    joined: int  # in the period


@dataclass(slots=True)
class LearningReport:
    quizzes: list[QuizRate] = field(default_factory=list)
    materials_opened: int = 0  # students × materials, in the period
    attendance_marks: int = 0
    groups: list[GroupRow] = field(default_factory=list)
    # Buddy pairs by state and check-in answers (current state, not limited to the period).
    buddy: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "quizzes": [asdict(q) for q in self.quizzes],
            "materials_opened": self.materials_opened,
            "attendance_marks": self.attendance_marks,
            "groups": [asdict(g) for g in self.groups],
            "buddy": dict(self.buddy),
        }


async def build_learning_report(
    session: AsyncSession, since: datetime | None = None
) -> LearningReport:
    """Everything counted from `since` (all time when None); group members are current."""
    report = LearningReport()
    attempts = (
        select(
            LearningMaterial.slug,
            QuizAttempt.user_id,
            func.max(case((QuizAttempt.score_percent >= QuizAttempt.pass_percent, 1), else_=0)),
            func.count(),
        )
        .join(Quiz, Quiz.material_pk == LearningMaterial.pk)
        .join(QuizAttempt, QuizAttempt.quiz_id == Quiz.id)
        .where(QuizAttempt.status == "finished")
        .group_by(LearningMaterial.slug, QuizAttempt.user_id)
    )
    if since is not None:
        attempts = attempts.where(QuizAttempt.finished_at >= since)
    totals: dict[str, list[int]] = {}
    for slug, _user, passed, count in (await session.execute(attempts)).all():
        row = totals.setdefault(slug, [0, 0, 0])
        row[0] += 1
        row[1] += int(bool(passed))
        row[2] += int(count)
    report.quizzes = [
        QuizRate(slug, students, passed, tries, percent(passed, students))
        for slug, (students, passed, tries) in sorted(totals.items())
    ]
    opened = select(func.count()).select_from(MaterialOpen)
    marks = select(func.count()).select_from(EventAttendance)
    if since is not None:
        opened = opened.where(MaterialOpen.first_at >= since)
        marks = marks.where(EventAttendance.marked_at >= since)
    report.materials_opened = int(await session.scalar(opened) or 0)
    report.attendance_marks = int(await session.scalar(marks) or 0)
    joined_in_period: Any = func.count(GroupMember.user_id)
    if since is not None:
        joined_in_period = func.sum(
            func.coalesce((GroupMember.joined_at >= since).cast(Integer), 0)
        )
    rows = await session.execute(
        select(
            InterestGroup.id,
            InterestGroup.title_ru,
            InterestGroup.interest,
            func.count(GroupMember.user_id),
            joined_in_period,
        )
        .outerjoin(GroupMember, GroupMember.group_id == InterestGroup.id)
        .group_by(InterestGroup.id, InterestGroup.title_ru, InterestGroup.interest)
        .order_by(InterestGroup.id)
    )
    report.groups = [
        GroupRow(gid, name, interest, int(members), int(joined or 0))
        for gid, name, interest, members, joined in rows.all()
    ]
    report.buddy = asdict(await buddy_records.summary(session))
    return report


def render_learning_plain(report: LearningReport) -> str:
    lines = [
        "",
        "Learning and belonging",
        "  self-check quizzes (students who finished / passed, pass rate, attempts):",
    ]
    if not report.quizzes:
        lines.append("    none taken")
    for q in report.quizzes:
        lines.append(
            f"    {q.material}: {q.students} / {q.passed}, {q.pass_rate}%, {q.attempts} attempts"
        )
    lines.append(f"  materials opened: {report.materials_opened}")
    lines.append(f"  attendance marks: {report.attendance_marks}")
    lines.append("  interest groups (members now, joined in the period):")
    if not report.groups:
        lines.append("    none published")
    for g in report.groups:
        lines.append(f"    {g.title} [{g.interest}]: {g.members}, +{g.joined}")
    b = report.buddy
    if b:
        lines.append(
            f"  buddy programme: {b['volunteers']} volunteers, {b['waiting']} waiting, "
            f"{b['proposed']} proposed, {b['active']} active, {b['ended']} ended pairs; "
            f"check-ins sent {b['checkins_sent']}, answers good {b['checkins_good']}, "
            f"not good {b['checkins_bad']}"
        )
    return "\n".join(lines)
