"""Learning progress: materials opened from /learn, quizzes passed, events attended (a curator's
mark), the ladder from YAML, shown in /me as text and a PNG card, exported and deleted with the
student's data."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument, SendPhoto
from aiogram.types import BufferedInputFile

from bot.factory import App
from bot.handlers.events.ui import EventOpen
from bot.services.learning import import_materials
from knowledge_base.learning import load_materials
from knowledge_base.levels import load_ladder, parse_ladder
from tests.conftest import OTHER_STUDENT_ID, STUDENT_ID
from tests.consult_support import consent
from tests.event_support import make_event
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.fixtures.stores import store_rows
from tests.lang import looks_kazakh, looks_russian

CURATOR_ID = 8001  # in the test settings' CURATOR_IDS


@pytest.fixture
def curator(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(
        dp, bot, recording, user_id=CURATOR_ID, first_name="Curator", language_code="ru"
    )


async def _curated(app: App) -> None:
    async with app.session_factory() as session, session.begin():
        await import_materials(session, load_materials().items)


def _rows(app: App, sql: str) -> list[tuple[object, ...]]:
    return store_rows(app.settings.database_url, sql)


def test_the_ladder_is_valid_and_mistakes_name_file_and_line() -> None:
    ladder = load_ladder()
    assert ladder.ok, ladder.problems
    assert ladder.levels[0].requires == {} and len(ladder.levels) >= 4
    text = """
- id: first
  emoji: "🌱"
  title: {kk: "Бастау", ru: "Начало"}
  requires: {}
- id: second
  emoji: "🧭"
  title: {kk: "Екінші", ru: "Второй"}
  requires: {materials: 3}
- id: third
  emoji: "📘"
  title: {kk: "Үшінші"}
  requires: {materials: 2, stars: 1}
"""
    broken = parse_ladder(text, "levels.yml")
    assert not broken.levels
    assert "levels.yml:10: third: title.ru must be 1 to 60 characters" in broken.problems
    assert any(
        p.startswith("levels.yml:10: third: requires: unknown metric 'stars'")
        for p in broken.problems
    )
    fixed = text.replace('title: {kk: "Үшінші"}', 'title: {kk: "Үшінші", ru: "Третий"}').replace(
        ", stars: 1", ""
    )
    assert parse_ladder(fixed, "levels.yml").problems == [
        "levels.yml:10: third: asks for less than the level before it (second)"
    ]


async def _open_materials(student: ChatDriver, count: int) -> None:
    await student.send_command("/learn")
    labels = [b for b in student.buttons() if b.startswith("📖")][:count]
    learn_message = student.bot_messages()[-1].message_id
    for label in labels:
        await student.click(label, message_id=learn_message)


async def test_progress_after_materials_and_a_quiz_as_text_and_card(
    student: ChatDriver, app: App, recording: RecordingSession
) -> None:
    await _curated(app)
    await consent(student)
    await student.send_command("/me")
    await student.click("🏅")
    assert "0" in student.last_text() and looks_kazakh(student.last_text())

    await _open_materials(student, 3)
    assert "978-601-82132-0-5" in " ".join(student.texts()) or student.texts()
    # The same material opened twice counts once.
    await student.send_command("/learn")
    first = next(b for b in student.buttons() if b.startswith("📖"))
    await student.click(first)
    # The «Kazakhstan culture» module has a quiz: pass it from its card.
    await student.send_command("/learn")
    culture = next(b for b in student.buttons() if "Қазақстан мәдениеті" in b)
    await student.click(culture)
    await student.click("📝")
    await student.click("A) 1 мамыр")
    await student.click("Алғыс айту күні")
    await student.click("Наурыз мейрамы")
    await student.click("✅")
    await student.click("A) 5 қыркүйек")
    assert "100%" in student.last_text()

    await student.send_command("/progress")
    photos = [m for m in student.sent() if isinstance(m, SendPhoto)]
    assert len(photos) == 1
    photo = photos[0].photo
    assert isinstance(photo, BufferedInputFile) and photo.data.startswith(b"\x89PNG")
    text = student.last_text()
    assert looks_kazakh(text)
    assert "3" in text  # materials: the culture module was one of the three
    assert "Білім алушы" in text  # materials 3+, one quiz passed: the «learner» step
    assert "Белсенді қатысушы" in text  # the next step, which needs an attended event
    assert _rows(app, "select count(*) from material_opens") == [(3,)]


async def test_a_curator_marks_attendance_and_it_counts(
    student: ChatDriver, other_student: ChatDriver, curator: ChatDriver, app: App
) -> None:
    event_id = await make_event(app, timedelta(hours=2), capacity=10)
    await consent(student)
    await consent(other_student, "Русский")
    await student.click_data(EventOpen(id=event_id).pack())
    await student.click("✋")
    await other_student.click_data(EventOpen(id=event_id).pack())
    await other_student.click("🔔")

    await student.send_command("/attendance")
    assert looks_kazakh(student.last_text())  # refused, in the student's language
    assert not student.buttons() or "Корей" not in " ".join(student.buttons())

    await consent(curator, "Русский")
    await curator.send_command("/attendance")
    await curator.click("День корейской культуры")
    assert looks_russian(curator.last_text())
    assert curator.buttons() == ["⬜ ✋ Aigerim", "⬜ 🔔 Ivan"]
    await curator.click("Aigerim")
    assert curator.buttons() == ["✅ ✋ Aigerim", "⬜ 🔔 Ivan"]
    assert _rows(app, "select user_id, marked_by from event_attendance") == [
        (STUDENT_ID, CURATOR_ID)
    ]
    # A second press takes the mark back, a third sets it again.
    await curator.click("Aigerim")
    await curator.click("Aigerim")

    await student.send_command("/progress")
    assert "1" in student.last_text()
    await other_student.send_command("/progress")
    assert looks_russian(other_student.last_text())


async def test_progress_is_exported_and_deleted_with_the_students_data(
    student: ChatDriver,
    other_student: ChatDriver,
    curator: ChatDriver,
    app: App,
    recording: RecordingSession,
) -> None:
    await _curated(app)
    event_id = await make_event(app, timedelta(hours=2), capacity=10)
    for who, label in ((student, "Қазақша"), (other_student, "Русский")):
        await consent(who, label)
        await _open_materials(who, 2)
        await who.click_data(EventOpen(id=event_id).pack())
        await who.click("✋")
    await consent(curator, "Русский")
    await curator.send_command("/attendance")
    await curator.click("День корейской культуры")
    await curator.click("Aigerim")
    await curator.click("Ivan")

    await student.send_command("/me")
    await student.click("📦")
    (document,) = [m for m in recording.of_type(SendDocument) if m.chat_id == STUDENT_ID]
    assert isinstance(document.document, BufferedInputFile)
    data = json.loads(document.document.data.decode("utf-8"))["learning_progress"]
    assert data["level"] == "explorer"
    assert len(data["materials_opened"]) == 2
    assert [e["event_id"] for e in data["events_attended"]] == [event_id]
    assert data["events_attended"][0]["event"] == "Корей мәдениеті күні"

    await student.send_command("/privacy")
    await student.click("🗑")
    await student.click("🗑")
    assert _rows(app, "select distinct user_id from material_opens") == [(OTHER_STUDENT_ID,)]
    assert _rows(app, "select user_id from event_attendance") == [(OTHER_STUDENT_ID,)]
    # The curator's list no longer shows the student who left.
    await curator.click_data(f"at:{event_id}:0")
    assert curator.buttons() == ["✅ ✋ Ivan"]


async def test_without_consent_no_progress_is_kept(student: ChatDriver, app: App) -> None:
    await _curated(app)
    await _open_materials(student, 1)
    assert _rows(app, "select count(*) from material_opens") == [(0,)]
    await student.send_command("/progress")
    assert "/start" in student.last_text()
