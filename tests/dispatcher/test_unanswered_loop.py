"""The unanswered loop through the real dispatcher: every question that got no answer reaches
/unanswered (no match, out of scope, a "did you mean" left unchosen, an answer voted 👎), and
attaching one to an entry answers it, and the questions like it, at once."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import FaqEntry, QuestionLog
from bot.factory import App
from bot.services.questions import (
    ANSWERED,
    NOT_HELPFUL,
    QuestionRecord,
    QuestionRecorder,
    new_question_ref,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.support import RuleNlu

ADMIN_ID = 9001
SECOND_ADMIN_ID = 9002
GYM = "Спортзал работает в выходные"
# Different enough to be groups of their own, close enough that the entry GYM is attached to
# answers them too.
GYM_LIKE = ["спортзал университета работает в выходные или нет", "спортзал в субботу работает?"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admin_ids": [ADMIN_ID, SECOND_ADMIN_ID]})


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="ru")


@pytest.fixture
def second_admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(
        dp, bot, recording, user_id=SECOND_ADMIN_ID, first_name="Admin2", language_code="ru"
    )


def listed(admin: ChatDriver) -> list[str]:
    """The question groups /unanswered showed (the summary line left out)."""
    return [t for t in admin.texts() if "спрашивали" in t]


async def unanswered(admin: ChatDriver) -> list[str]:
    admin.mark_read()
    await admin.send("/unanswered")
    return listed(admin)


async def test_out_of_scope_question_lands_in_unanswered_with_its_language(
    student: ChatDriver, admin: ChatDriver, nlu: RuleNlu
) -> None:
    question = "Кампуста намаз оқитын бөлме бар ма?"
    nlu.script(question, "out_of_scope", 0.99)
    await student.send(question)
    assert "куратор" in student.last_text().lower()  # the out-of-scope reply
    groups = await unanswered(admin)  # no explicit flush: /unanswered sees it at once
    assert len(groups) == 1
    assert question in groups[0] and "1 раз" in groups[0]
    assert "Вопрос на казахском" in groups[0]


async def test_nlu_fallback_without_a_match_lands_in_unanswered(
    other_student: ChatDriver, admin: ChatDriver, nlu: RuleNlu
) -> None:
    nlu.script(GYM, "nlu_fallback", 0.2, ranking=[("ask_faq", 0.2)])
    await other_student.send(GYM)
    await other_student.send(GYM.lower())
    groups = await unanswered(admin)
    assert len(groups) == 1 and "2 раз" in groups[0] and "Вопрос на русском" in groups[0]


async def test_did_you_mean_left_unchosen_stays_chosen_goes(
    other_student: ChatDriver, admin: ChatDriver, nlu: RuleNlu
) -> None:
    unchosen, chosen = "клуб и язык", "язык и клуб студентов"
    for text in (unchosen, chosen):
        nlu.script(text, "nlu_fallback", 0.3, ranking=[("ask_faq", 0.3)])
    await other_student.send(unchosen)
    assert len(other_student.buttons()) >= 3  # choices and the curator
    await other_student.send(chosen)  # wrote something else instead of choosing
    await other_student.click("клуб")
    assert "межэтнический диалог" in other_student.last_text()
    groups = await unanswered(admin)
    assert any(unchosen in g for g in groups)
    assert not any(chosen in g for g in groups)


async def test_thumbs_down_sends_the_question_to_unanswered(
    other_student: ChatDriver, admin: ChatDriver
) -> None:
    await other_student.send("какого числа наурыз")
    assert "21–23 марта" in other_student.last_text()
    await other_student.click("👎")
    await other_student.send("сколько дней выходных на наурыз")
    await other_student.click("👍")
    groups = await unanswered(admin)
    assert len(groups) == 1
    assert "какого числа наурыз" in groups[0] and "👎 Ответ не помог: 1 раз" in groups[0]


async def test_thumbs_down_after_a_did_you_mean_choice_lands_too(
    other_student: ChatDriver, admin: ChatDriver, nlu: RuleNlu
) -> None:
    question = "клуб и язык"
    nlu.script(question, "nlu_fallback", 0.3, ranking=[("ask_faq", 0.3)])
    await other_student.send(question)
    await other_student.click("клуб")
    assert await unanswered(admin) == []  # chosen: answered
    await other_student.click("👎")
    groups = await unanswered(admin)
    assert len(groups) == 1 and question in groups[0] and "👎" in groups[0]


async def start_attach(admin: ChatDriver, question: str) -> None:
    groups_before = await unanswered(admin)
    assert any(question in g for g in groups_before)
    group = next(m for m in admin.bot_messages() if question in (m.text or ""))
    await admin.click("Добавить к записи", message_id=group.message_id)
    await admin.send("клуб")  # find the entry by words


async def test_attach_answers_the_same_and_similar_questions_at_once(
    student: ChatDriver, other_student: ChatDriver, admin: ChatDriver, app: App
) -> None:
    await other_student.send(GYM)
    await other_student.send(GYM_LIKE[0])
    await student.send(GYM_LIKE[0])
    await student.send(GYM_LIKE[1])
    await start_attach(admin, GYM)
    await admin.click("Что такое клуб")
    assert any("🔗" in text for text in admin.texts())
    assert "ещё на 3 ожидающих вопросов (групп — 2)" in admin.last_text()
    assert await unanswered(admin) == []  # all three groups answered now
    for text in (GYM, "sportzal rabotaet v vyhodnye", "спортзалы работают по выходным?"):
        await other_student.send(text)
        assert "межэтнический диалог" in other_student.last_text(), text


async def test_attaching_to_a_deleted_entry_is_refused_and_the_question_stays(
    other_student: ChatDriver, admin: ChatDriver, app: App
) -> None:
    await other_student.send(GYM)
    await start_attach(admin, GYM)
    async with app.session_factory() as session, session.begin():
        row = await session.scalar(select(FaqEntry).where(FaqEntry.slug == "unity-club"))
        assert row is not None
        row.deleted_at = row.updated_at
    await admin.click("Что такое клуб")
    assert "Этой записи больше нет" in (admin.answered_callback_text() or "")
    groups = await unanswered(admin)
    assert len(groups) == 1 and GYM in groups[0]


async def test_two_admins_attaching_the_same_question_at_once(
    other_student: ChatDriver, admin: ChatDriver, second_admin: ChatDriver, app: App
) -> None:
    await other_student.send(GYM)
    await start_attach(admin, GYM)
    await start_attach(second_admin, GYM)
    await asyncio.gather(admin.click("Что такое клуб"), second_admin.click("Что такое клуб"))
    attached = [any("🔗" in t for t in d.texts()) for d in (admin, second_admin)]
    refused = [
        "уже разобрались" in (d.answered_callback_text() or "") for d in (admin, second_admin)
    ]
    assert sorted(attached) == [False, True]  # one of them attached it ...
    assert refused == [not a for a in attached]  # ... the other was told it was dealt with
    async with app.session_factory() as session:
        row = await session.scalar(select(FaqEntry).where(FaqEntry.slug == "unity-club"))
        resolutions = (await session.scalars(select(QuestionLog.resolution))).all()
    assert row is not None and row.alternatives["ru"].count(GYM) == 1
    assert resolutions == ["attached"]


async def test_a_thumbs_down_on_another_replica_reaches_the_question(app: App) -> None:
    """The 👎 may land on a replica that did not answer, even before the answering replica
    has written its batch: the mark waits for the question and is applied then."""
    answering = app.recorder
    voting = QuestionRecorder(app.session_factory)
    ref = new_question_ref()
    answering.record(
        QuestionRecord(
            text="какого числа наурыз",
            language="ru",
            intent="ask_faq",
            intent_confidence=0.9,
            outcome=ANSWERED,
            ref=ref,
        )
    )
    voting.mark(ref, NOT_HELPFUL, from_outcomes=(ANSWERED,))
    await voting.flush()  # the question is not stored yet: the mark waits
    await answering.flush()
    await voting.flush()
    async with app.session_factory() as session:
        outcome = await session.scalar(select(QuestionLog.outcome).where(QuestionLog.ref == ref))
    assert outcome == NOT_HELPFUL
