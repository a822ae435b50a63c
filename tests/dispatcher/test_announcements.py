"""Announcements through the real dispatcher and a real job store: the admin's dialog with
preview and confirmation, each student's language, skipped and blocked students, Telegram's
429, kind audiences, pacing under the limit, and resuming after a restart without duplicates."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage, TelegramMethod

from bot.factory import App, create_bot
from bot.handlers.announcements.ui import AnnounceAct
from bot.scheduler.outreach import start_announcement
from bot.services import announcements
from bot.services.events import toggle_kind
from bot.services.notifications import set_preference
from bot.services.users import give_consent
from tests.consult_support import consent, consult_settings, make_app, wait_until
from tests.event_support import ADMIN_ID, admin_driver
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession, retry_after
from tests.fixtures.stores import store_rows
from tests.lang import looks_kazakh, looks_russian

MARK = "ANN"


class TimedRecording(RecordingSession):
    """Also notes when each message was sent, to check the pace."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: list[float] = []

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: Any = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> Any:
        if isinstance(method, SendMessage) and MARK in method.text:
            self.sent_at.append(time.monotonic())
        return await super().make_request(bot, method, timeout)


def announcements_to(recording: RecordingSession, chat_id: int | None = None) -> list[SendMessage]:
    return [
        m
        for m in recording.of_type(SendMessage)
        if MARK in m.text and m.chat_id != ADMIN_ID and (chat_id is None or m.chat_id == chat_id)
    ]


def _rows(app: App, sql: str) -> list[tuple]:
    return store_rows(app.settings.database_url, sql)


async def add_students(app: App, ids: range, language: str = "kk") -> None:
    async with app.session_factory() as session, session.begin():
        for user_id in ids:
            await give_consent(session, user_id, language, f"Student {user_id}", None)


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return admin_driver(dp, bot, recording)


async def test_admin_announces_to_everyone_with_skips_and_blocks(
    admin: ChatDriver,
    student: ChatDriver,
    other_student: ChatDriver,
    app: App,
    bot: Bot,
    recording: RecordingSession,
) -> None:
    app.start_scheduler(bot)
    await consent(student)
    await consent(other_student, "Русский")
    await add_students(app, range(7001, 7003))
    async with app.session_factory() as session, session.begin():
        await set_preference(session, 7001, "announcements", False)
    recording.fail_always(SendMessage, TelegramForbiddenError, chat_id=7002)

    await admin.send_command("/announce")
    await admin.click("📣")
    await admin.send_sticker()
    assert looks_russian(admin.last_text()) or looks_kazakh(admin.last_text())
    await admin.send("ы" * 3501)
    assert "3500" in admin.last_text()
    await admin.send(f"{MARK}: ертең <клуб> кездесуі")
    await admin.send(f"{MARK}: завтра встреча клуба")
    preview = admin.last_text()
    assert "ертең" in preview and "завтра" in preview and "4" in preview
    assert not announcements_to(recording)  # nothing before confirmation
    await admin.click("📨")
    await wait_until(lambda: any("📣" in t for t in admin.texts()))

    kk = announcements_to(recording, student.chat_id)
    ru = announcements_to(recording, other_student.chat_id)
    assert len(kk) == 1 and "ертең &lt;клуб&gt;" in kk[0].text
    assert len(ru) == 1 and "завтра" in ru[0].text
    assert not announcements_to(recording, 7001)  # turned off
    assert len(announcements_to(recording, 7002)) == 1  # one attempt, refused with 403, no retry
    assert _rows(app, "select blocked_bot from users where id = 7002") == [(1,)]
    report = [t for t in admin.texts() if "📣" in t][-1]
    assert "2" in report and "1" in report
    assert sorted(_rows(app, "select user_id, status from announcement_deliveries")) == [
        (5001, "sent"),
        (5002, "sent"),
        (7001, "skipped"),
        (7002, "blocked"),
    ]


async def test_non_admins_are_refused(student: ChatDriver, app: App) -> None:
    await consent(student)
    await student.send_command("/announce")
    assert looks_kazakh(student.last_text())
    await student.click_data(AnnounceAct(action="send").pack())
    assert student.callback_answer().show_alert
    assert _rows(app, "select count(*) from announcements") == [(0,)]


async def test_retry_after_is_honoured_and_kind_audience(
    student: ChatDriver, other_student: ChatDriver, app: App, bot: Bot, recording: RecordingSession
) -> None:
    app.start_scheduler(bot)
    await consent(student)
    await consent(other_student, "Русский")
    async with app.session_factory() as session, session.begin():
        await toggle_kind(session, student.chat_id, "culture_day")
        announcement_id, count = await announcements.create(
            session, ADMIN_ID, "culture_day", f"{MARK} мәдениет", f"{MARK} культура"
        )
    assert count == 1
    recording.fail_next(SendMessage, retry_after(1), chat_id=student.chat_id)
    assert app.planner is not None
    start_announcement(app.planner, announcement_id)
    await wait_until(
        lambda: _rows(app, "select status from announcements") == [("done",)], within=15
    )
    attempts = announcements_to(recording, student.chat_id)
    assert len(attempts) == 2  # the 429, then the message after retry_after
    assert not announcements_to(recording, other_student.chat_id)
    assert _rows(app, "select status from announcement_deliveries") == [("sent",)]


async def test_pacing_and_resume_after_a_restart_without_duplicates(tmp_path: Path) -> None:
    settings = consult_settings(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}")
    recording = TimedRecording()
    bot = create_bot(settings, session=recording)
    students = range(20_001, 20_061)

    first = await make_app(settings)
    await add_students(first, students[:30], "kk")
    await add_students(first, students[30:], "ru")
    async with first.session_factory() as session, session.begin():
        announcement_id, count = await announcements.create(
            session, ADMIN_ID, announcements.ALL, f"{MARK} kk", f"{MARK} ru"
        )
    assert count == 60
    first.start_scheduler(bot)
    assert first.planner is not None
    start_announcement(first.planner, announcement_id)
    await wait_until(lambda: len(announcements_to(recording)) >= 15)
    await first.aclose()  # the bot stops in the middle
    await asyncio.sleep(0.3)
    stopped_at = len(announcements_to(recording))
    assert stopped_at < 60

    second = await make_app(settings)
    second.start_scheduler(bot)
    await wait_until(lambda: len(announcements_to(recording)) >= 60, within=20)
    await wait_until(lambda: bool([m for m in recording.of_type(SendMessage) if "📣" in m.text]))
    await second.aclose()
    await bot.session.close()

    per_student = {s: len(announcements_to(recording, s)) for s in students}
    assert set(per_student.values()) == {1}, "every student gets it exactly once"
    assert announcements_to(recording, students[0])[0].text == f"{MARK} kk"
    assert announcements_to(recording, students[40])[0].text == f"{MARK} ru"
    # The pace: never more than 25 messages in any one-second window (plus one at the edge).
    times = recording.sent_at
    assert all(sum(1 for t in times if start <= t < start + 1.0) <= 26 for start in times), (
        "more than 25 messages a second"
    )


async def test_admins_find_new_event_and_announce_in_their_command_menu(
    app: App, bot: Bot, recording: RecordingSession
) -> None:
    from aiogram.methods import SetMyCommands

    from bot.commands import register_staff_commands

    async with app.session_factory() as session:
        await register_staff_commands(bot, session, app.i18n, app.settings, app.roles)
    menus = {
        m.scope.chat_id: [c.command for c in m.commands]  # type: ignore[union-attr]
        for m in recording.of_type(SetMyCommands)
    }
    assert {"new_event", "announce"} <= set(menus[ADMIN_ID])
    assert not {"new_event", "announce"} & set(menus[8001])  # a curator
