"""/me through the real dispatcher: what is shown, removing reminders and registrations,
notification preferences, the JSON export (the student's data and nobody else's), withdrawing
consent (processing stops, deletion offered), deletion of the new personal data, retention,
and recommendations."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile

from bot.config import Settings
from bot.factory import App
from bot.handlers.events.ui import EventOpen
from bot.services.users import purge_inactive
from tests.conftest import OTHER_STUDENT_ID, STUDENT_ID
from tests.consult_support import (
    CURATOR_ID,
    consent,
    consult_settings,
    driver,
    request_consultation,
    survey_messages,
)
from tests.event_support import make_event, reminders_to
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.fixtures.stores import store_execute, store_rows
from tests.lang import looks_kazakh


def _rows(app: App, sql: str) -> list[tuple]:
    return store_rows(app.settings.database_url, sql)


async def _follow(student: ChatDriver, event_id: int, *labels: str) -> None:
    await student.click_data(EventOpen(id=event_id).pack())
    for label in labels:
        await student.click(label)


async def test_without_consent_there_is_no_cabinet(student: ChatDriver) -> None:
    await student.send_command("/me")
    assert "/start" in student.last_text() and looks_kazakh(student.last_text())


async def test_cabinet_shows_and_removes_reminders_and_registrations(
    student: ChatDriver, app: App
) -> None:
    event_id = await make_event(app, timedelta(days=2), capacity=10)
    await consent(student)
    await _follow(student, event_id, "🔔", "✋")
    await student.send_command("/me")
    text = student.last_text()
    assert looks_kazakh(text) and "2026-11" in text and "қазақша" in text.lower()
    await student.click("📅")
    assert "Корей мәдениеті күні" in student.last_text()
    await student.click("✖️ 🔔")
    assert _rows(app, "select count(*) from event_reminders") == [(0,)]
    await student.click("✖️ ✋")
    assert _rows(app, "select count(*) from event_rsvps") == [(0,)]
    assert not any("✖️" in b for b in student.buttons())


async def test_notification_preferences_toggle(student: ChatDriver, app: App) -> None:
    await consent(student)
    await student.send_command("/me")
    await student.click("🔔")
    assert all(b.startswith("✅") for b in student.buttons())
    await student.click("✅ Хабарландырулар")
    assert any(b.startswith("🚫") for b in student.buttons())
    assert _rows(app, "select events, announcements, surveys from notification_settings") == [
        (1, 0, 1)
    ]


async def test_export_holds_the_students_data_and_nothing_of_others(
    student: ChatDriver,
    other_student: ChatDriver,
    app: App,
    recording: RecordingSession,
) -> None:
    event_id = await make_event(app, timedelta(days=2), capacity=5)
    await consent(student)
    await consent(other_student, "Русский")
    await student.send("Наурыз қашан?")
    await other_student.send("какого числа наурыз, Иван спрашивает")
    await _follow(student, event_id, "🔔")
    await _follow(other_student, event_id, "🔔", "✋")
    await request_consultation(other_student, area="⚖️")
    await student.send_command("/events")
    await student.click("🔔")
    await student.click("Мәдениет")

    await student.send_command("/me")
    await student.click("📦")
    documents = [m for m in recording.of_type(SendDocument) if m.chat_id == STUDENT_ID]
    assert len(documents) == 1
    document = documents[0].document
    assert isinstance(document, BufferedInputFile)
    raw = document.data.decode("utf-8")
    data = json.loads(raw)
    assert data["profile"]["telegram_id"] == STUDENT_ID
    assert data["profile"]["first_name"] == "Aigerim"
    assert [q["text"] for q in data["questions"]] == ["Наурыз қашан?"]
    assert [r["event_id"] for r in data["event_reminders"]] == [event_id]
    assert data["event_registrations"] == []
    assert [k["kind"] for k in data["event_kind_subscriptions"]] == ["culture_day"]
    assert data["consultations"] == []
    assert data["notification_preferences"] == {
        "events": True,
        "announcements": True,
        "surveys": True,
    }
    # Nothing about the other student.
    # (As a whole value: a timestamp's digits may happen to contain the id.)
    values = [str(v) for v in _leaf_values(data)]
    assert str(OTHER_STUDENT_ID) not in values and "Иван" not in raw and "Ivan" not in raw


async def test_withdrawing_consent_stops_processing_and_offers_deletion(
    student: ChatDriver, app: App, bot: Bot, recording: RecordingSession
) -> None:
    app.start_scheduler(bot)
    # The hour-before reminder falls due a few seconds from now: after the withdrawal even on
    # a busy machine, and the test waits for it below.
    lead = 8.0
    due = time.monotonic() + lead
    event_id = await make_event(app, timedelta(hours=1, seconds=lead))
    await consent(student)
    await _follow(student, event_id, "🔔")
    await student.send_command("/me")
    await student.click("↩️")
    await student.click("↩️")
    assert looks_kazakh(student.last_text())
    assert any("🗑" in b for b in student.buttons())
    assert time.monotonic() < due, "the reminder fell due before the withdrawal"
    # Processing stops: no reminder, and questions are no longer linked to the student.
    await asyncio.sleep(due - time.monotonic() + 0.5)
    assert not reminders_to(recording, STUDENT_ID)
    await student.send("Наурыз қашан?")
    await app.recorder.flush()
    assert _rows(app, "select user_id from question_log") == [(None,)]
    await student.send_command("/me")
    assert "/start" in student.last_text()
    assert not any("↩️" in b for b in student.buttons())
    # Deletion, offered at once, removes everything.
    await student.click("🗑")
    await student.click("🗑")
    assert _rows(app, "select count(*) from users") == [(0,)]
    assert _rows(app, "select count(*) from event_reminders") == [(0,)]


async def test_deleting_and_retention_remove_event_data_and_preferences(
    student: ChatDriver, other_student: ChatDriver, app: App
) -> None:
    event_id = await make_event(app, timedelta(days=2), capacity=5)
    for who, label, announcements in (
        (student, "Қазақша", "✅ Хабарландырулар"),
        (other_student, "Русский", "✅ Объявления"),
    ):
        await consent(who, label)
        await _follow(who, event_id, "🔔", "✋")
        await who.send_command("/me")
        await who.click("🔔")
        await who.click(announcements)
    await student.send_command("/privacy")
    assert "365" in student.last_text()
    await student.click("🗑")
    await student.click("🗑")
    for table in ("event_reminders", "event_rsvps", "notification_settings"):
        assert _rows(app, f"select user_id from {table}") == [(OTHER_STUDENT_ID,)], table
    # Retention: the other student has been away for longer than RETENTION_DAYS.
    store_execute(
        app.settings.database_url, "update users set last_seen_at = '2020-01-01 00:00:00.000000'"
    )
    async with app.session_factory() as session, session.begin():
        assert await purge_inactive(session, 365) == 1
    for table in ("users", "event_reminders", "event_rsvps", "notification_settings"):
        assert _rows(app, f"select count(*) from {table}") == [(0,)], table
    assert _rows(app, "select count(*) from events") == [(1,)]  # not personal: kept


async def test_recommendations_follow_questions_and_subscriptions(
    student: ChatDriver, app: App
) -> None:
    await make_event(
        app, timedelta(days=4), kind="club_meeting", title_kk="Клуб кездесуі", title_ru="Клуб"
    )
    await make_event(app, timedelta(days=3), kind="webinar", title_kk="Вебинар", title_ru="Вебинар")
    await consent(student)
    await student.send_command("/me")
    await student.click("⭐")
    assert "/events" in student.last_text()  # nothing to go on yet
    await student.send("Мәдениеттің бірлігі клубы")  # a culture question
    await app.recorder.flush()
    await student.send_command("/me")
    await student.click("⭐")
    text = student.last_text()
    assert "Корей" not in text and "Вебинар" not in text
    assert "Клуб кездесуі" not in text  # culture questions suggest culture days and excursions
    await make_event(app, timedelta(days=5))  # a culture day
    await student.send_command("/me")
    await student.click("⭐")
    assert "Корей мәдениеті күні" in student.last_text()


class TestSurveyPreference:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return consult_settings(db_url, survey_delay=1)

    async def test_no_survey_for_a_student_who_turned_surveys_off(
        self, student: ChatDriver, dp: Dispatcher, bot: Bot, app: App, recording: RecordingSession
    ) -> None:
        app.start_scheduler(bot)
        await consent(student)
        await student.send_command("/me")
        await student.click("🔔")
        await student.click("✅ Кеңестен")  # surveys after consultations: off
        await request_consultation(student)
        curator = driver(dp, bot, recording, CURATOR_ID, "Dana")
        await curator.click("✋")
        panel = next(
            m.message_id
            for m in reversed(recording.chat_messages(CURATOR_ID))
            if "📝" in str(m.reply_markup)
        )
        await curator.click("✅", message_id=panel)
        await curator.send("Кеңес берілді")
        await asyncio.sleep(2.0)
        assert not survey_messages(recording, STUDENT_ID)
        assert _rows(app, "select status from follow_up_surveys") == [("undeliverable",)]


def _leaf_values(node: object) -> list[object]:
    """Every scalar in a JSON document."""
    if isinstance(node, dict):
        return [v for value in node.values() for v in _leaf_values(value)]
    if isinstance(node, list):
        return [v for value in node for v in _leaf_values(value)]
    return [node]
