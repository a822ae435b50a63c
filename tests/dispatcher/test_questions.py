"""Free-text questions through the real dispatcher: answers, "did you mean", small talk,
incidents, and what is recorded for admins."""

from __future__ import annotations

import asyncio

from aiogram.types import Message
from sqlalchemy import select

from bot.db.models import FaqEntryStats, QuestionLog
from bot.factory import App
from tests.fakes.chat import ChatDriver
from tests.lang import looks_kazakh, looks_russian
from tests.support import RuleNlu


def keyboard_labels(message: Message) -> list[str]:
    markup = message.reply_markup
    if markup is None:
        return []
    return [button.text for row in markup.inline_keyboard for button in row]


async def consent(driver: ChatDriver, language_label: str = "Қазақша") -> None:
    await driver.send_command("/start")
    await driver.click(language_label)
    await driver.click("✅")


async def logged(app: App) -> list[QuestionLog]:
    await app.recorder.flush()
    async with app.session_factory() as session:
        return list((await session.scalars(select(QuestionLog).order_by(QuestionLog.id))).all())


async def test_answer_in_students_language_with_helpful_buttons(student: ChatDriver) -> None:
    await consent(student)
    await student.send("nauryz qashan bolady?")
    answer = student.last_text()
    assert "Наурыз мейрамы 21–23 наурызда" in answer
    assert len(student.buttons()) == 2  # helpful / not helpful
    await student.send_command("/lang")
    await student.click("Русский")
    await student.send("когда наурыз")
    assert "Наурыз празднуют 21–23 марта" in student.last_text()


async def test_same_question_in_every_script_finds_the_same_answer(student: ChatDriver) -> None:
    for text in (
        "Мемлекеттік тіл қандай?",
        "мемлекеттик тил кандай",
        "memlekettik til qandai",
        "государственный язык казахстана",
    ):
        await student.send(text)
        assert "Конституция" in student.last_text(), text


async def test_helpful_vote_counted_once(student: ChatDriver, app: App) -> None:
    await consent(student)
    await student.send("Наурыз қашан?")
    answer_message = student.bot_messages()[-1].message_id
    await student.click("👍")
    assert student.answered_callback_text()
    assert student.bot_messages()[-1].reply_markup is None  # buttons gone after voting
    await student.click_data("vote:1:1", message_id=answer_message)  # pressed again (stale)
    async with app.session_factory() as session:
        stats = (await session.scalars(select(FaqEntryStats))).all()
    assert [s.helpful for s in stats if s.helpful] == [1]


async def test_not_helpful_offers_a_curator(student: ChatDriver) -> None:
    await student.send("Наурыз қашан?")
    await student.click("👎")
    assert any("🧑‍🏫" in label for label in student.buttons())


async def test_unsure_offers_did_you_mean_and_logs_it(
    student: ChatDriver, app: App, nlu: RuleNlu
) -> None:
    text = "клуб и язык"
    nlu.script(text, "nlu_fallback", 0.3, ranking=[("ask_faq", 0.3)])
    await student.send(text)
    labels = student.buttons()
    choices = [b for b in labels if "🧑‍🏫" not in b]
    assert 2 <= len(choices) <= 3
    assert any("клуб" in c.lower() for c in choices)
    await student.click(choices[0])
    assert "<b>" in student.last_text() and len(student.buttons()) == 2
    rows = await logged(app)
    assert rows[-1].text == text
    assert rows[-1].outcome == "chosen"  # answered by the choice: not one for /unanswered
    assert rows[-1].entry_pk is not None


async def test_nothing_fits_says_so_offers_curator_and_records(
    student: ChatDriver, app: App
) -> None:
    await consent(student, "Русский")
    await student.send("как оформить академический отпуск по болезни?")
    reply = student.last_text()
    assert looks_russian(reply)
    assert any("🧑‍🏫" in b for b in student.buttons())
    row = (await logged(app))[-1]
    assert row.outcome == "unmatched"
    assert row.language == "ru"
    assert row.user_id == student.user.id
    assert row.intent and row.intent_confidence is not None


async def test_question_before_consent_is_logged_without_identity(
    student: ChatDriver, app: App
) -> None:
    await student.send("как оформить академический отпуск?")
    row = (await logged(app))[-1]
    assert row.user_id is None


async def test_small_talk_in_both_languages(student: ChatDriver, other_student: ChatDriver) -> None:
    await student.send("Сәлеметсіз бе")
    assert looks_kazakh(student.last_text())
    await other_student.send("спасибо большое")
    assert looks_russian(other_student.last_text())
    await other_student.send("ты бот?")
    assert looks_russian(other_student.last_text())


async def test_incident_gets_help_numbers_and_curator_offer_never_bare_faq(
    student: ChatDriver, nlu: RuleNlu
) -> None:
    text = "мені ұлтыма байланысты жатақханада қорлады"
    nlu.script(text, "report_incident", 0.9)
    await student.send(text)
    first = student.texts()[0]
    for number in ("102", "112", "150"):
        assert number in first
    first_message = student.bot_messages()[-len(student.texts())]
    assert any("🧑‍🏫" in label for label in keyboard_labels(first_message))


async def test_incident_is_second_guess_still_treated_as_incident(
    student: ChatDriver, nlu: RuleNlu
) -> None:
    text = "в общаге что-то странное про мою национальность"
    nlu.script(text, "nlu_fallback", 0.4, ranking=[("ask_faq", 0.4), ("report_incident", 0.35)])
    await student.send(text)
    assert "102" in student.texts()[0]


async def test_long_small_talk_with_a_real_question_gets_the_answer(
    student: ChatDriver, nlu: RuleNlu
) -> None:
    text = "Сәлем! Айтыңызшы, Наурыз мейрамы қашан тойланады?"
    nlu.script(text, "greet", 0.99)
    await student.send(text)
    assert "21–23" in student.last_text()


async def test_entry_points_never_dead_end(student: ChatDriver, nlu: RuleNlu) -> None:
    for intent in ("request_consultation", "events", "courses", "my_requests"):
        text = f"please {intent}"
        nlu.script(text, intent, 0.95)
        await student.send(text)
        assert student.texts(), intent
        offers = [b for m in student.bot_messages()[-2:] for b in keyboard_labels(m)]
        assert offers or "/menu" in student.last_text(), f"{intent} offers no next step"


async def test_change_language_intent_switches(student: ChatDriver, nlu: RuleNlu) -> None:
    text = "орысша сөйлейікші"
    nlu.script(text, "change_language", 0.95, entities=[{"entity": "language", "value": "ru"}])
    await student.send(text)
    assert looks_russian(student.last_text())
    await student.send("/help")
    assert looks_russian(student.last_text())


async def test_recorded_questions_survive_shutdown(student: ChatDriver, app: App) -> None:
    await student.send("вопрос про что-то совсем непонятное")
    await app.recorder.aclose()
    async with app.session_factory() as session:
        rows = (await session.scalars(select(QuestionLog))).all()
    assert [r.text for r in rows] == ["вопрос про что-то совсем непонятное"]
    await asyncio.sleep(0)


async def test_shown_counter_counts_each_answer(
    student: ChatDriver, other_student: ChatDriver, app: App
) -> None:
    await student.send("Наурыз қашан?")
    await other_student.send("когда наурыз")
    await student.send("мемлекеттік тіл")
    await app.recorder.flush()
    await student.send("nauryz qashan")
    await app.recorder.flush()
    async with app.session_factory() as session:
        shown = {s.entry_pk: s.shown for s in (await session.scalars(select(FaqEntryStats))).all()}
    nauryz = app.kb.by_slug("nauryz-dates")
    language = app.kb.by_slug("state-language")
    assert nauryz is not None and language is not None
    assert shown == {nauryz.pk: 3, language.pk: 1}


async def test_vote_and_question_log_batch_at_once_both_count(
    student: ChatDriver, app: App
) -> None:
    """A vote lands while the batched "shown" counter for the same entry is being written."""
    await student.send("Наурыз қашан?")
    await asyncio.gather(student.click("👍"), app.recorder.flush())
    await app.recorder.flush()
    async with app.session_factory() as session:
        stats = (await session.scalars(select(FaqEntryStats))).all()
    assert [(s.shown, s.helpful, s.not_helpful) for s in stats] == [(1, 1, 0)]
