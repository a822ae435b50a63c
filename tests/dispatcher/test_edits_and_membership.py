"""An edit in a consultation reaches the other side; blocking the bot is noticed at once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import User
from bot.factory import App
from tests.consult_support import (
    CURATOR_ID,
    STUDENT_ID,
    consent,
    consult_settings,
    driver,
    request_consultation,
    texts_to,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url)


@pytest.fixture
async def running(app: App, bot: Bot) -> AsyncIterator[App]:
    app.start_scheduler(bot)
    yield app


@pytest.fixture
def curator(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, CURATOR_ID, "Dana", username="dana_curator")


async def test_edits_are_relayed_both_ways_marked_as_edits(
    student: ChatDriver, curator: ChatDriver, running: App, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋")
    sent = await student.send("Бүгін кешке болды")
    await student.edit(sent, "Бүгін таңертең болды")
    last = texts_to(recording, CURATOR_ID)[-1]
    assert "✏️" in last and "таңертең" in last and "#1" in last

    reply = await curator.send("Түсіндім, рақмет")
    await curator.edit(reply, "Түсіндім, рақмет. Ертең хабарласамын")
    last = texts_to(recording, STUDENT_ID)[-1]
    assert "✏️" in last and "Ертең хабарласамын" in last


async def test_an_edit_outside_a_consultation_changes_nothing(
    student: ChatDriver, recording: RecordingSession
) -> None:
    await consent(student)
    sent = await student.send("Наурыз қашан?")
    before = len(recording.requests)
    await student.edit(sent, "Наурыз қашан тойланады?")
    assert len(recording.requests) == before


async def test_blocking_and_unblocking_the_bot_is_recorded(student: ChatDriver, app: App) -> None:
    await consent(student)

    async def blocked() -> bool:
        async with app.session_factory() as session:
            user = await session.scalar(select(User).where(User.id == STUDENT_ID))
            assert user is not None
            return user.blocked_bot

    await student.set_blocked(True)
    assert await blocked()
    await student.set_blocked(False)
    assert not await blocked()
