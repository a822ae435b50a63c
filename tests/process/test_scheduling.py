"""Scheduled work with a real job store: SLA nudges, the survey's reminder and expiry, and a
restart between closing a consultation and the survey's due time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher

from bot.config import Settings
from bot.factory import App, create_bot, create_dispatcher
from bot.scheduler import job_store_url
from tests.consult_support import (
    ADMIN_ID,
    CURATOR_ID,
    SECOND_CURATOR_ID,
    STUDENT_ID,
    assert_anonymous,
    consent,
    consult_settings,
    driver,
    make_app,
    request_consultation,
    survey_messages,
    texts_to,
    the_survey,
    wait_until,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.lang import looks_kazakh


def panel(recording: RecordingSession, chat_id: int) -> int:
    for message in reversed(recording.chat_messages(chat_id)):
        if "📝" in str(message.reply_markup):
            return message.message_id
    raise AssertionError("no owner panel")


def card_id(recording: RecordingSession, chat_id: int) -> int:
    for message in recording.chat_messages(chat_id):
        if message.from_user and message.from_user.is_bot and "✋" in str(message.reply_markup):
            return message.message_id
    raise AssertionError("no card")


async def close_consultation(curator: ChatDriver, recording: RecordingSession) -> None:
    await curator.click("✋", card_id(recording, CURATOR_ID))
    await curator.send("Сәлеметсіз бе!")
    await curator.click("✅", panel(recording, CURATOR_ID))
    await curator.send("Кеңес берілді")


class TestSla:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return consult_settings(db_url, sla_remind_after=1, survey_delay=3600)

    async def test_unclaimed_nudges_curators_then_admins_and_stops_when_taken(
        self, student: ChatDriver, app: App, bot: Bot, dp: Dispatcher, recording: RecordingSession
    ) -> None:
        app.start_scheduler(bot)
        await consent(student)
        await request_consultation(student)
        await wait_until(lambda: any("⏰" in t for t in texts_to(recording, CURATOR_ID)))
        # Every curator is nudged; the sends go one after another.
        await wait_until(lambda: any("⏰" in t for t in texts_to(recording, SECOND_CURATOR_ID)))
        await wait_until(lambda: any("⚠️" in t for t in texts_to(recording, ADMIN_ID)))
        nudges = len([t for t in texts_to(recording, CURATOR_ID) if "⏰" in t])
        assert nudges == 1

        # Taken: the assigned curator is nudged when the student waits for a reply.
        curator = driver(dp, bot, recording, CURATOR_ID, "Dana")
        await curator.click("✋", card_id(recording, CURATOR_ID))
        await wait_until(
            lambda: any("⏰" in t and "#1" in t for t in texts_to(recording, CURATOR_ID)[-3:])
        )
        assert len([t for t in texts_to(recording, SECOND_CURATOR_ID) if "⏰" in t]) == 1
        # A reply stops the nudges.
        await curator.send("Жауап беремін")
        count = len([t for t in texts_to(recording, CURATOR_ID) if "⏰" in t])
        await asyncio.sleep(1.5)
        assert len([t for t in texts_to(recording, CURATOR_ID) if "⏰" in t]) == count
        assert_anonymous(recording)

    async def test_nothing_nudged_when_taken_in_time(
        self, student: ChatDriver, app: App, bot: Bot, dp: Dispatcher, recording: RecordingSession
    ) -> None:
        app.start_scheduler(bot)
        await consent(student)
        await request_consultation(student)
        curator = driver(dp, bot, recording, CURATOR_ID, "Dana")
        await curator.click("✋", card_id(recording, CURATOR_ID))
        await curator.send("Сәлем")
        await asyncio.sleep(2.5)
        assert not any("⏰" in t or "⚠️" in t for t in texts_to(recording, SECOND_CURATOR_ID))
        assert not any("⚠️" in t for t in texts_to(recording, ADMIN_ID))


class TestSurveyLifecycle:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return consult_settings(db_url, survey_delay=1)

    async def test_one_reminder_then_expiry_and_late_answers_refused(
        self, student: ChatDriver, app: App, bot: Bot, dp: Dispatcher, recording: RecordingSession
    ) -> None:
        app.start_scheduler(bot)
        await consent(student)
        await request_consultation(student)
        await close_consultation(driver(dp, bot, recording, CURATOR_ID, "Dana"), recording)
        await wait_until(lambda: len(survey_messages(recording, STUDENT_ID)) == 2)
        assert looks_kazakh(survey_messages(recording, STUDENT_ID)[1].text)
        await wait_until(lambda: _status(app) == "expired")
        await asyncio.sleep(1.2)
        assert len(survey_messages(recording, STUDENT_ID)) == 2  # one reminder only
        await student.click("4")
        answer = student.callback_answer()
        assert answer.show_alert and looks_kazakh(answer.text or "")
        survey = await the_survey(app)
        assert survey is not None and survey.rating is None

    async def test_rating_pressed_twice_counts_once(
        self, student: ChatDriver, app: App, bot: Bot, dp: Dispatcher, recording: RecordingSession
    ) -> None:
        app.start_scheduler(bot)
        await consent(student)
        await request_consultation(student)
        await close_consultation(driver(dp, bot, recording, CURATOR_ID, "Dana"), recording)
        await wait_until(lambda: bool(survey_messages(recording, STUDENT_ID)))
        message_id = student.bot_messages()[-1].message_id
        await student.click("3", message_id)
        # A second press on the same (stale) keyboard, as a double tap would send it.
        await student.click_data("srate:1:5", message_id)
        assert looks_kazakh(student.answered_callback_text() or "")
        survey = await the_survey(app)
        assert survey is not None and survey.rating == 3
        await asyncio.sleep(1.5)
        assert len(survey_messages(recording, STUDENT_ID)) == 1  # answered: no reminder


def _status(app: App) -> str | None:
    import sqlite3

    path = app.settings.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        row = conn.execute("select status from follow_up_surveys").fetchone()
    return row[0] if row else None


@pytest.fixture
async def restart_settings(tmp_path: Path) -> AsyncIterator[Settings]:
    yield consult_settings(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}", survey_delay=2)


async def test_survey_sent_once_across_a_restart(
    restart_settings: Settings, tmp_path: Path
) -> None:
    recording = RecordingSession()  # Telegram outlives the bot's restarts
    bot = create_bot(restart_settings, session=recording)

    first = await make_app(restart_settings)
    dp = create_dispatcher(first)
    first.start_scheduler(bot)
    student = driver(dp, bot, recording, STUDENT_ID, "Aigerim", language="kk")
    await consent(student)
    await request_consultation(student)
    await close_consultation(driver(dp, bot, recording, CURATOR_ID, "Dana"), recording)
    assert first.planner is not None and first.planner.pending() == 1
    await first.aclose()  # the bot goes down before the survey is due

    jobs_file = Path(str(job_store_url(restart_settings.database_url)).split("///", 1)[1])
    assert await asyncio.to_thread(jobs_file.exists)
    await asyncio.sleep(2.5)  # the survey comes due while nothing runs
    assert not survey_messages(recording, STUDENT_ID)

    second = await make_app(restart_settings)
    second.start_scheduler(bot)
    await wait_until(lambda: bool(survey_messages(recording, STUDENT_ID)))
    await asyncio.sleep(0.5)
    await second.aclose()

    third = await make_app(restart_settings)  # and once more: nothing is sent again
    third.start_scheduler(bot)
    await asyncio.sleep(0.8)  # less than SURVEY_DELAY: the reminder is not due yet
    await third.aclose()
    assert len(survey_messages(recording, STUDENT_ID)) == 1
    assert looks_kazakh(survey_messages(recording, STUDENT_ID)[0].text)
    await bot.session.close()


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        (
            "sqlite+aiosqlite:////srv/kelisim/var/kelisim.sqlite3",
            "sqlite:////srv/kelisim/var/kelisim-jobs.sqlite3",
        ),
        (
            "postgresql+asyncpg://bot:secret@db:5432/kelisim",
            "postgresql+psycopg://bot:secret@db:5432/kelisim",
        ),
        ("sqlite+aiosqlite:///:memory:", None),
    ],
)
def test_job_store_url_is_derived_from_the_database_url(
    database_url: str, expected: str | None
) -> None:
    assert job_store_url(database_url) == expected
