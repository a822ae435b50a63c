"""Admins add and remove curators and admins from the bot; nobody else can."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage

from bot.factory import App
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.lang import looks_russian

ADMIN_ID = 9001
CONFIGURED_CURATOR = 8001


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="ru")


async def test_admin_adds_and_removes_a_curator(
    admin: ChatDriver, app: App, recording: RecordingSession
) -> None:
    await admin.send("/add_curator 7777")
    assert "7777" in admin.last_text()
    assert app.roles.is_curator(7777)
    told = [m for m in recording.requests if isinstance(m, SendMessage) and m.chat_id == 7777]
    assert told, "the new curator is told"
    await admin.send("/staff")
    assert "7777" in admin.last_text() and str(CONFIGURED_CURATOR) in admin.last_text()
    await admin.send("/add_curator 7777")
    assert "7777" in admin.last_text()  # already a curator: said so, nothing doubled
    await admin.send("/remove_curator 7777")
    assert not app.roles.is_curator(7777)


async def test_roles_survive_a_restart(admin: ChatDriver, app: App) -> None:
    from bot.services.roles import RoleDirectory

    await admin.send("/add_admin 4242")
    fresh = RoleDirectory(app.session_factory, [ADMIN_ID], [])
    await fresh.refresh(force=True)
    assert fresh.is_admin(4242)


async def test_configured_roles_and_self_are_not_removable(admin: ChatDriver, app: App) -> None:
    await admin.send(f"/remove_curator {CONFIGURED_CURATOR}")
    assert "CURATOR_IDS" in admin.last_text()
    assert app.roles.is_curator(CONFIGURED_CURATOR)
    await admin.send(f"/remove_admin {ADMIN_ID}")
    assert app.roles.is_admin(ADMIN_ID)


@pytest.mark.parametrize("argument", ["", "abc", "-5", "12 34"])
async def test_bad_ids_get_an_explanation(admin: ChatDriver, app: App, argument: str) -> None:
    await admin.send(f"/add_curator {argument}".strip())
    assert "/add_curator" in admin.last_text()
    assert looks_russian(admin.last_text())
    assert app.roles.members("curator") == [CONFIGURED_CURATOR]


@pytest.mark.parametrize(
    "command", ["/staff", "/add_curator 5001", "/add_admin 5001", "/remove_curator 8001"]
)
async def test_students_and_curators_are_refused(
    student: ChatDriver,
    dp: Dispatcher,
    bot: Bot,
    recording: RecordingSession,
    app: App,
    command: str,
) -> None:
    curator = ChatDriver(dp, bot, recording, user_id=CONFIGURED_CURATOR, language_code="ru")
    for driver in (student, curator):
        await driver.send(command)
        assert len(driver.texts()) == 1
    assert looks_russian(curator.last_text())
    assert not app.roles.is_admin(student.user.id)
    assert app.roles.members("curator") == [CONFIGURED_CURATOR]


@pytest.mark.parametrize("arg", ["abc", "²³", "99999999999999999999999", "-5", "12 34"])
async def test_a_malformed_id_is_explained_not_crashed_on(admin: ChatDriver, arg: str) -> None:
    await admin.send_command("/add_curator", arg)
    assert "/add_curator" in admin.last_text()
