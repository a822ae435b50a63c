"""Self-check quizzes: importing them with their materials, taking one (several attempts, the
best and the last score kept), and admins' edits. Plain values and a session; no Telegram."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FaqEntry, LearningMaterial, utcnow
from bot.db.quiz_models import Quiz, QuizAttempt
from knowledge_base.learning import Material
from knowledge_base.quizzes import (
    Question,
    is_right,
    percent,
    question_from_stored,
    quiz_from_dict,
    quiz_to_dict,
)
from knowledge_base.quizzes import Quiz as QuizSpec

ACTIVE, FINISHED, ABANDONED = "active", "finished", "abandoned"


# --- import and export -----------------------------------------------------------------------


async def unknown_faq_links(session: AsyncSession, materials: Iterable[Material]) -> list[str]:
    """Quiz questions that point at a knowledge-base entry the store does not have."""
    wanted = {
        (m.id, i + 1, q.faq)
        for m in materials
        if m.quiz is not None
        for i, q in enumerate(m.quiz.questions)
        if q.faq
    }
    if not wanted:
        return []
    slugs = {slug for _m, _i, slug in wanted}
    known = set(
        (await session.scalars(select(FaqEntry.slug).where(FaqEntry.slug.in_(slugs)))).all()
    )
    return [
        f"{material}: question {index}: faq entry {slug!r} does not exist"
        for material, index, slug in sorted(wanted)
        if slug not in known
    ]


async def import_quizzes(
    session: AsyncSession, materials: Iterable[Material], *, replace: bool = False
) -> int:
    """Store the quizzes of imported materials; returns how many were added or changed.

    A material without `quiz` keeps the quiz it has (it may have been written in Telegram),
    unless `replace` is set.
    """
    rows = {m.slug: m for m in (await session.scalars(select(LearningMaterial))).all()}
    existing = {q.material_pk: q for q in (await session.scalars(select(Quiz))).all()}
    touched = 0
    for material in materials:
        row = rows.get(material.id)
        if row is None:
            continue
        quiz = existing.get(row.pk)
        if material.quiz is None:
            if replace and quiz is not None:
                await session.delete(quiz)
                touched += 1
            continue
        data = quiz_to_dict(material.quiz)
        if quiz is None:
            session.add(
                Quiz(
                    material_pk=row.pk,
                    pass_percent=data["pass_percent"],
                    questions=data["questions"],
                )
            )
            touched += 1
        elif quiz.questions != data["questions"] or quiz.pass_percent != data["pass_percent"]:
            quiz.questions = data["questions"]
            quiz.pass_percent = data["pass_percent"]
            quiz.version += 1
            quiz.updated_at = utcnow()
            quiz.updated_by = None
            touched += 1
    await session.flush()
    return touched


def spec_of(quiz: Quiz) -> QuizSpec:
    """The stored quiz as the YAML schema's value."""
    spec, problems = quiz_from_dict(
        {"pass_percent": quiz.pass_percent, "questions": quiz.questions}
    )
    if spec is None:
        raise ValueError(f"stored quiz {quiz.id} is invalid: {problems}")
    return spec


async def export_materials(session: AsyncSession) -> list[Material]:
    """Every material with its quiz, as `kelisim learn export` writes them."""
    quizzes = {q.material_pk: q for q in (await session.scalars(select(Quiz))).all()}
    query = select(LearningMaterial).order_by(LearningMaterial.position, LearningMaterial.pk)
    result = []
    for row in (await session.scalars(query)).all():
        quiz = quizzes.get(row.pk)
        result.append(
            Material(
                row.slug,
                row.kind,
                {"kk": row.title_kk, "ru": row.title_ru},
                {"kk": row.description_kk, "ru": row.description_ru},
                row.url,
                tuple(row.topics),
                spec_of(quiz) if quiz is not None else None,
            )
        )
    return result


# --- taking a quiz -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Score:
    best_percent: int
    last_percent: int
    attempts: int
    passed: bool


@dataclass(frozen=True, slots=True)
class QuizCard:
    """A quiz as a student finds it: its material, size and the student's scores."""

    quiz_id: int
    material: LearningMaterial
    questions: int
    pass_percent: int
    score: Score | None


async def scores(session: AsyncSession, user_id: int) -> dict[int, Score]:
    """quiz id -> the student's best and last score over finished attempts."""
    rows = (
        await session.execute(
            select(QuizAttempt.quiz_id, QuizAttempt.score_percent, QuizAttempt.passed)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.status == FINISHED)
            .order_by(QuizAttempt.id)
        )
    ).all()
    found: dict[int, Score] = {}
    for quiz_id, score, passed in rows:
        before = found.get(quiz_id)
        found[quiz_id] = Score(
            best_percent=max(score or 0, before.best_percent if before else 0),
            last_percent=score or 0,
            attempts=(before.attempts if before else 0) + 1,
            passed=bool(passed) or (before.passed if before else False),
        )
    return found


async def quiz_cards(session: AsyncSession, user_id: int | None) -> list[QuizCard]:
    """Materials that have a quiz, in their curated order."""
    rows = (
        await session.execute(
            select(Quiz, LearningMaterial)
            .join(LearningMaterial, LearningMaterial.pk == Quiz.material_pk)
            .order_by(LearningMaterial.position, LearningMaterial.pk)
        )
    ).all()
    mine = await scores(session, user_id) if user_id is not None else {}
    return [
        QuizCard(quiz.id, material, len(quiz.questions), quiz.pass_percent, mine.get(quiz.id))
        for quiz, material in rows
    ]


async def quiz_card(session: AsyncSession, quiz_id: int, user_id: int | None) -> QuizCard | None:
    return next((c for c in await quiz_cards(session, user_id) if c.quiz_id == quiz_id), None)


async def start_attempt(session: AsyncSession, user_id: int, quiz_id: int) -> QuizAttempt | None:
    """A fresh attempt over a snapshot of the quiz as it is now; an unfinished one of the same
    quiz is abandoned. None when the quiz no longer exists."""
    quiz = await session.get(Quiz, quiz_id)
    if quiz is None or not quiz.questions:
        return None
    await session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.quiz_id == quiz_id,
            QuizAttempt.status == ACTIVE,
        )
        .values(status=ABANDONED, finished_at=utcnow())
    )
    attempt = QuizAttempt(
        quiz_id=quiz.id,
        user_id=user_id,
        quiz_version=quiz.version,
        questions=list(quiz.questions),
        pass_percent=quiz.pass_percent,
        position=0,
        selected=[],
        answers=[],
        correct=0,
        status=ACTIVE,
    )
    session.add(attempt)
    await session.flush()
    return attempt


async def attempt_of(session: AsyncSession, attempt_id: int, user_id: int) -> QuizAttempt | None:
    """The student's own attempt (someone else's id gives None)."""
    attempt = await session.get(QuizAttempt, attempt_id)
    return attempt if attempt is not None and attempt.user_id == user_id else None


def question_at(attempt: QuizAttempt, position: int) -> Question:
    return question_from_stored(attempt.questions[position])


def _still_at(attempt: QuizAttempt, position: int) -> tuple[Any, ...]:
    """The attempt, still active at `position`: an update under these conditions counts a
    double click once."""
    return (
        QuizAttempt.id == attempt.id,
        QuizAttempt.position == position,
        QuizAttempt.status == ACTIVE,
    )


def ticks(attempt: QuizAttempt, position: int, option: int) -> bool:
    """Whether pressing `option` of the question at `position` ticks it rather than answers
    (a several-answers question is answered with its «check» button, option -1)."""
    if option < 0 or not 0 <= position < len(attempt.questions):
        return False
    return question_at(attempt, position).kind == "multiple"


@dataclass(frozen=True, slots=True)
class Answer:
    """What answering did. `status`: "ok", "stale" (that question is already answered or the
    attempt is over), "empty" (a multiple-choice question checked with nothing ticked)."""

    status: str
    attempt: QuizAttempt | None = None
    question: Question | None = None
    chosen: frozenset[int] = frozenset()
    right: bool = False
    finished: bool = False
    quiz_changed: bool = False


async def toggle_option(
    session: AsyncSession, attempt_id: int, user_id: int, position: int, option: int
) -> QuizAttempt | None:
    """Tick or untick an option of the current multiple-choice question; None when stale."""
    attempt = await attempt_of(session, attempt_id, user_id)
    if attempt is None or attempt.status != ACTIVE or attempt.position != position:
        return None
    question = question_at(attempt, position)
    if not 0 <= option < len(question.options):
        return None
    selected = set(attempt.selected) ^ {option}
    result = await session.execute(
        update(QuizAttempt)
        .where(*_still_at(attempt, position))
        .values(selected=sorted(selected))
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    await session.refresh(attempt)
    return attempt


async def answer(
    session: AsyncSession,
    attempt_id: int,
    user_id: int,
    position: int,
    option: int | None = None,
) -> Answer:
    """Answer the question at `position`: `option` for single choice, the ticked options for
    multiple choice. Counted once, however many times or places it is pressed."""
    attempt = await attempt_of(session, attempt_id, user_id)
    if attempt is None or attempt.status != ACTIVE or attempt.position != position:
        return Answer("stale", attempt)
    question = question_at(attempt, position)
    if question.kind == "single":
        if option is None or not 0 <= option < len(question.options):
            return Answer("stale", attempt)
        chosen = frozenset({option})
    else:
        chosen = frozenset(attempt.selected)
        if not chosen:
            return Answer("empty", attempt, question)
    right = is_right(question, chosen)
    total = len(attempt.questions)
    correct = attempt.correct + int(right)
    finished = position + 1 >= total
    values: dict[str, Any] = {
        "position": position + 1,
        "selected": [],
        "answers": [*attempt.answers, sorted(chosen)],
        "correct": correct,
    }
    if finished:
        score = percent(correct, total)
        values.update(
            status=FINISHED,
            score_percent=score,
            passed=score >= attempt.pass_percent,
            finished_at=utcnow(),
        )
    result = await session.execute(
        update(QuizAttempt)
        .where(*_still_at(attempt, position))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return Answer("stale", attempt)
    await session.refresh(attempt)
    changed = False
    if finished:
        quiz = await session.get(Quiz, attempt.quiz_id)
        changed = quiz is not None and quiz.version != attempt.quiz_version
    return Answer("ok", attempt, question, chosen, right, finished, changed)


# --- admins' edits -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edit:
    """ "ok", "conflict" (someone changed the quiz meanwhile) or "gone"."""

    status: str
    quiz: Quiz | None = None


async def save_questions(
    session: AsyncSession,
    material_pk: int,
    questions: Sequence[Question],
    *,
    expected_version: int | None,
    admin_id: int,
    pass_percent: int | None = None,
) -> Edit:
    """Replace a material's quiz questions if nobody saved since `expected_version` was read
    (None: the quiz must not exist yet). No questions left removes the quiz."""
    material = await session.get(LearningMaterial, material_pk)
    if material is None:
        return Edit("gone")
    quiz = await session.scalar(select(Quiz).where(Quiz.material_pk == material_pk))
    current = quiz.version if quiz is not None else None
    if current != expected_version:
        return Edit("conflict", quiz)
    if quiz is not None and not questions:
        await session.delete(quiz)
        await session.flush()
        return Edit("ok", None)
    stored = quiz_to_dict(QuizSpec(tuple(questions)))["questions"]
    if quiz is None:
        quiz = Quiz(
            material_pk=material_pk,
            pass_percent=pass_percent or 60,
            questions=stored,
            version=1,
            updated_by=admin_id,
        )
        session.add(quiz)
    else:
        result = await session.execute(
            update(Quiz)
            .where(Quiz.id == quiz.id, Quiz.version == expected_version)
            .values(
                questions=stored,
                version=Quiz.version + 1,
                updated_at=utcnow(),
                updated_by=admin_id,
                pass_percent=pass_percent or quiz.pass_percent,
            )
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return Edit("conflict", quiz)
        await session.refresh(quiz)
    await session.flush()
    return Edit("ok", quiz)


async def material(session: AsyncSession, material_pk: int) -> LearningMaterial | None:
    return await session.get(LearningMaterial, material_pk)


async def quiz_of_material(session: AsyncSession, material_pk: int) -> Quiz | None:
    return await session.scalar(select(Quiz).where(Quiz.material_pk == material_pk))


# --- personal data and reports -----------------------------------------------------------------


async def forget_user(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(QuizAttempt).where(QuizAttempt.user_id == user_id))


async def export_attempts(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    """The student's attempts for the data export."""
    rows = (
        await session.execute(
            select(QuizAttempt, LearningMaterial.slug)
            .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
            .join(LearningMaterial, LearningMaterial.pk == Quiz.material_pk)
            .where(QuizAttempt.user_id == user_id)
            .order_by(QuizAttempt.id)
        )
    ).all()
    return [
        {
            "material": slug,
            "status": a.status,
            "answered": len(a.answers),
            "questions": len(a.questions),
            "correct": a.correct,
            "score_percent": a.score_percent,
            "passed": a.passed,
            "started_at": a.started_at.isoformat() if a.started_at else None,
            "finished_at": a.finished_at.isoformat() if a.finished_at else None,
        }
        for a, slug in rows
    ]


@dataclass(frozen=True, slots=True)
class PassRate:
    material: str
    students: int
    passed: int
    attempts: int

    @property
    def percent(self) -> int:
        return percent(self.passed, self.students)


async def pass_rates(session: AsyncSession) -> list[PassRate]:
    """Per material with a quiz: students who finished it, how many of them passed, attempts."""
    rows = (
        await session.execute(
            select(
                LearningMaterial.slug,
                QuizAttempt.user_id,
                func.max(func.coalesce(QuizAttempt.passed, False).cast(Integer)),
                func.count(),
            )
            .join(Quiz, Quiz.material_pk == LearningMaterial.pk)
            .join(QuizAttempt, QuizAttempt.quiz_id == Quiz.id)
            .where(QuizAttempt.status == FINISHED)
            .group_by(LearningMaterial.slug, QuizAttempt.user_id)
        )
    ).all()
    totals: dict[str, list[int]] = {}
    for slug, _user, passed, attempts in rows:
        entry = totals.setdefault(slug, [0, 0, 0])
        entry[0] += 1
        entry[1] += int(bool(passed))
        entry[2] += int(attempts)
    return [PassRate(slug, *values) for slug, values in sorted(totals.items())]


async def material_of_quiz(session: AsyncSession, quiz_id: int) -> LearningMaterial | None:
    return await session.scalar(
        select(LearningMaterial)
        .join(Quiz, Quiz.material_pk == LearningMaterial.pk)
        .where(Quiz.id == quiz_id)
    )
