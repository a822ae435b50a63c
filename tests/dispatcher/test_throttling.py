"""Flood control protects without losing: staff, albums and open consultations go through."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendPhoto

from bot.config import Settings
from bot.factory import App
from tests.consult_support import (
    ADMIN_ID,
    CURATOR_ID,
    consent,
    consult_settings,
    driver,
    request_consultation,
    sent_to,
    texts_to,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

BURST = 12
TOO_FAST = ("жылдам", "быстро")


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url, throttle_burst=BURST, throttle_window=60.0)


@pytest.fixture
async def running(app: App, bot: Bot) -> AsyncIterator[App]:
    app.start_scheduler(bot)
    yield app


@pytest.fixture
def curator(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, CURATOR_ID, "Dana", username="dana_curator")


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, ADMIN_ID, "Erlan")


def told_too_fast(texts: list[str]) -> bool:
    return any(word in text for text in texts for word in TOO_FAST)


async def test_a_student_flooding_is_paused(student: ChatDriver) -> None:
    seen: list[str] = []
    for _ in range(BURST + 3):
        await student.send("сәлем")
        seen += student.texts()
    assert told_too_fast(seen)


async def test_admins_and_curators_are_never_throttled(
    admin: ChatDriver, curator: ChatDriver
) -> None:
    admin_saw: list[str] = []
    curator_saw: list[str] = []
    for _ in range(BURST * 2):
        await admin.send_command("/kb")
        admin_saw += admin.texts()
        await curator.send_command("/queue")
        curator_saw += curator.texts()
    assert not told_too_fast(admin_saw) and not told_too_fast(curator_saw)
    assert len(admin_saw) >= BURST * 2 and len(curator_saw) >= BURST * 2


async def test_an_album_counts_as_one_message(
    student: ChatDriver, recording: RecordingSession
) -> None:
    for _ in range(BURST // 2):
        await student.send("сәлем")
    for _ in range(2):
        for photo in await student.send_album(10, caption="фото"):
            assert photo.media_group_id
    assert not told_too_fast(texts_to(recording, student.chat_id))


async def test_nothing_a_student_writes_in_a_consultation_is_dropped(
    student: ChatDriver, curator: ChatDriver, running: App, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋")
    for number in range(1, BURST * 3 + 1):
        await student.send(f"хабар {number}")
    await student.send_album(10)
    relayed = [re.search(r"хабар (\d+)$", t) for t in texts_to(recording, CURATOR_ID)]
    assert [int(m.group(1)) for m in relayed if m] == list(range(1, BURST * 3 + 1))
    assert len([m for m in sent_to(recording, CURATOR_ID) if isinstance(m, SendPhoto)]) == 10
    assert not told_too_fast(texts_to(recording, student.chat_id))
