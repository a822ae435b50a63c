"""The weekly early-warning digest to admins: through the real scheduler job with a recording
Bot session, each admin in their own language, once across a restart, faculties shown only
with at least five students behind them; and /faculty, where students give their faculty."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from aiogram import Bot
from aiogram.methods import SendMessage
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import select

from bot.clock import ALMATY, now
from bot.db.models import Consultation, FaqEntry, QuestionLog, User, WeeklyDigest
from bot.factory import App, create_bot, create_dispatcher
from bot.handlers.digest.notices import JOB_ID, send_weekly_digest
from bot.services import digest
from bot.services.questions import ANSWERED, ROUTED, UNMATCHED
from tests.consult_support import consent, consult_settings, driver, make_app
from tests.fakes.recording import RecordingSession

ADMIN_KK, ADMIN_RU = 9001, 9002
ENGINEERING = [7001, 7002, 7003, 7004, 7005]  # five students: shown
LAW = [7101, 7102, 7103, 7104]  # four students: hidden


def last_week() -> date:
    return digest.last_complete_week(now(), ALMATY)


def moment(day: date, offset_days: int = 2) -> datetime:
    """Noon in Almaty, `offset_days` after Monday `day`."""
    return datetime.combine(day + timedelta(days=offset_days), time(12), ALMATY)


async def start_scheduler(app: App, bot: Bot) -> None:
    """Start the scheduler and wait for its start-up job, so closing does not cut it off."""
    assert app.planner is not None
    settled = asyncio.Event()

    def on_job(event: JobExecutionEvent) -> None:
        if event.job_id == "resume-outreach":
            settled.set()

    app.planner.scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    app.start_scheduler(bot)
    await asyncio.wait_for(settled.wait(), timeout=60)


async def seed(app: App) -> None:
    """Admins in both languages; two faculties' students with consultations and incident
    reports last week; a quieter baseline; questions asked and unanswered."""
    week = last_week()
    async with app.session_factory() as session, session.begin():
        for admin, language in ((ADMIN_KK, "kk"), (ADMIN_RU, "ru")):
            session.add(User(id=admin, language=language, consent_version="x", consent_at=now()))
        for student in ENGINEERING + LAW:
            faculty = "Engineering" if student in ENGINEERING else "Law"
            session.add(
                User(
                    id=student,
                    language="ru",
                    consent_version="x",
                    consent_at=now(),
                    faculty=faculty if student != ENGINEERING[0] else " engineering ",
                )
            )
        for student in ENGINEERING + LAW:
            session.add(
                Consultation(
                    student_id=student,
                    language="ru",
                    area="discrimination",
                    status="waiting",
                    created_at=moment(week),
                )
            )
        # One conflict case a week in the baseline, four last week.
        for back in range(1, 9):
            session.add(
                Consultation(
                    language="kk",
                    area="conflict",
                    status="closed",
                    created_at=moment(week - timedelta(weeks=back)),
                )
            )
        for _ in range(4):
            session.add(
                Consultation(
                    language="kk", area="conflict", status="waiting", created_at=moment(week)
                )
            )
        # Incident reports the bot recognised: two last week (one by an engineer).
        for user_id in (ENGINEERING[1], None):
            session.add(
                QuestionLog(
                    user_id=user_id,
                    text="мені ұлтым үшін қорлады",
                    language="kk",
                    intent="report_incident",
                    intent_confidence=0.9,
                    outcome=ROUTED,
                    details={"action": "incident"},
                    created_at=moment(week, 3),
                )
            )
        nauryz = await session.scalar(select(FaqEntry).where(FaqEntry.slug == "nauryz-dates"))
        assert nauryz is not None
        for _ in range(3):
            session.add(
                QuestionLog(
                    text="наурыз қашан",
                    language="kk",
                    intent="ask_faq",
                    intent_confidence=0.9,
                    outcome=ANSWERED,
                    entry_pk=nauryz.pk,
                    created_at=moment(week, 1),
                )
            )
        # "жатақхана" was asked about before; "шлагбаум" is new this week.
        session.add(
            QuestionLog(
                text="жатақхана кезегі",
                language="kk",
                intent="nlu_fallback",
                intent_confidence=0.2,
                outcome=UNMATCHED,
                created_at=moment(week - timedelta(weeks=3)),
            )
        )
        for text in ("жатақхана шлагбаум жабық", "шлагбаум неге жабық"):
            session.add(
                QuestionLog(
                    text=text,
                    language="kk",
                    intent="nlu_fallback",
                    intent_confidence=0.2,
                    outcome=UNMATCHED,
                    created_at=moment(week, 4),
                )
            )


def digests(recording: RecordingSession) -> list[SendMessage]:
    return [m for m in recording.of_type(SendMessage) if m.chat_id in (ADMIN_KK, ADMIN_RU)]


async def test_digest_goes_to_each_admin_once_across_a_restart(tmp_path: Path) -> None:
    settings = consult_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}", admin_ids=[ADMIN_KK, ADMIN_RU]
    )
    recording = RecordingSession()
    bot = create_bot(settings, session=recording)

    first = await make_app(settings)
    await seed(first)
    await start_scheduler(first, bot)
    assert first.planner is not None
    job = first.planner.scheduler.get_job(JOB_ID)
    assert job is not None
    next_run = job.next_run_time.astimezone(ALMATY)
    assert (next_run.weekday(), next_run.hour, next_run.minute) == (0, 9, 0)  # Monday 09:00
    assert await send_weekly_digest() == 2
    await first.aclose()

    second = await make_app(settings)  # the bot restarts within the same week
    await start_scheduler(second, bot)
    assert second.planner is not None and second.planner.scheduler.get_job(JOB_ID) is not None
    assert await send_weekly_digest() == 0
    await second.aclose()
    await bot.session.close()

    sent = {m.chat_id: m.text for m in digests(recording)}
    assert sorted(sent) == [ADMIN_KK, ADMIN_RU] and len(digests(recording)) == 2
    kk, ru = sent[ADMIN_KK], sent[ADMIN_RU]
    assert "Апталық шолу" in kk and "Еженедельная сводка" in ru
    # Nine discrimination cases last week, none before: a rise.
    assert "⬆️ 9" in ru
    # Four conflict cases against one a week usually.
    assert "⬆️ 4" in ru and "1" in ru
    # Incident reports: two.
    assert "⬆️ 2" in ru
    # Five engineers (one spelled differently) are shown, four lawyers are not.
    assert "Engineering" in ru and "Law" not in ru
    assert "меньше 5 студентов: 1" in ru
    # The topic asked most in each admin's language, and the new word.
    assert "Наурыз" in ru and "шлагбаум (2)" in ru and "жабық (2)" in ru
    assert "жатақхана" not in ru
    async with second.session_factory() as session:
        weeks = (await session.scalars(select(WeeklyDigest.week))).all()
    assert weeks == [digest.week_key(last_week())]


async def test_a_faculty_of_four_students_is_hidden_and_five_shown(tmp_path: Path) -> None:
    settings = consult_settings(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}")
    app = await make_app(settings)
    await seed(app)
    async with app.session_factory() as session:
        report = await digest.build_digest(session, last_week(), ALMATY)
    assert [(f.faculty, f.people, f.trend.week) for f in report.faculties] == [
        ("Engineering", 5, 6)  # five consultations and one incident report
    ]
    assert report.hidden_faculties == 1
    # With a threshold of four, the four law students would be shown.
    async with app.session_factory() as session:
        report = await digest.build_digest(session, last_week(), ALMATY, k=4)
    await app.aclose()
    assert {f.faculty for f in report.faculties} == {"Engineering", "Law"}


async def test_schedule_is_configurable_and_can_be_off(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"
    recording = RecordingSession()
    settings = consult_settings(db, digest_at="fri 17:30", digest_timezone="UTC")
    bot = create_bot(settings, session=recording)
    app = await make_app(settings)
    await start_scheduler(app, bot)
    assert app.planner is not None
    job = app.planner.scheduler.get_job(JOB_ID)
    assert job is not None
    assert job.next_run_time.astimezone(UTC).strftime("%a %H:%M") == "Fri 17:30"
    await app.aclose()

    off = await make_app(consult_settings(db, digest_at="off"))
    await start_scheduler(off, bot)
    assert off.planner is not None and off.planner.scheduler.get_job(JOB_ID) is None
    await off.aclose()
    await bot.session.close()


def test_schedule_parsing() -> None:
    assert digest.parse_schedule("Mon 09:00") == digest.Schedule(0, 9, 0)
    assert digest.parse_schedule(" off ") is None
    for bad in ("monday 9", "mon 25:00", "09:00"):
        try:
            digest.parse_schedule(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


async def test_student_gives_and_removes_faculty(tmp_path: Path) -> None:
    settings = consult_settings(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}")
    app = await make_app(settings)
    recording = RecordingSession()
    bot = create_bot(settings, session=recording)
    dp = create_dispatcher(app)
    student = driver(dp, bot, recording, 5001, "Aigerim", "kk")
    await student.send_command("/faculty", "Engineering")
    assert "/start" in student.last_text()  # consent first
    await consent(student)
    await student.send_command("/faculty", "Инженерия, 2")
    async with app.session_factory() as session:
        user = await session.get(User, 5001)
        assert user is not None and (user.faculty, user.course) == ("Инженерия", 2)
    await student.send_command("/faculty")
    assert "Инженерия" in student.last_text()
    await student.send_command("/faculty", "Инженерия, 9")  # no ninth course
    async with app.session_factory() as session:
        user = await session.get(User, 5001)
        assert user is not None and user.course == 2
    await student.send_command("/faculty", "-")
    async with app.session_factory() as session:
        user = await session.get(User, 5001)
        assert user is not None and (user.faculty, user.course) == (None, None)
    await app.aclose()
    await bot.session.close()
