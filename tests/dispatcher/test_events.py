"""Events through the real dispatcher: the admin's dialog with its bad input, the list and
cards, reminders 24 h and 1 h before (sent once, moved, cancelled, across a restart), RSVP
capacity, kind subscriptions, and refusals for everyone who is not an admin."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher

from bot.config import Settings
from bot.db.models import utcnow
from bot.factory import App, create_bot, create_dispatcher
from bot.handlers.events.ui import DraftAct, EventAct, EventAdmin, EventOpen
from bot.scheduler import job_store_url
from bot.scheduler.planner import JOBS_TABLE
from bot.services import events
from tests.consult_support import consent, consult_settings, driver, make_app, wait_until
from tests.event_support import (
    ADMIN_ID,
    admin_driver,
    create_event_by_dialog,
    make_event,
    messages_to,
    reminders_to,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.fixtures.stores import store_rows
from tests.lang import looks_kazakh, looks_russian
from tests.support import RuleNlu


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return admin_driver(dp, bot, recording)


def _event_rows(app: App) -> list[tuple]:
    return store_rows(
        app.settings.database_url, "select id, kind, title_ru, capacity, status from events"
    )


async def test_admin_creates_an_event_and_students_find_it(
    admin: ChatDriver, student: ChatDriver, app: App, nlu: RuleNlu
) -> None:
    await admin.send_command("/new_event")
    await admin.click("🎭")
    for text in (
        "Корей мәдениеті күні",
        "День корейской культуры",
        "Ән, би және корей асханасы.",
        "Песни, танцы и корейская кухня.",
    ):
        await admin.send(text)
    # Bad times are refused with the expected format, and the dialog waits for a good one.
    await admin.send("завтра вечером")
    assert "05.12.2026 18:00" in admin.last_text()
    await admin.send("01.01.2020 10:00")
    assert looks_russian(admin.last_text()) and "05.12" not in admin.last_text()
    await admin.send("31.02.2031 10:00")
    assert "05.12.2026 18:00" in admin.last_text()
    await admin.send("05.12.2031 18:00")
    await admin.send("Бас корпус, 201 аудитория")
    await admin.send("много")  # not a number
    assert "100000" in admin.last_text()
    await admin.send("20")
    preview = admin.last_text()
    # Shown in Almaty time, formatted per language.
    assert "5 желтоқсан 2031, 18:00" in preview and "5 декабря 2031, 18:00" in preview
    await admin.click("✅")
    assert "№1" in admin.last_text()
    assert _event_rows(app) == [(1, "culture_day", "День корейской культуры", 20, "published")]

    await consent(student)
    await student.send_command("/events")
    assert looks_kazakh(student.last_text())
    assert any("Корей мәдениеті күні" in b for b in student.buttons())
    await student.click("Корей мәдениеті күні")
    card = student.last_text()
    assert "5 желтоқсан 2031, 18:00" in card and "20" in card and "Бас корпус" in card

    # A question that names the event gets its card at once.
    nlu.script("Корей мәдениеті күні қашан?", "events")
    await student.send("Корей мәдениеті күні қашан?")
    assert "5 желтоқсан 2031" in student.last_text()


async def test_the_events_intent_finds_the_named_event_among_others(
    student: ChatDriver, app: App, nlu: RuleNlu
) -> None:
    await make_event(
        app, timedelta(days=3), title_kk="Татар мәдениеті күні", title_ru="День татарской культуры"
    )
    await make_event(app, timedelta(days=9))
    await make_event(
        app,
        timedelta(days=5),
        kind="club_meeting",
        title_kk="Клуб кездесуі",
        title_ru="Встреча клуба",
    )
    await consent(student, "Русский")
    # Not scripted: the bot's own rules recognise the events intent here.
    await student.send("когда день корейской культуры?")
    texts = student.texts()
    assert len(texts) == 1 and "День корейской культуры" in texts[0]
    # Filter by kind.
    await student.send_command("/events")
    await student.click("Встречи клуба")
    labels = student.buttons()
    assert any("Встреча клуба" in b for b in labels)
    assert not any("·" in b and "культуры" in b for b in labels)


async def test_rsvp_capacity_twice_and_cancelled(
    dp: Dispatcher,
    bot: Bot,
    recording: RecordingSession,
    app: App,
    student: ChatDriver,
    other_student: ChatDriver,
) -> None:
    event_id = await make_event(app, timedelta(days=2), capacity=1)
    await consent(student)
    await consent(other_student, "Русский")
    await student.click_data(EventOpen(id=event_id).pack())
    await student.click("✋")
    assert looks_kazakh(student.answered_callback_text() or "")
    assert "0" in student.last_text()  # the card now says no places are left
    await student.click_data(EventAct(action="going", id=event_id).pack())  # a second press
    second = student.answered_callback_text() or ""
    assert looks_kazakh(second)
    await other_student.click_data(EventAct(action="going", id=event_id).pack())
    full = other_student.callback_answer()
    assert full.show_alert and looks_russian(full.text or "")
    async with app.session_factory() as session:
        assert await events.going_count(session, event_id) == 1
    # Cancelled: refused.
    async with app.session_factory() as session, session.begin():
        await events.cancel_event(session, event_id)
    await other_student.click_data(EventAct(action="going", id=event_id).pack())
    refused = other_student.callback_answer()
    assert refused.show_alert and refused.text != full.text and looks_russian(refused.text or "")
    # A stale button of an event that no longer exists.
    await other_student.click_data(EventAct(action="remind", id=999).pack())
    assert other_student.callback_answer().show_alert


async def test_remind_me_needs_consent(student: ChatDriver, app: App) -> None:
    await make_event(app, timedelta(days=2))
    await student.send_command("/events")
    await student.click("Корей")
    await student.click("🔔")
    answer = student.callback_answer()
    assert answer.show_alert and "/start" in (answer.text or "")


async def test_non_admins_are_refused(
    student: ChatDriver, app: App, dp: Dispatcher, bot: Bot, recording: RecordingSession
) -> None:
    event_id = await make_event(app, timedelta(days=2))
    await consent(student)
    await student.send_command("/new_event")
    assert looks_kazakh(student.last_text()) and "admin" not in student.last_text().lower()
    curator = driver(dp, bot, recording, 8001, "Dana", language="ru")
    await curator.send_command("/new_event")
    assert looks_russian(curator.last_text())
    await student.click_data(EventAdmin(action="cancel_yes", id=event_id).pack())
    assert student.callback_answer().show_alert
    await student.click_data(DraftAct(action="publish").pack())
    assert student.callback_answer().show_alert
    assert _event_rows(app)[0][4] == "published" and len(_event_rows(app)) == 1
    assert not any("✏️" in b for b in (await _card_buttons(student, event_id)))


async def _card_buttons(who: ChatDriver, event_id: int) -> list[str]:
    await who.click_data(EventOpen(id=event_id).pack())
    return who.buttons()


class TestReminders:
    async def test_hour_reminder_sent_once_then_time_moved_and_followers_told(
        self,
        student: ChatDriver,
        admin: ChatDriver,
        app: App,
        bot: Bot,
        recording: RecordingSession,
    ) -> None:
        app.start_scheduler(bot)
        event_id = await make_event(app, timedelta(hours=1, seconds=2))
        await consent(student)
        await student.click_data(EventOpen(id=event_id).pack())
        await student.click("🔔")
        await student.click("🔔")  # twice: still one reminder
        await wait_until(lambda: bool(reminders_to(recording, student.chat_id)))
        await asyncio.sleep(0.5)
        reminders = reminders_to(recording, student.chat_id)
        assert len(reminders) == 1 and looks_kazakh(reminders[0])
        assert "Корей мәдениеті күні" in reminders[0]

        # The admin moves the event: the student is told and the reminders follow.
        await admin.send_command("/events")
        await admin.click("Корей")
        await admin.click("✏️")
        await admin.click("🕒")
        await admin.send("yesterday")
        await admin.send("01.01.2020 10:00")
        await admin.send("05.12.2031 18:00")
        await wait_until(lambda: bool(messages_to(recording, student.chat_id, "📅")))
        assert "5 желтоқсан 2031, 18:00" in messages_to(recording, student.chat_id, "📅")[0]
        assert app.planner is not None
        job = app.planner.scheduler.get_job(f"event:{event_id}:hour")
        assert job is not None and job.next_run_time.year == 2031
        assert app.planner.scheduler.get_job(f"event:{event_id}:day") is not None

    async def test_cancelled_with_pending_reminders(
        self,
        student: ChatDriver,
        admin: ChatDriver,
        app: App,
        bot: Bot,
        recording: RecordingSession,
    ) -> None:
        app.start_scheduler(bot)
        event_id = await make_event(app, timedelta(hours=1, seconds=2))
        await consent(student)
        await student.click_data(EventOpen(id=event_id).pack())
        await student.click("🔔")
        await admin.send_command("/events")
        await admin.click("Корей")
        await admin.click("✖️")
        await admin.click("✖️")
        await wait_until(lambda: bool(messages_to(recording, student.chat_id, "✖️")))
        assert looks_kazakh(messages_to(recording, student.chat_id, "✖️")[0])
        await asyncio.sleep(2.5)
        assert not reminders_to(recording, student.chat_id)
        # The cancelled event's old buttons are refused.
        await student.click_data(EventAct(action="remind", id=event_id).pack())
        assert student.callback_answer().show_alert
        await admin.click_data(EventAdmin(action="cancel_yes", id=event_id).pack())
        assert admin.callback_answer().show_alert

    async def test_kind_subscribers_hear_of_a_new_event(
        self,
        student: ChatDriver,
        other_student: ChatDriver,
        admin: ChatDriver,
        app: App,
        bot: Bot,
        recording: RecordingSession,
    ) -> None:
        app.start_scheduler(bot)
        await consent(student)
        await consent(other_student, "Русский")
        await student.send_command("/events")
        await student.click("🔔")
        await student.click("Мәдениет")  # culture days
        assert "✅" in " ".join(student.buttons())
        await create_event_by_dialog(admin)
        await wait_until(lambda: bool(messages_to(recording, student.chat_id, "🆕")))
        notice = messages_to(recording, student.chat_id, "🆕")[0]
        assert looks_kazakh(notice) and "Корей мәдениеті күні" in notice
        await asyncio.sleep(0.3)
        assert not messages_to(recording, other_student.chat_id, "🆕")
        # A club meeting is not a culture day.
        await create_event_by_dialog(admin, kind_label="🤝")
        await asyncio.sleep(0.5)
        assert len(messages_to(recording, student.chat_id, "🆕")) == 1


async def test_reminders_survive_a_restart_and_are_sent_once(tmp_path: Path) -> None:
    settings: Settings = consult_settings(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}")
    recording = RecordingSession()
    bot = create_bot(settings, session=recording)

    first = await make_app(settings)
    dp = create_dispatcher(first)
    first.start_scheduler(bot)
    student = driver(dp, bot, recording, 5001, "Aigerim", language="kk")
    await consent(student)
    soon = await make_event(first, timedelta(hours=24, seconds=2))  # the day-before one is due
    later = await make_event(first, timedelta(hours=1, seconds=3), title_ru="Экскурсия")
    for event_id in (soon, later):
        await student.click_data(EventOpen(id=event_id).pack())
        await student.click("🔔")
    await first.aclose()  # down before anything is due
    jobs = str(job_store_url(settings.database_url))
    stored = await asyncio.to_thread(store_rows, jobs, f"select count(*) from {JOBS_TABLE}")
    assert stored[0][0] > 0, "the reminders wait in the persistent job store"
    await asyncio.sleep(3.2)
    assert not reminders_to(recording, 5001)

    second = await make_app(settings)
    second.start_scheduler(bot)
    await wait_until(lambda: len(reminders_to(recording, 5001)) == 2)
    await asyncio.sleep(0.3)
    await second.aclose()

    third = await make_app(settings)
    third.start_scheduler(bot)
    await asyncio.sleep(1.0)
    await third.aclose()
    sent = reminders_to(recording, 5001)
    assert len(sent) == 2
    assert all(looks_kazakh(text) for text in sent)
    await bot.session.close()


async def test_reminders_respect_the_students_notification_settings(
    student: ChatDriver,
    other_student: ChatDriver,
    app: App,
    bot: Bot,
    recording: RecordingSession,
) -> None:
    app.start_scheduler(bot)
    event_id = await make_event(app, timedelta(hours=1, seconds=2))
    await consent(student)
    await consent(other_student, "Русский")
    for who in (student, other_student):
        await who.click_data(EventOpen(id=event_id).pack())
        await who.click("🔔")
    await student.send_command("/me")
    await student.click("🔔")
    await student.click("✅ Іс-шаралар")  # event reminders and news: off
    await wait_until(lambda: bool(reminders_to(recording, other_student.chat_id)))
    await asyncio.sleep(0.3)
    assert not reminders_to(recording, student.chat_id)


async def test_events_created_without_a_scheduler_get_their_reminders_at_start(
    student: ChatDriver, app: App, bot: Bot, recording: RecordingSession
) -> None:
    # As from `kelisim console` or a replica without a scheduler: the event is only stored.
    async with app.session_factory() as session, session.begin():
        event = await events.create_event(
            session,
            events.EventDraft(
                kind="excursion",
                title_kk="Экскурсия",
                title_ru="Экскурсия",
                description_kk="Қала музейі",
                description_ru="Городской музей",
                starts_at=utcnow() + timedelta(hours=1, seconds=2),
                place="Музей",
            ),
            ADMIN_ID,
        )
    await consent(student)
    await student.click_data(EventOpen(id=event.id).pack())
    await student.click("🔔")
    app.start_scheduler(bot)
    await wait_until(lambda: bool(reminders_to(recording, student.chat_id)))
    await asyncio.sleep(0.3)
    sent = reminders_to(recording, student.chat_id)
    # Only the hour-before one: a day-before reminder an hour ahead would be wrong.
    assert len(sent) == 1 and "Экскурсия" in sent[0]
