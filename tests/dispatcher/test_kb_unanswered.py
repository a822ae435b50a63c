"""/unanswered through the real dispatcher: questions grouped across scripts and near-duplicates,
most frequent first, and the three actions on a group, each taking it off the list."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import select

from bot.db.models import FaqEntry, QuestionLog
from bot.factory import App
from bot.handlers.kb_admin.ui import KbQuestion
from bot.services.unanswered import group_questions
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

ADMIN_ID = 9001
BUS = [
    "автобус билеті қайда сатылады?",
    "avtobus bileti qaida satylady",
    "автобус билети кайда сатылады",
    "Автобус билеті қайда сатылады",
]
GYM = ["спортзал работает в выходные?", "Спортзал работает в выходные"]
PASS = ["где купить проездной на автобус"]


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="ru")


@pytest.fixture
async def asked(student: ChatDriver, other_student: ChatDriver, app: App) -> None:
    for text in BUS:
        await student.send(text)
    for text in GYM + PASS:
        await other_student.send(text)
    await app.recorder.flush()


def test_script_variants_and_near_duplicates_group_together() -> None:
    rows = [(n, text, "kk") for n, text in enumerate(BUS + GYM + PASS + ["спортзал"], start=1)]
    groups = group_questions(rows)
    assert [g.count for g in groups] == [4, 2, 1, 1]
    assert set(groups[0].row_ids) == {1, 2, 3, 4}
    assert groups[1].text.lower().startswith("спортзал работает")


async def test_unanswered_lists_groups_most_frequent_first(admin: ChatDriver, asked: None) -> None:
    await admin.send("/unanswered")
    texts = admin.texts()
    assert "групп — 3, всего вопросов — 7" in texts[0]
    assert "4 раз" in texts[1] and "автобус" in texts[1].lower()
    assert "avtobus bileti qaida satylady" in texts[1]  # the variants are shown
    assert "2 раз" in texts[2] and "Спортзал" in texts[2]
    assert "проездной" in texts[3]


async def test_dismiss_removes_the_group(admin: ChatDriver, asked: None, app: App) -> None:
    await admin.send("/unanswered")
    gym = admin.bot_messages()[-2]
    await admin.click("Отклонить", message_id=gym.message_id)
    assert "✖️" in admin.last_text()
    await admin.send("/unanswered")
    assert not any("Спортзал" in t for t in admin.texts())
    async with app.session_factory() as session:
        resolutions = (
            await session.scalars(
                select(QuestionLog.resolution).where(QuestionLog.text.ilike("%портзал%"))
            )
        ).all()
    assert resolutions == ["dismissed", "dismissed"]


async def test_new_entry_from_a_group_is_prefilled_and_removes_it(
    admin: ChatDriver, student: ChatDriver, asked: None, app: App
) -> None:
    await admin.send("/unanswered")
    bus = admin.bot_messages()[-3]
    await admin.click("Новая запись", message_id=bus.message_id)
    await admin.click("holidays")
    assert "Автобус билеті қайда сатылады" in admin.last_text()  # the Kazakh question offered
    await admin.click("Взять этот текст")
    await admin.send("Где продаются билеты на автобус?")
    await admin.click("Пропустить")
    await admin.click("Пропустить")
    await admin.send("Автобус билеті аялдамадағы дүңгіршектерде сатылады.")
    await admin.send("Билеты на автобус продаются в киосках на остановках.")
    await admin.click("Пропустить")
    await admin.click("💾")
    async with app.session_factory() as session:
        row = await session.scalar(
            select(FaqEntry).where(FaqEntry.question_kk == "Автобус билеті қайда сатылады")
        )
    assert row is not None and row.published
    await admin.send("/unanswered")
    assert not any("автобус билеті" in t.lower() and "раз" in t for t in admin.texts())
    await student.send("avtobus bileti qaida satylady")
    assert "дүңгіршектерде" in student.last_text()


async def test_attach_as_a_paraphrase_of_an_existing_entry(
    admin: ChatDriver, other_student: ChatDriver, asked: None, app: App
) -> None:
    await admin.send("/unanswered")
    gym = admin.bot_messages()[-2]
    await admin.click("Добавить к записи", message_id=gym.message_id)
    await admin.send("клуб")  # find the entry by words
    await admin.click("Что такое клуб")
    assert any("🔗" in text for text in admin.texts())
    async with app.session_factory() as session:
        row = await session.scalar(select(FaqEntry).where(FaqEntry.slug == "unity-club"))
    assert row is not None and "Спортзал работает в выходные" in row.alternatives["ru"]
    await admin.send("/unanswered")
    assert not any("Спортзал" in t for t in admin.texts())
    await other_student.send("Спортзал работает в выходные")
    assert "межэтнический диалог" in other_student.last_text()


async def test_a_group_already_dealt_with_says_so(admin: ChatDriver, asked: None, app: App) -> None:
    async with app.session_factory() as session:
        gym_row = await session.scalar(select(QuestionLog.id).where(QuestionLog.text == GYM[0]))
    assert gym_row is not None
    await admin.send("/unanswered")
    await admin.click_data(KbQuestion(row=gym_row, act="dismiss").pack())
    await admin.click_data(KbQuestion(row=gym_row, act="new").pack())
    assert "уже разобрались" in (admin.answered_callback_text() or "")
