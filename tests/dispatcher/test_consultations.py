"""Consultations through the real dispatcher: the student's request, curators' cards and the
take, messages both ways, closing, and the follow-up survey; anonymity throughout."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage, SendPhoto, SendVoice, SetMessageReaction
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import ConsultationEvent, FollowUpSurvey
from bot.factory import App
from bot.services.reports import build_report
from tests.consult_support import (
    ADMIN_ID,
    CURATOR_CHAT_ID,
    CURATOR_ID,
    SECOND_CURATOR_ID,
    STUDENT_ID,
    STUDENT_NAME,
    assert_anonymous,
    consent,
    consult_settings,
    driver,
    request_consultation,
    sent_to,
    survey_messages,
    texts_to,
    the_consultation,
    the_survey,
    wait_until,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.fixtures.stores import store_rows
from tests.lang import looks_kazakh, looks_russian
from tests.support import RuleNlu


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url)


@pytest.fixture
async def running(app: App, bot: Bot) -> AsyncIterator[App]:
    """The application with its scheduler running."""
    app.start_scheduler(bot)
    yield app


@pytest.fixture
def curator(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, CURATOR_ID, "Dana", username="dana_curator")


@pytest.fixture
def curator2(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, SECOND_CURATOR_ID, "Marat")


@pytest.fixture
def group(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, CURATOR_ID, "Dana", chat_id=CURATOR_CHAT_ID)


async def test_whole_loop_from_request_to_survey_answer(
    student: ChatDriver,
    curator: ChatDriver,
    group: ChatDriver,
    running: App,
    recording: RecordingSession,
) -> None:
    await consent(student)
    await request_consultation(student)
    assert looks_kazakh(student.last_text())
    assert "#1" in student.last_text()

    # Cards: in the curators' group and privately, with the questionnaire and first message.
    card = texts_to(recording, CURATOR_ID)[-1]
    assert "#1" in card and "ұлтыма" in card and "Жатақханада" in card
    assert texts_to(recording, CURATOR_CHAT_ID)
    await group.click("✋")
    assert "#1" in (group.answered_callback_text() or "")
    # Every card now shows who took it, and nobody can take it again.
    for chat in (CURATOR_ID, CURATOR_CHAT_ID, SECOND_CURATOR_ID):
        cards = [m for m in recording.chat_messages(chat) if m.text and "#1" in m.text]
        assert cards and all("Dana" in m.text for m in cards[:1]), chat
    assert "Dana" in student.last_text()

    # Student -> curator: text and a photo, in order, with the case number.
    await student.send("Бүгін тағы болды")
    await student.send_photo(caption="скриншот")
    curator_texts = texts_to(recording, CURATOR_ID)
    assert "Бүгін тағы болды" in curator_texts[-2] and "#1" in curator_texts[-2]
    assert isinstance(sent_to(recording, CURATOR_ID)[-1], SendPhoto)

    # Curator -> student, and the curator sees it was delivered.
    student.mark_read()
    await curator.send("Сәлеметсіз бе! Мен көмектесемін.")
    assert "Мен көмектесемін" in texts_to(recording, STUDENT_ID)[-1]
    assert any(isinstance(m, SetMessageReaction) for m in curator.sent())
    await curator.send_voice()
    assert isinstance(sent_to(recording, STUDENT_ID)[-1], SendVoice)

    # An internal note never reaches the student.
    student.mark_read()
    await curator.click("📝", message_id=_panel(recording, CURATOR_ID))
    await curator.send("Студент жатақханада тұрады, деканатпен сөйлесу керек")
    assert not student.texts()

    # Close with a resolution; the survey arrives after SURVEY_DELAY.
    await curator.click("✅", message_id=_panel(recording, CURATOR_ID))
    await curator.send("Деканатпен сөйлестік, мәселе шешілді")
    assert "#1" in curator.last_text()
    assert looks_kazakh(student.texts()[-1])
    await wait_until(lambda: bool(survey_messages(recording, STUDENT_ID)))
    await student.click("5")
    await student.click("✅")
    await student.send("Рахмет, көп көмектесті")
    assert looks_kazakh(student.last_text())

    survey = await the_survey(running)
    assert survey is not None
    assert (survey.rating, survey.resolved, survey.comment) == (5, True, "Рахмет, көп көмектесті")
    assert survey.curator_id == CURATOR_ID
    async with running.session_factory() as session:
        report = await build_report(session)
    assert (report.total.opened, report.total.taken, report.total.closed) == (1, 1, 1)
    assert report.first_reply.count == 1 and report.resolution.count == 1
    [score] = report.curators
    assert (score.curator_id, score.surveys_answered, score.average_rating) == (CURATOR_ID, 1, 5)
    assert_anonymous(recording)
    # Only one survey, no reminder after the answer.
    assert len(survey_messages(recording, STUDENT_ID)) == 1


def with_button(chat: ChatDriver, label: str) -> int:
    """The newest bot message in the chat that has a button containing `label`."""
    for message in reversed(chat.bot_messages()):
        labels = [
            b.text for row in getattr(message.reply_markup, "inline_keyboard", []) for b in row
        ]
        if any(label in text for text in labels):
            return message.message_id
    raise AssertionError(f"no button {label!r}")


def _panel(recording: RecordingSession, chat_id: int) -> int:
    """The newest message in `chat_id` with the owner's buttons."""
    for message in reversed(recording.chat_messages(chat_id)):
        labels = [
            b.text for row in getattr(message.reply_markup, "inline_keyboard", []) for b in row
        ]
        if any("📝" in label for label in labels):
            return message.message_id
    raise AssertionError("no owner panel")


async def test_named_consultation_shows_the_name_to_curators(
    student: ChatDriver, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student, anonymous=False, area="🗣", answers=("Қазақ тілі", None))
    assert STUDENT_NAME in texts_to(recording, CURATOR_ID)[-1]


async def test_consent_is_asked_first_and_the_form_continues(
    other_student: ChatDriver, recording: RecordingSession
) -> None:
    await other_student.send_command("/consult")
    assert looks_russian(other_student.last_text())
    assert not texts_to(recording, CURATOR_ID)
    await other_student.click("✅")
    assert any("⚖️" in b for b in other_student.buttons())


async def test_waiting_messages_are_kept_and_delivered_in_order_on_take(
    student: ChatDriver, curator: ChatDriver, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student, message=None)
    await student.send("бірінші")
    assert "#1" in student.last_text()
    await student.send_photo()
    await student.send_document()
    await student.send("соңғы")
    await curator.click("✋")
    relayed = [m for m in sent_to(recording, CURATOR_ID) if type(m).__name__.startswith("Send")][
        -4:
    ]
    assert [type(m).__name__ for m in relayed] == [
        "SendMessage",
        "SendPhoto",
        "SendDocument",
        "SendMessage",
    ]
    assert "бірінші" in relayed[0].text and "соңғы" in relayed[-1].text  # type: ignore[attr-defined]
    assert_anonymous(recording)


async def test_my_lists_status_and_cancel_stops_the_relay(
    student: ChatDriver, curator: ChatDriver, app: App, recording: RecordingSession
) -> None:
    await consent(student)
    await student.send_command("/my")
    assert "🧑‍🏫" in " ".join(student.buttons())
    await request_consultation(student)
    await student.send_command("/my")
    assert "#1" in student.last_text() and "🟡" in student.last_text()
    await student.click("✖️")
    await student.click(student.buttons()[0])  # "yes, cancel"
    consultation = await the_consultation(app)
    assert consultation.status == "cancelled"
    # The cards say so and the take button is gone.
    card = next(m for m in recording.chat_messages(CURATOR_ID) if m.text and "#1" in m.text)
    assert card.reply_markup is None or not card.reply_markup.inline_keyboard
    await curator.click_data("case:take:1", message_id=card.message_id)
    assert "#1" in (curator.answered_callback_text() or "")
    # A new message is a question for the bot again, not for a curator.
    student.mark_read()
    before = len(sent_to(recording, CURATOR_ID))
    await student.send("Наурыз қашан?")
    assert len(sent_to(recording, CURATOR_ID)) == before
    assert "21" in student.last_text()


async def test_urgent_path_after_an_incident(
    student: ChatDriver, app: App, nlu: RuleNlu, recording: RecordingSession
) -> None:
    await consent(student)
    text = "мені ұлтыма байланысты жатақханада қорлады"
    nlu.script(text, "report_incident", 0.93)
    await student.send(text)
    assert "102" in student.texts()[0]
    assert not texts_to(recording, CURATOR_ID)  # nothing before the student confirms
    await student.click("🧑‍🏫", message_id=with_button(student, "🧑‍🏫"))
    await student.click("🕶")
    assert "102" in student.last_text() and "112" in student.last_text()
    for person in (CURATOR_ID, SECOND_CURATOR_ID, ADMIN_ID, CURATOR_CHAT_ID):
        card = texts_to(recording, person)[-1]
        assert "🚨" in card and text in card, person
    consultation = await the_consultation(app)
    assert consultation.urgent
    assert_anonymous(recording)


async def test_urgent_from_the_menu_without_consent_asks_consent_first(
    other_student: ChatDriver, recording: RecordingSession
) -> None:
    await other_student.send_command("/menu")
    await other_student.click("🚨")
    await other_student.click("🧑‍🏫", message_id=with_button(other_student, "🧑‍🏫"))
    assert not texts_to(recording, CURATOR_ID)
    await other_student.click("✅")
    await other_student.click("👤")
    assert "🚨" in texts_to(recording, CURATOR_ID)[-1]
    assert "Ivan" in texts_to(recording, CURATOR_ID)[-1]
    assert looks_russian(other_student.last_text())


async def test_request_consultation_intent_starts_the_form(
    student: ChatDriver, nlu: RuleNlu
) -> None:
    await consent(student)
    nlu.script("кураторға жазғым келеді", "request_consultation", 0.95)
    await student.send("кураторға жазғым келеді")
    assert any("⚖️" in b for b in student.buttons())


async def test_one_open_consultation_at_a_time(student: ChatDriver, app: App) -> None:
    await consent(student)
    await request_consultation(student)
    await student.send_command("/consult")
    assert "#1" in student.last_text()
    assert any("➕" in b for b in student.buttons())


async def test_survey_skipped_for_a_student_who_deleted_their_data(
    student: ChatDriver,
    curator: ChatDriver,
    running: App,
    recording: RecordingSession,
    nlu: RuleNlu,
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋")
    await curator.click("✅", message_id=_panel(recording, CURATOR_ID))
    await curator.send("Кеңес берілді")
    nlu.script("менің деректерімді өшіріңіз", "delete_my_data", 0.97)
    await student.send("менің деректерімді өшіріңіз")
    await student.click("🗑")
    survey = await the_survey(running)
    assert survey is not None and survey.status == "cancelled" and survey.student_id is None
    consultation = await the_consultation(running)
    assert consultation.student_id is None and consultation.answers == []
    import asyncio

    await asyncio.sleep(1.5)
    assert not survey_messages(recording, STUDENT_ID)
    assert running.planner is not None and running.planner.pending() == 0


async def test_survey_not_sent_to_a_student_who_blocked_the_bot(
    student: ChatDriver, curator: ChatDriver, running: App, recording: RecordingSession
) -> None:
    from tests.fakes.recording import bot_blocked

    await consent(student)
    await request_consultation(student)
    await curator.click("✋")
    await curator.click("✅", message_id=_panel(recording, CURATOR_ID))
    await curator.send("Кеңес берілді")
    recording.fail_always(SendMessage, bot_blocked, chat_id=STUDENT_ID)
    await wait_until(lambda: _survey_status_is(running, "undeliverable"), within=5)
    async with running.session_factory() as session:
        events = (await session.scalars(select(ConsultationEvent.kind))).all()
    assert "survey_sent" not in events


def _survey_status_is(app: App, status: str) -> bool:
    rows = store_rows(app.settings.database_url, f"select status from {FollowUpSurvey.__tablename__}")
    return bool(rows and rows[0][0] == status)


async def test_open_index_keeps_a_new_consultation_across_an_early_reread(app: App) -> None:
    from bot.services.consultations import OpenCases

    cases = OpenCases(app.session_factory)
    cases.add(77, 5)  # opened in a transaction the store does not show yet
    await cases.refresh(force=True)
    assert cases.get(77) == 5
    cases.discard(77)
    await cases.refresh(force=True)
    assert 77 not in cases


async def test_incident_reported_while_a_request_is_open_makes_it_urgent(
    student: ChatDriver, app: App, recording: RecordingSession
) -> None:
    await consent(student)
    await request_consultation(student)
    await student.send_command("/menu")
    await student.click("🚨")
    await student.click("🧑‍🏫", message_id=with_button(student, "🧑‍🏫"))
    await student.click("🕶")
    assert "#1" in student.last_text() and "102" in student.last_text()
    consultation = await the_consultation(app)
    assert consultation.id == 1 and consultation.urgent
    assert any("🚨" in t and "#1" in t for t in texts_to(recording, ADMIN_ID))
    card = recording.message(CURATOR_ID, 1)
    assert card is not None and "🚨" in (card.text or "")
    assert_anonymous(recording)
