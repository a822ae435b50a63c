"""The outbox through the real dispatcher: relayed messages survive Telegram's 429 and 5xx in
order, a student who blocked the bot is marked gone and nothing more is tried, a rolled-back
change sends nothing, and a restarted sender sends what was owed exactly once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramServerError
from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import ConsultationMessage, User
from bot.db.unit_of_work import unit_of_work
from bot.factory import App, create_app
from bot.outbox.admin import counts
from bot.outbox.model import DEAD, SENDING, OutboxMessage
from bot.outbox.queue import enqueue
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
from tests.fakes.recording import RecordingSession, bot_blocked, retry_after
from tests.support import RuleNlu


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url)


@pytest.fixture
def curator(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, CURATOR_ID, "Dana")


@pytest.fixture
async def talking(student: ChatDriver, curator: ChatDriver) -> AsyncIterator[None]:
    """A student and the curator who took their consultation."""
    await consent(student)
    await request_consultation(student)
    await curator.click("✋")
    yield


def _server_error(method: object) -> TelegramServerError:
    return TelegramServerError(method=method, message="Bad Gateway")  # type: ignore[arg-type]


async def test_relays_survive_429_and_502_in_order(
    talking: None,
    app: App,
    bot: Bot,
    recording: RecordingSession,
    student: ChatDriver,
    curator: ChatDriver,
) -> None:
    assert app.outbox is not None
    app.start_outbox(bot)
    # Telegram refuses every message for a while: 429 to the curator, 502 to the student.
    recording.fail_always(SendMessage, retry_after(1), chat_id=CURATOR_ID)
    recording.fail_always(SendMessage, _server_error, chat_id=STUDENT_ID)
    started = time.monotonic()
    student.drains = curator.drains = False  # Telegram is refusing: nobody waits for it
    for index in range(6):
        await student.send(f"student {index}")
        await curator.send(f"curator {index}")
    await asyncio.sleep(max(0.0, 2.5 - (time.monotonic() - started)))
    recording.clear_failures()
    await app.outbox.drain(within=60)
    to_curator = [t for t in texts_to(recording, CURATOR_ID) if "student " in t]
    to_student = [t for t in texts_to(recording, STUDENT_ID) if "curator " in t]
    delivered_to_curator = _delivered(recording, CURATOR_ID, "student ")
    delivered_to_student = _delivered(recording, STUDENT_ID, "curator ")
    assert delivered_to_curator == [f"student {i}" for i in range(6)]
    assert delivered_to_student == [f"curator {i}" for i in range(6)]
    assert len(to_curator) > 6 and len(to_student) > 6  # it was refused, then retried
    async with app.session_factory() as session:
        undelivered = await session.scalar(
            select(ConsultationMessage.id).where(ConsultationMessage.delivered.is_(False))
        )
        assert undelivered is None
        assert (await counts(session))[DEAD] == 0


def _delivered(recording: RecordingSession, chat_id: int, marker: str) -> list[str]:
    """The marked texts Telegram accepted for `chat_id`, in the order it accepted them."""
    out = []
    for method, response in zip(recording.requests, recording.responses, strict=False):
        text = getattr(method, "text", None)
        if (
            getattr(method, "chat_id", None) == chat_id
            and text
            and marker in text
            and not isinstance(response, Exception)
        ):
            out.append(text[text.index(marker) :].strip())
    return out


async def test_a_student_who_blocked_the_bot_is_marked_and_nothing_more_is_tried(
    talking: None,
    app: App,
    recording: RecordingSession,
    student: ChatDriver,
    curator: ChatDriver,
) -> None:
    recording.fail_always(SendMessage, bot_blocked, chat_id=STUDENT_ID)
    async with unit_of_work(app.session_factory) as session:
        # Something else is already owed to the student (an announcement, say).
        await enqueue(session, SendMessage(chat_id=STUDENT_ID, text="later news"), key="news")
        session.add(
            OutboxMessage(
                key="old",
                chat_id=STUDENT_ID,
                method="SendMessage",
                params={"chat_id": STUDENT_ID, "text": "x"},
                status="pending",
                attempts=0,
            )
        )
    before = len(recording.requests)
    await curator.send("Сәлеметсіз бе")
    assert any(
        "blocked the bot" in t or "бұғаттады" in t or "заблокировал" in t for t in curator.texts()
    ), curator.texts()
    attempts = [m for m in recording.requests[before:] if getattr(m, "chat_id", None) == STUDENT_ID]
    assert len(attempts) == 1  # the first refusal stops everything else owed to them
    async with app.session_factory() as session:
        user = await session.get(User, STUDENT_ID)
        assert user is not None and user.blocked_bot
        assert (await counts(session))["pending"] == 0


async def test_a_rolled_back_change_sends_nothing(
    app: App, bot: Bot, recording: RecordingSession
) -> None:
    assert app.outbox is not None
    with pytest.raises(RuntimeError):
        async with unit_of_work(app.session_factory) as session:
            await enqueue(session, SendMessage(chat_id=STUDENT_ID, text="never"))
            raise RuntimeError("the change failed")
    await app.outbox.drain(bot)
    assert recording.requests == []
    async with app.session_factory() as session:
        assert sum((await counts(session)).values()) == 0


async def test_a_restarted_sender_sends_what_was_owed_once(
    settings: Settings, app: App, bot: Bot, recording: RecordingSession
) -> None:
    async with unit_of_work(app.session_factory) as session:
        for index in range(5):
            await enqueue(
                session, SendMessage(chat_id=STUDENT_ID, text=f"owed {index}"), key=f"k{index}"
            )
        # The same key again is the same message.
        await enqueue(session, SendMessage(chat_id=STUDENT_ID, text="owed 0"), key="k0")
    async with app.session_factory() as session, session.begin():
        first = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
        assert first is not None
        first.status = SENDING  # the process died during this call
    # A new process on the same file.
    second = create_app(settings, nlu=RuleNlu())  # type: ignore[arg-type]
    try:
        second.start_outbox(bot)
        assert second.outbox is not None
        await second.outbox.drain(within=10)
        await second.outbox.drain(within=10)
    finally:
        await second.aclose()
    assert [m.text for m in recording.of_type(SendMessage, STUDENT_ID)] == [
        f"owed {i}" for i in range(5)
    ]
