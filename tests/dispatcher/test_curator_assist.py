"""Curator assist: a new case's card and the curator's reply screen show the knowledge-base
entries closest to what the student wrote; one tap sends an entry's answer to the student in
the student's language, and every send is counted per entry."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import ConsultationMessage, CuratorFaqSend
from bot.factory import App
from bot.handlers.curator_assist.ui import AssistSend, AssistShow
from bot.services.curator_assist import sends_per_entry
from tests.consult_support import (
    ADMIN_ID,
    CURATOR_CHAT_ID,
    CURATOR_ID,
    SECOND_CURATOR_ID,
    STUDENT_ID,
    assert_anonymous,
    consent,
    consult_settings,
    driver,
    request_consultation,
    texts_to,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession, bot_blocked
from tests.lang import looks_kazakh, looks_russian

DISCRIMINATION_RU = "Куда обращаться, если столкнулся с дискриминацией?"
DISCRIMINATION_KK = "Кемсітушілікке тап болсам қайда жүгінемін?"
DISCRIMINATION_KK_ANSWER = "Куратормен сөйлесіңіз, деканатқа жүгініңіз"
STUDENT_MESSAGE = "Кемсітушілік болса не істеймін? Куда жаловаться на дискриминацию?"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url)


@pytest.fixture
def curator(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, CURATOR_ID, "Dana")


@pytest.fixture
def curator2(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, SECOND_CURATOR_ID, "Marat")


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, ADMIN_ID, "Admin")


def card_id(recording: RecordingSession, chat_id: int) -> int:
    for message in recording.chat_messages(chat_id):
        if message.from_user and message.from_user.is_bot and message.text and "#1" in message.text:
            return message.message_id
    raise AssertionError("no card")


def assist_message(recording: RecordingSession, chat_id: int) -> int:
    for message in reversed(recording.chat_messages(chat_id)):
        labels = [
            b.text for row in getattr(message.reply_markup, "inline_keyboard", []) for b in row
        ]
        if any(label.startswith("📤") for label in labels):
            return message.message_id
    raise AssertionError("no suggestions with send buttons")


async def open_and_take(
    student: ChatDriver, curator: ChatDriver, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student, message=STUDENT_MESSAGE)
    await curator.click("✋", card_id(recording, CURATOR_ID))


async def test_new_case_card_lists_the_closest_entries(
    student: ChatDriver, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student, message=STUDENT_MESSAGE)
    card = texts_to(recording, CURATOR_ID)[-1]
    # In the card's language: these curators never chose one, so the bot's default, Kazakh.
    assert "📚" in card and DISCRIMINATION_KK in card
    listed = [
        line for line in card.split("📚", 1)[1].splitlines() if line[:2] in {"1.", "2.", "3.", "4."}
    ]
    assert 1 <= len(listed) <= 3 and listed[0] == f"1. {DISCRIMINATION_KK}"
    assert "📚" in texts_to(recording, CURATOR_CHAT_ID)[-1]
    assert_anonymous(recording)


async def test_a_tap_sends_the_answer_in_the_students_language_and_counts_it(
    app: App, student: ChatDriver, curator: ChatDriver, recording: RecordingSession
) -> None:
    await open_and_take(student, curator, recording)
    # The reply screen (the owner panel) stays the newest message with buttons.
    assert any("📝" in label for label in curator.buttons())
    suggestions = assist_message(recording, CURATOR_ID)
    labels = curator.buttons(suggestions)
    sends = [label for label in labels if label.startswith("📤")]
    assert 1 <= len(sends) <= 3 and DISCRIMINATION_RU[:40] in sends[0]
    student.mark_read()
    await curator.click("📤 1.", suggestions)
    assert looks_russian(curator.answered_callback_text() or "")
    [received] = student.texts()
    assert DISCRIMINATION_KK_ANSWER in received and looks_kazakh(received)
    assert "#1" in received  # it comes from the curator of the consultation

    await curator.click("📤 1.", suggestions)  # sent again: counted again
    async with app.session_factory() as session:
        assert await sends_per_entry(session) == [("discrimination-where-to-turn", 2)]
        replies = (
            await session.scalars(
                select(ConsultationMessage).where(ConsultationMessage.sender == "curator")
            )
        ).all()
    assert len(replies) == 2 and all(DISCRIMINATION_KK_ANSWER in (r.text or "") for r in replies)


async def test_the_reply_screen_can_show_the_suggestions_again(
    student: ChatDriver, curator: ChatDriver, recording: RecordingSession
) -> None:
    await open_and_take(student, curator, recording)
    first = assist_message(recording, CURATOR_ID)
    await curator.click("📚")  # on the owner panel
    again = assist_message(recording, CURATOR_ID)
    assert again != first and curator.buttons(again) == curator.buttons(first)


async def test_counts_appear_in_stats(
    admin: ChatDriver, student: ChatDriver, curator: ChatDriver, recording: RecordingSession
) -> None:
    await open_and_take(student, curator, recording)
    await curator.click("📤 1.", assist_message(recording, CURATOR_ID))
    await admin.send("/stats")
    report = next(text for text in admin.texts() if "📚" in text)
    assert "discrimination-where-to-turn" in report and "1" in report and looks_russian(report)


async def test_only_the_owner_can_send_and_nothing_is_counted_otherwise(
    app: App,
    student: ChatDriver,
    curator: ChatDriver,
    curator2: ChatDriver,
    recording: RecordingSession,
) -> None:
    await open_and_take(student, curator, recording)
    entry = app.kb.by_slug("discrimination-where-to-turn")
    assert entry is not None
    forged = AssistSend(case=1, entry=entry.pk).pack()
    student.mark_read()
    await curator2.click_data(forged)
    assert looks_russian(curator2.answered_callback_text() or "")
    await curator2.click_data(AssistShow(case=1).pack())
    assert curator2.answered_callback_text()
    await student.click_data(forged)  # not a curator at all
    assert student.answered_callback_text()
    # An entry that is no longer published.
    await curator.click_data(AssistSend(case=1, entry=99999).pack())
    assert looks_russian(curator.answered_callback_text() or "")
    assert not [t for t in student.texts() if DISCRIMINATION_KK_ANSWER in t]
    async with app.session_factory() as session:
        assert (await session.scalars(select(CuratorFaqSend))).all() == []


async def test_a_student_who_blocked_the_bot_gets_nothing_counted(
    app: App, student: ChatDriver, curator: ChatDriver, recording: RecordingSession
) -> None:
    await open_and_take(student, curator, recording)
    recording.fail_next(SendMessage, bot_blocked, chat_id=STUDENT_ID)
    curator.mark_read()
    await curator.click("📤 1.", assist_message(recording, CURATOR_ID))
    assert any("⚠️" in text and looks_russian(text) for text in curator.texts())
    async with app.session_factory() as session:
        assert await sends_per_entry(session) == []
