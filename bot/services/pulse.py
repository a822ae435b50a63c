"""Anonymous pulse surveys: a short survey (3–8 Likert or single-choice questions, both
languages) sent to consenting students, answered with buttons, reported only in groups of at
least `K_ANONYMITY` respondents.

Anonymity by construction: an answer row holds the question, the value and — only if the
student gave them — faculty and course; no user id, no time. Who was asked and how many
questions they answered live in `pulse_participants`, which no answer points to. The
"answered" counter is advanced with a guarded UPDATE before the answer is written, so a double
press (or two replicas) counts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now
from bot.db.models import NotificationSettings, StaffMember, User
from bot.db.pulse_models import PulseAnswer, PulseParticipant, PulseQuestion, PulseSurvey
from bot.services.notifications import CONSENT_WITHDRAWN

K_ANONYMITY = 5
MIN_QUESTIONS, MAX_QUESTIONS = 3, 8
MIN_OPTIONS, MAX_OPTIONS = 2, 6
LIKERT, CHOICE = "likert", "choice"
LIKERT_VALUES = (1, 2, 3, 4, 5)
MAX_TEXT = 300
MAX_OPTION = 40
DRAFT, SENDING, SENT = "draft", "sending", "sent"
PENDING, CLAIMED, DELIVERED, BLOCKED, FAILED = "pending", "claimed", "sent", "blocked", "failed"
LANGUAGES = ("kk", "ru")
BATCH = 20


class PulseError(ValueError):
    """A survey document with problems; `problems` lists every one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    kind: str
    text: dict[str, str]
    options: tuple[dict[str, str], ...] = ()

    def values(self) -> tuple[int, ...]:
        return LIKERT_VALUES if self.kind == LIKERT else tuple(range(1, len(self.options) + 1))


@dataclass(frozen=True, slots=True)
class SurveyDraft:
    title: dict[str, str]
    questions: tuple[QuestionDraft, ...]


def _bilingual(value: Any, where: str, limit: int, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(f"{where}: needs kk and ru")
        return {}
    out = {}
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}.{language}: missing")
        elif len(text.strip()) > limit:
            problems.append(f"{where}.{language}: longer than {limit} characters")
        else:
            out[language] = text.strip()
    return out


def parse_survey(text: str) -> SurveyDraft:
    """Read a survey YAML document (README.md shows one); PulseError lists every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PulseError([f"not YAML: {error}"]) from error
    if not isinstance(data, dict):
        raise PulseError(["expected a mapping with title and questions"])
    problems: list[str] = []
    title = _bilingual(data.get("title"), "title", 200, problems)
    raw = data.get("questions")
    if not isinstance(raw, list) or not MIN_QUESTIONS <= len(raw) <= MAX_QUESTIONS:
        problems.append(f"questions: {MIN_QUESTIONS} to {MAX_QUESTIONS} needed")
        raw = raw if isinstance(raw, list) else []
    questions = []
    for n, item in enumerate(raw, 1):
        where = f"questions[{n}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        kind = item.get("kind", LIKERT)
        if kind not in (LIKERT, CHOICE):
            problems.append(f"{where}.kind: likert or choice")
            continue
        question_text = _bilingual(item.get("text"), f"{where}.text", MAX_TEXT, problems)
        options: list[dict[str, str]] = []
        if kind == CHOICE:
            raw_options = item.get("options")
            if not isinstance(raw_options, list) or not (
                MIN_OPTIONS <= len(raw_options) <= MAX_OPTIONS
            ):
                problems.append(f"{where}.options: {MIN_OPTIONS} to {MAX_OPTIONS} needed")
            else:
                for m, option in enumerate(raw_options, 1):
                    options.append(
                        _bilingual(option, f"{where}.options[{m}]", MAX_OPTION, problems)
                    )
        elif "options" in item:
            problems.append(f"{where}.options: only for kind choice")
        questions.append(QuestionDraft(kind, question_text, tuple(options)))
    if problems:
        raise PulseError(problems)
    return SurveyDraft(title, tuple(questions))


async def create_survey(session: AsyncSession, draft: SurveyDraft, author: int | None) -> int:
    survey = PulseSurvey(
        title_kk=draft.title["kk"], title_ru=draft.title["ru"], status=DRAFT, created_by=author
    )
    session.add(survey)
    await session.flush()
    for position, question in enumerate(draft.questions):
        session.add(
            PulseQuestion(
                survey_id=survey.id,
                position=position,
                kind=question.kind,
                text_kk=question.text["kk"],
                text_ru=question.text["ru"],
                options=list(question.options),
            )
        )
    await session.flush()
    return survey.id


@dataclass(frozen=True, slots=True)
class SurveyInfo:
    id: int
    title: dict[str, str]
    status: str
    questions: int
    asked: int
    finished: int


async def list_surveys(session: AsyncSession) -> list[SurveyInfo]:
    """Every survey, newest first, with how many were asked and how many finished."""
    surveys = (await session.scalars(select(PulseSurvey).order_by(PulseSurvey.id.desc()))).all()
    out = []
    for survey in surveys:
        out.append(await survey_info(session, survey))
    return out


async def survey_info(session: AsyncSession, survey: PulseSurvey) -> SurveyInfo:
    questions = await _question_count(session, survey.id)
    asked = await session.scalar(
        select(func.count()).where(
            PulseParticipant.survey_id == survey.id, PulseParticipant.status == DELIVERED
        )
    )
    finished = await session.scalar(
        select(func.count()).where(
            PulseParticipant.survey_id == survey.id, PulseParticipant.answered >= questions
        )
    )
    return SurveyInfo(
        survey.id,
        {"kk": survey.title_kk, "ru": survey.title_ru},
        survey.status,
        questions,
        int(asked or 0),
        int(finished or 0),
    )


async def _question_count(session: AsyncSession, survey_id: int) -> int:
    return int(
        await session.scalar(select(func.count()).where(PulseQuestion.survey_id == survey_id)) or 0
    )


async def get_survey(session: AsyncSession, survey_id: int) -> PulseSurvey | None:
    return await session.get(PulseSurvey, survey_id)


async def queue_send(session: AsyncSession, survey_id: int, staff: set[int]) -> int | None:
    """List the recipients of a draft survey (consenting students who did not turn surveys
    off, block the bot, or belong to staff) and mark it sending; None if it is not a draft."""
    result = await session.execute(
        update(PulseSurvey)
        .where(PulseSurvey.id == survey_id, PulseSurvey.status == DRAFT)
        .values(status=SENDING, sent_at=now())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    surveys_off = select(NotificationSettings.user_id).where(
        NotificationSettings.surveys.is_(False)
    )
    recipients = select(literal(survey_id), User.id, literal(PENDING)).where(
        User.consent_version != CONSENT_WITHDRAWN,
        User.blocked_bot.is_(False),
        User.id.not_in(surveys_off),
        User.id.not_in(select(StaffMember.user_id)),
    )
    if staff:
        recipients = recipients.where(User.id.not_in(sorted(staff)))
    inserted = await session.execute(
        insert(PulseParticipant).from_select(["survey_id", "user_id", "status"], recipients)
    )
    return int(inserted.rowcount or 0)  # type: ignore[attr-defined]


async def sending(session: AsyncSession) -> list[int]:
    """Surveys with recipients still to send to (a restart continues them)."""
    return list(
        (await session.scalars(select(PulseSurvey.id).where(PulseSurvey.status == SENDING))).all()
    )


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    language: str


async def claim_batch(session: AsyncSession, survey_id: int, size: int = BATCH) -> list[Recipient]:
    """Take the next recipients to send to (claimed before sending: a restart never sends
    twice); an empty list finishes the survey's sending."""
    rows = (
        await session.execute(
            select(PulseParticipant.user_id, User.language)
            .join(User, User.id == PulseParticipant.user_id)
            .where(PulseParticipant.survey_id == survey_id, PulseParticipant.status == PENDING)
            .order_by(PulseParticipant.user_id)
            .limit(size)
        )
    ).all()
    claimed = []
    for user_id, language in rows:
        result = await session.execute(
            update(PulseParticipant)
            .where(
                PulseParticipant.survey_id == survey_id,
                PulseParticipant.user_id == user_id,
                PulseParticipant.status == PENDING,
            )
            .values(status=CLAIMED)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            claimed.append(Recipient(user_id, language))
    if not rows:
        await session.execute(
            update(PulseSurvey)
            .where(PulseSurvey.id == survey_id, PulseSurvey.status == SENDING)
            .values(status=SENT)
        )
    return claimed


async def record_delivery(session: AsyncSession, survey_id: int, user_id: int, status: str) -> None:
    await session.execute(
        update(PulseParticipant)
        .where(PulseParticipant.survey_id == survey_id, PulseParticipant.user_id == user_id)
        .values(status=status)
    )


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    survey_id: int
    position: int
    total: int
    kind: str
    text: dict[str, str]
    options: tuple[dict[str, str], ...]

    def values(self) -> tuple[int, ...]:
        return LIKERT_VALUES if self.kind == LIKERT else tuple(range(1, len(self.options) + 1))


async def questions(session: AsyncSession, survey_id: int) -> list[Question]:
    rows = (
        await session.scalars(
            select(PulseQuestion)
            .where(PulseQuestion.survey_id == survey_id)
            .order_by(PulseQuestion.position)
        )
    ).all()
    return [
        Question(
            q.id,
            q.survey_id,
            q.position,
            len(rows),
            q.kind,
            {"kk": q.text_kk, "ru": q.text_ru},
            tuple(q.options or ()),
        )
        for q in rows
    ]


async def current_question(session: AsyncSession, survey_id: int, user_id: int) -> Question | None:
    """The next question `user_id` has to answer; None when finished or not asked."""
    participant = await session.get(PulseParticipant, (survey_id, user_id))
    if participant is None:
        return None
    items = await questions(session, survey_id)
    return items[participant.answered] if participant.answered < len(items) else None


SAVED, ALREADY, NOT_ASKED, INVALID = "saved", "already", "not_asked", "invalid"


@dataclass(frozen=True, slots=True)
class AnswerResult:
    outcome: str
    next_question: Question | None = None

    @property
    def finished(self) -> bool:
        return self.outcome == SAVED and self.next_question is None


async def answer(
    session: AsyncSession, survey_id: int, question_id: int, user_id: int, value: int
) -> AnswerResult:
    """Record `value` for the question, once: a second press, or a press on an earlier
    question's buttons, changes nothing."""
    participant = await session.get(PulseParticipant, (survey_id, user_id))
    if participant is None:
        return AnswerResult(NOT_ASKED)
    items = await questions(session, survey_id)
    question = next((q for q in items if q.id == question_id), None)
    if question is None or value not in question.values():
        return AnswerResult(INVALID)
    advanced = await session.execute(
        update(PulseParticipant)
        .where(
            PulseParticipant.survey_id == survey_id,
            PulseParticipant.user_id == user_id,
            PulseParticipant.answered == question.position,
        )
        .values(answered=question.position + 1)
    )
    if not advanced.rowcount:  # type: ignore[attr-defined]
        return AnswerResult(ALREADY)
    user = await session.get(User, user_id)
    session.add(
        PulseAnswer(
            survey_id=survey_id,
            question_id=question_id,
            value=value,
            faculty=" ".join(user.faculty.split()) if user and user.faculty else None,
            course=user.course if user else None,
        )
    )
    following = question.position + 1
    return AnswerResult(SAVED, items[following] if following < len(items) else None)


async def claim_reminders(
    session: AsyncSession, survey_id: int
) -> list[tuple[Recipient, Question]]:
    """Those who received the survey and have not finished, each once, with the question they
    stopped at; the survey's one reminder is claimed before sending."""
    result = await session.execute(
        update(PulseSurvey)
        .where(PulseSurvey.id == survey_id, PulseSurvey.reminded_at.is_(None))
        .values(reminded_at=now())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return []
    items = await questions(session, survey_id)
    rows = (
        await session.execute(
            select(PulseParticipant.user_id, PulseParticipant.answered, User.language)
            .join(User, User.id == PulseParticipant.user_id)
            .where(
                PulseParticipant.survey_id == survey_id,
                PulseParticipant.status == DELIVERED,
                PulseParticipant.answered < len(items),
                PulseParticipant.reminded.is_(False),
                User.blocked_bot.is_(False),
                User.consent_version != CONSENT_WITHDRAWN,
            )
        )
    ).all()
    await session.execute(
        update(PulseParticipant)
        .where(
            PulseParticipant.survey_id == survey_id,
            PulseParticipant.user_id.in_([r[0] for r in rows]),
        )
        .values(reminded=True)
    )
    return [(Recipient(user_id, language), items[answered]) for user_id, answered, language in rows]


async def forget_participant(session: AsyncSession, user_id: int) -> None:
    """A student who deletes their data leaves no trace of having been asked (their answers
    stay: nothing links them to the student)."""
    await session.execute(delete(PulseParticipant).where(PulseParticipant.user_id == user_id))
