"""Interest groups: an admin publishes one from Telegram, students find it by interest and
language, join it and get its events among their reminders; hidden groups and admin buttons
stay closed to students; memberships are exported and deleted with the student's data."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile

from bot.factory import App
from bot.handlers.groups.ui import GroupAct
from tests.conftest import OTHER_STUDENT_ID, STUDENT_ID
from tests.consult_support import consent
from tests.event_support import admin_driver, make_event
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.fixtures.stores import store_rows
from tests.lang import looks_kazakh, looks_russian

CHAT = "https://t.me/+UnityClubChat"


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return admin_driver(dp, bot, recording)


def _rows(app: App, sql: str) -> list[tuple[object, ...]]:
    return store_rows(app.settings.database_url, sql)


async def publish_group(
    admin: ChatDriver, interest: str = "Языковые", languages: str = "казахском и русском"
) -> None:
    await admin.send_command("/new_group")
    await admin.click(interest)
    await admin.click(languages)
    for text in (
        "Қазақ тілі клубы",
        "Клуб казахского языка",
        "Әр сейсенбі сайын қазақша сөйлесеміз. Бәрі шақырылады.",
        "Каждый вторник говорим по-казахски. Приглашаем всех.",
        "t.me/not-a-link",  # refused: asked again
        CHAT,
    ):
        await admin.send(text)
    assert "Предпросмотр" in admin.last_text() and "Клуб казахского языка" in admin.last_text()
    await admin.click("📢")


async def test_a_student_finds_joins_and_gets_the_groups_events(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    await consent(admin, "Русский")
    await publish_group(admin)
    assert "Клуб казахского языка" in admin.last_text()
    early = await make_event(
        app, timedelta(days=3), title_kk="Тіл клубы кездесуі", title_ru="Встреча языкового клуба"
    )
    await admin.click("📅")
    await admin.click("Встреча языкового клуба")
    assert "✅" in " ".join(admin.buttons())

    await consent(student)
    await student.send_command("/groups")
    assert looks_kazakh(student.last_text())
    # Filtered by interest and language the group is there; in a language it does not use, not.
    await student.click("Тіл клубтары")
    assert any("Қазақ тілі клубы" in b for b in student.buttons())
    await student.click("Орыс")
    assert any("Қазақ тілі клубы" in b for b in student.buttons())
    await student.click("Қазақ тілі клубы")
    card = student.last_text()
    assert "Әр сейсенбі" in card and "Тіл клубы кездесуі" in card
    assert not any("💬" in b for b in student.buttons())  # the chat link comes with joining
    await student.click("✅")
    assert "1" in (student.answered_callback_text() or "")
    markup = student.bot_messages()[-1].reply_markup
    assert markup is not None
    urls = [b.url for row in markup.inline_keyboard for b in row if b.url]
    assert urls == [CHAT]
    assert _rows(app, f"select event_id from event_reminders where user_id = {STUDENT_ID}") == [
        (early,)
    ]

    # An event attached later reaches the members too, and shows in /me → My events.
    later = await make_event(
        app, timedelta(days=5), title_kk="Тіл клубы: ойындар", title_ru="Языковой клуб: игры"
    )
    await admin.send_command("/groups")
    await admin.click("Клуб казахского языка")
    await admin.click("📅")
    await admin.click("Языковой клуб: игры")
    assert "1" in (admin.answered_callback_text() or "")
    await student.send_command("/me")
    await student.click("📅")
    assert "Тіл клубы: ойындар" in student.last_text()
    assert sorted(
        _rows(app, f"select event_id from event_reminders where user_id = {STUDENT_ID}")
    ) == [
        (early,),
        (later,),
    ]

    # Pressing «Join» again changes nothing; leaving keeps the reminders.
    await student.send_command("/groups")
    await student.click("Қазақ тілі клубы")
    await student.click("🚪")
    assert _rows(app, "select count(*) from group_members") == [(0,)]


async def test_hidden_groups_and_admin_buttons_stay_closed_to_students(
    admin: ChatDriver, student: ChatDriver, other_student: ChatDriver, app: App
) -> None:
    await consent(admin, "Русский")
    await publish_group(admin, interest="Волонт", languages="На русском")
    group_id = _rows(app, "select id from interest_groups")[0][0]
    await consent(other_student, "Русский")
    await other_student.send_command("/new_group")
    assert looks_russian(other_student.last_text()) and "админ" in other_student.last_text().lower()
    await other_student.click_data(GroupAct(id=int(group_id), action="hide").pack())  # type: ignore[call-overload]
    assert "админ" in (other_student.answered_callback_text() or "").lower()

    await student.send_command("/groups")
    await student.click("Қазақ тілінде")  # only groups meeting in Kazakh: none
    assert not any("👥" in b for b in student.buttons())

    await admin.send_command("/groups")
    await admin.click("Клуб казахского языка")
    await admin.click("🙈")
    await other_student.send_command("/groups")
    assert not any("👥" in b for b in other_student.buttons())
    await other_student.click_data(GroupAct(id=int(group_id), action="join").pack())  # type: ignore[call-overload]
    assert _rows(app, "select count(*) from group_members") == [(0,)]


async def test_memberships_are_exported_and_deleted_with_the_students_data(
    admin: ChatDriver,
    student: ChatDriver,
    other_student: ChatDriver,
    app: App,
    recording: RecordingSession,
) -> None:
    await consent(admin, "Русский")
    await publish_group(admin)
    for who, label in ((student, "Қазақша"), (other_student, "Русский")):
        await who.send_command("/groups")
        await who.click("👥")
        await who.click("✅")
        assert "/start" in (who.answered_callback_text() or "")  # no consent yet: not stored
        await consent(who, label)
        await who.send_command("/groups")
        await who.click("👥")
        await who.click("✅")
    await student.send_command("/me")
    await student.click("📦")
    (document,) = [m for m in recording.of_type(SendDocument) if m.chat_id == STUDENT_ID]
    assert isinstance(document.document, BufferedInputFile)
    data = json.loads(document.document.data.decode("utf-8"))
    assert [g["group"] for g in data["interest_groups"]] == ["Қазақ тілі клубы"]
    await student.send_command("/privacy")
    await student.click("🗑")
    await student.click("🗑")
    assert _rows(app, "select user_id from group_members") == [(OTHER_STUDENT_ID,)]
