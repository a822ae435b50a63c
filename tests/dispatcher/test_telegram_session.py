"""What Telegram's real behaviour does to replies: 429 and 5xx are waited out, long relays
arrive whole, double clicks are not errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramServerError
from aiogram.methods import SendMessage

from bot.config import Settings
from bot.factory import App
from bot.telegram.limits import MESSAGE_LIMIT, utf16_len
from tests.consult_support import (
    CURATOR_ID,
    consent,
    consult_settings,
    driver,
    request_consultation,
    sent_to,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession, retry_after


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url, telegram_retry_budget=3.0)


@pytest.fixture
async def running(app: App, bot: Bot) -> AsyncIterator[App]:
    app.start_scheduler(bot)
    yield app


@pytest.fixture
def curator(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, CURATOR_ID, "Dana", username="dana_curator")


async def test_an_answer_refused_with_429_arrives_after_retry_after(
    student: ChatDriver, recording: RecordingSession
) -> None:
    recording.fail_next(SendMessage, retry_after(1), chat_id=student.chat_id)
    await student.send("Наурыз қашан?")
    attempts = recording.of_type(SendMessage, student.chat_id)
    assert len(attempts) == 2
    assert "Наурыз" in student.last_text()


async def test_an_answer_refused_with_a_server_error_arrives_on_retry(
    student: ChatDriver, recording: RecordingSession
) -> None:
    recording.fail_next(SendMessage, TelegramServerError, chat_id=student.chat_id)
    await student.send("Наурыз қашан?")
    assert len(recording.of_type(SendMessage, student.chat_id)) == 2
    assert "Наурыз" in student.last_text()


async def test_telegram_down_past_the_budget_is_given_up_without_a_crash(
    student: ChatDriver, recording: RecordingSession, caplog: pytest.LogCaptureFixture
) -> None:
    recording.fail_always(SendMessage, TelegramServerError, chat_id=student.chat_id)
    with caplog.at_level(logging.WARNING):
        await student.send("Наурыз қашан?")  # does not raise
    assert 2 <= len(recording.of_type(SendMessage, student.chat_id)) <= 6
    assert any("failed after" in r.getMessage() for r in caplog.records)


async def test_a_relay_over_telegrams_limit_reaches_the_curator_whole_in_parts(
    student: ChatDriver,
    curator: ChatDriver,
    running: App,
    recording: RecordingSession,
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋")
    long_text = "<тағы> 🙂 " * 400  # 4,000 UTF-16 units as typed, 6,400 once escaped
    assert utf16_len(long_text) <= MESSAGE_LIMIT
    await student.send(long_text)
    relayed = [m for m in sent_to(recording, CURATOR_ID) if isinstance(m, SendMessage)]
    parts = [m.text for m in relayed if "&lt;тағы&gt;" in m.text]
    assert len(parts) >= 2
    assert all(utf16_len(p) <= MESSAGE_LIMIT for p in parts)
    assert sum(p.count("🙂") for p in parts) == 400, [p[:80] for p in parts]
    assert parts[0].startswith("(1/") and parts[-1].startswith(f"({len(parts)}/")


async def test_a_double_click_error_is_quiet_and_not_an_error(
    student: ChatDriver, recording: RecordingSession, caplog: pytest.LogCaptureFixture
) -> None:
    recording.fail_next(SendMessage, TelegramBadRequest, chat_id=student.chat_id)
    with caplog.at_level(logging.INFO):
        await student.send("Наурыз қашан?")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("message is not modified" in r.getMessage() for r in caplog.records)
    assert not recording.of_type(SendMessage, student.chat_id)[1:]  # no "something went wrong"
