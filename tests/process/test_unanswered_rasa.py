"""The unanswered loop with the real Rasa model over HTTP: a question the model calls out of
scope still reaches the admins' /unanswered list."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher

from nlu.client import NluClient
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

pytestmark = pytest.mark.rasa


@pytest.fixture
async def nlu(rasa_server: str) -> AsyncIterator[NluClient]:
    async with NluClient(rasa_server, timeout=10.0) as client:
        yield client


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=9001, first_name="Admin", language_code="ru")


async def test_prayer_room_question_reaches_unanswered(
    student: ChatDriver, admin: ChatDriver, nlu: NluClient
) -> None:
    question = "Кампуста намаз оқитын бөлме бар ма?"
    await student.send(question)
    reply = student.last_text()
    assert "куратор" in reply.lower()  # no answer, and the offer of a curator
    await admin.send("/unanswered")
    groups = [t for t in admin.texts() if "спрашивали" in t]
    assert len(groups) == 1 and question in groups[0] and "Вопрос на казахском" in groups[0]
