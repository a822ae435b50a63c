"""Curators' side and the bad input around it: the take race, transfer, /queue and /mine,
refusals for everyone else, stale and forged buttons, an unreachable curators' chat."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, SendMessage

from bot.config import Settings
from bot.factory import App
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
    sent_to,
    texts_to,
    the_consultation,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession, bot_blocked
from tests.lang import looks_kazakh, looks_russian
from tests.support import RuleNlu


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


def panel(recording: RecordingSession, chat_id: int) -> int:
    for message in reversed(recording.chat_messages(chat_id)):
        labels = [
            b.text for row in getattr(message.reply_markup, "inline_keyboard", []) for b in row
        ]
        if any("📝" in label for label in labels):
            return message.message_id
    raise AssertionError("no owner panel")


def card_id(recording: RecordingSession, chat_id: int, case: str = "#1") -> int:
    for message in recording.chat_messages(chat_id):
        if message.from_user and message.from_user.is_bot and message.text and case in message.text:
            return message.message_id
    raise AssertionError("no card")


async def test_two_concurrent_takes_exactly_one_wins(
    student: ChatDriver,
    curator: ChatDriver,
    curator2: ChatDriver,
    app: App,
    recording: RecordingSession,
) -> None:
    await consent(student)
    await request_consultation(student)
    first, second = card_id(recording, CURATOR_ID), card_id(recording, SECOND_CURATOR_ID)
    await asyncio.gather(curator.click("✋", first), curator2.click("✋", second))
    answers = [curator.answered_callback_text() or "", curator2.answered_callback_text() or ""]
    consultation = await the_consultation(app)
    winner = "Dana" if consultation.curator_id == CURATOR_ID else "Marat"
    loser_answer = answers[1] if consultation.curator_id == CURATOR_ID else answers[0]
    assert consultation.status == "active"
    assert winner in loser_answer  # the other one is told who took it
    # Exactly one of them got the owner's panel.
    panels = [
        chat
        for chat in (CURATOR_ID, SECOND_CURATOR_ID)
        if any("📝" in str(m.reply_markup) for m in recording.chat_messages(chat))
    ]
    assert panels == [consultation.curator_id]
    # Cards everywhere show the owner.
    for chat in (CURATOR_ID, SECOND_CURATOR_ID, CURATOR_CHAT_ID):
        card = recording.message(chat, card_id(recording, chat))
        assert card is not None and winner in (card.text or "")


async def test_transfer_moves_the_conversation(
    student: ChatDriver,
    curator: ChatDriver,
    curator2: ChatDriver,
    app: App,
    recording: RecordingSession,
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋", card_id(recording, CURATOR_ID))
    await curator.send("Сәлем, тыңдап тұрмын")
    await curator.click("🔁", panel(recording, CURATOR_ID))
    await curator.click(str(SECOND_CURATOR_ID))  # not a stored user: listed by id
    consultation = await the_consultation(app)
    assert consultation.curator_id == SECOND_CURATOR_ID
    # The new curator gets the card with the history; the student is told.
    assert any("Сәлем, тыңдап тұрмын" in t for t in texts_to(recording, SECOND_CURATOR_ID))
    assert looks_kazakh(texts_to(recording, STUDENT_ID)[-1])
    # The student's next message goes to the new curator only.
    before = len(sent_to(recording, CURATOR_ID))
    await student.send("тағы бір сұрақ")
    assert "тағы бір сұрақ" in texts_to(recording, SECOND_CURATOR_ID)[-1]
    assert len(sent_to(recording, CURATOR_ID)) == before
    # The old curator's messages no longer reach the student, and they are told why.
    student.mark_read()
    await curator.send("ескі куратордан")
    assert not student.texts()
    assert "#1" in curator.last_text()
    await curator2.send("жаңа куратордан")
    assert "жаңа куратордан" in texts_to(recording, STUDENT_ID)[-1]
    await curator2.click("📜", panel(recording, SECOND_CURATOR_ID))
    assert "тағы бір сұрақ" in curator2.last_text()
    assert_anonymous(recording)


async def test_queue_urgent_first_then_oldest_and_mine(
    student: ChatDriver,
    other_student: ChatDriver,
    curator: ChatDriver,
    nlu: RuleNlu,
    recording: RecordingSession,
) -> None:
    await consent(student)
    await request_consultation(student)
    await consent(other_student, "Русский")
    text = "меня избили в общежитии из-за национальности"
    nlu.script(text, "report_incident", 0.95)
    await other_student.send(text)
    for message in reversed(other_student.bot_messages()):
        if "🧑" in str(message.reply_markup):
            await other_student.click("🧑‍🏫", message.message_id)
            break
    await other_student.click("🕶")
    await curator.send("/queue")
    queue = curator.last_text()
    assert queue.index("#2") < queue.index("#1")  # urgent on top
    await curator.click("#1")
    await curator.send("/mine")
    assert "#1" in curator.last_text() and "#2" not in curator.last_text()
    assert_anonymous(recording)


@pytest.mark.parametrize("command", ["/queue", "/mine", "/stats"])
async def test_students_are_refused_curator_commands(
    student: ChatDriver, other_student: ChatDriver, command: str
) -> None:
    await student.send(command)
    assert len(student.texts()) == 1 and looks_kazakh(student.last_text())
    await other_student.send(command)
    assert looks_russian(other_student.last_text())


async def test_student_pressing_a_curator_button_is_refused(
    student: ChatDriver, app: App, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student)
    for data in ("case:take:1", "case:close:1", "caseto:1:5001"):
        await student.click_data(data)
        answer = student.callback_answer()
        assert answer.show_alert and looks_kazakh(answer.text or "")
    consultation = await the_consultation(app)
    assert consultation.status == "waiting"


async def test_acting_on_a_consultation_someone_else_took_or_closed(
    student: ChatDriver,
    curator: ChatDriver,
    curator2: ChatDriver,
    app: App,
    recording: RecordingSession,
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋", card_id(recording, CURATOR_ID))
    for action in ("close", "note", "write", "transfer"):
        await curator2.click_data(f"case:{action}:1")
        assert "Dana" in (curator2.answered_callback_text() or ""), action
    await curator.click("✅", panel(recording, CURATOR_ID))
    await curator.send("Шешілді")
    for driver_, action in ((curator, "close"), (curator2, "take"), (curator, "write")):
        await driver_.click_data(f"case:{action}:1")
        assert "#1" in (driver_.answered_callback_text() or ""), action
    consultation = await the_consultation(app)
    assert consultation.status == "closed" and consultation.curator_id == CURATOR_ID


@pytest.mark.parametrize(
    "data",
    [
        "case:take:999",
        "case:explode:1",
        "case:take:abc",
        "cst:area:nonsense",
        "srate:999:5",
        "sres:999:1",
        "mycase:cancel_yes:999",
        "urg:bogus",
        "caseto:999:8001",
    ],
)
async def test_forged_and_stale_buttons_get_an_answer(
    curator: ChatDriver, student: ChatDriver, data: str
) -> None:
    await consent(student)
    for chat in (curator, student):
        await chat.send("/menu")
        await chat.click_data(data)
        assert isinstance(chat.callback_answer(), AnswerCallbackQuery)
        assert chat.answered_callback_text()


async def test_curator_reply_after_the_student_deleted_their_data(
    student: ChatDriver, curator: ChatDriver, nlu: RuleNlu, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋", card_id(recording, CURATOR_ID))
    await student.send("/privacy")
    await student.click("🗑")
    await student.click("🗑")
    student.mark_read()
    await curator.send("Сәлеметсіз бе?")
    assert not student.texts()
    assert "#1" in curator.last_text() and "⚠️" in curator.last_text()


async def test_curator_sees_when_the_student_blocked_the_bot(
    student: ChatDriver, curator: ChatDriver, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋", card_id(recording, CURATOR_ID))
    recording.fail_always(SendMessage, bot_blocked, chat_id=STUDENT_ID)
    await curator.send("Сәлеметсіз бе?")
    assert "⚠️" in curator.last_text()


async def test_unreachable_curators_chat_falls_back_to_private_cards(
    student: ChatDriver,
    curator: ChatDriver,
    recording: RecordingSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    recording.fail_always(SendMessage, chat_id=CURATOR_CHAT_ID)
    await consent(student)
    with caplog.at_level(logging.WARNING):
        await request_consultation(student)
    assert "#1" in texts_to(recording, CURATOR_ID)[-1]
    assert "#1" in texts_to(recording, SECOND_CURATOR_ID)[-1]
    assert any(str(CURATOR_CHAT_ID) in r.getMessage() for r in caplog.records)
    await curator.click("✋", card_id(recording, CURATOR_ID))
    assert "#1" in (curator.answered_callback_text() or "")


async def test_admin_sees_stats(
    student: ChatDriver, curator: ChatDriver, admin: ChatDriver, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋", card_id(recording, CURATOR_ID))
    await curator.send("Жауап")
    await admin.send("/stats")
    assert looks_russian(admin.last_text())
    assert "1" in admin.last_text() and "⚖️" in admin.last_text()


async def test_messages_sent_in_quick_succession_arrive_in_order(
    student: ChatDriver, curator: ChatDriver, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋", card_id(recording, CURATOR_ID))
    original = recording.make_request

    async def slow_first(bot: Bot, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        # Telegram is slow to accept the first message: the later ones must still wait.
        if isinstance(method, SendMessage) and "бірінші" in (method.text or ""):
            await asyncio.sleep(0.2)
        return await original(bot, method, timeout)

    recording.make_request = slow_first  # type: ignore[method-assign]
    words = ["бірінші", "екінші", "үшінші"]
    await asyncio.gather(*(curator.send(word) for word in words))
    relayed = [t for t in texts_to(recording, STUDENT_ID) if any(w in t for w in words)]
    assert [next(w for w in words if w in t) for t in relayed] == words


async def test_staff_get_their_commands_in_the_menu(
    app: App, bot: Bot, recording: RecordingSession
) -> None:
    from aiogram.methods import SetMyCommands

    from bot.commands import register_staff_commands

    def answer(method: SetMyCommands) -> bool:
        if getattr(method.scope, "chat_id", None) == SECOND_CURATOR_ID:
            raise bot_blocked(method)  # never opened the bot: Telegram refuses
        return True

    recording.respond(SetMyCommands, answer)
    async with app.session_factory() as session:
        done = await register_staff_commands(bot, session, app.i18n, app.settings, app.roles)
    assert done == 2  # the curator who never opened the bot is skipped
    menus = {
        m.scope.chat_id: [c.command for c in m.commands]  # type: ignore[union-attr]
        for m, r in zip(recording.requests, recording.responses, strict=True)
        if isinstance(m, SetMyCommands) and not isinstance(r, Exception)
    }
    assert {"queue", "mine"} <= set(menus[CURATOR_ID]) and "stats" not in menus[CURATOR_ID]
    assert {"queue", "mine", "stats", "kb", "unanswered", "staff"} <= set(menus[ADMIN_ID])
    assert "kb" not in menus[CURATOR_ID]
