"""Self-check quizzes: authored in YAML next to the materials (checked as a whole, problems with
file and line), taken through the real dispatcher with immediate feedback, several attempts with
the best and last score kept, counted once under double clicks, stable while being edited."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy import select

from bot.db.quiz_models import QuizAttempt
from bot.factory import App
from bot.handlers.quiz.ui import QuizPick
from bot.services import quizzes
from bot.services.learning import import_materials
from knowledge_base.learning import LEARNING_DIR, load_materials, parse_materials
from knowledge_base.quizzes import Option, Question
from tests.conftest import OTHER_STUDENT_ID, STUDENT_ID
from tests.consult_support import consent
from tests.event_support import admin_driver
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.lang import looks_kazakh, looks_russian
from tests.process.test_cli import kelisim

QUIZ_YAML = """
- id: holidays-reading
  kind: reading
  title: {kk: "Мерекелер", ru: "Праздники"}
  description: {kk: "Қазақстан мерекелері", ru: "Праздники Казахстана"}
  quiz:
    pass_percent: 100
    questions:
      - kind: single
        text: {kk: "Наурыз мейрамы қашан?", ru: "Когда Наурыз мейрамы?"}
        options:
          - {kk: "21–23 наурыз", ru: "21–23 марта", correct: true}
          - {kk: "1 мамыр", ru: "1 мая"}
        explanation: {kk: "Наурыз 21–23 наурызда тойланады.", ru: "Наурыз празднуют 21–23 марта."}
        faq: nauryz-dates
      - kind: multiple
        text: {kk: "Қайсысы көктемде?", ru: "Что из этого весной?"}
        options:
          - {kk: "Алғыс айту күні", ru: "День благодарности", correct: true}
          - {kk: "Тәуелсіздік күні", ru: "День независимости"}
          - {kk: "Бірлік мерекесі", ru: "Праздник единства", correct: true}
        explanation: {kk: "1 наурыз пен 1 мамыр.", ru: "1 марта и 1 мая."}
        url: "https://example.org/holidays"
"""


async def _import(app: App, text: str = QUIZ_YAML) -> None:
    result = parse_materials(text, "quiz.yml")
    assert result.ok, result.problems
    async with app.session_factory() as session, session.begin():
        await import_materials(session, result.items)


async def _attempts(app: App) -> list[QuizAttempt]:
    async with app.session_factory() as session:
        return list((await session.scalars(select(QuizAttempt).order_by(QuizAttempt.id))).all())


def test_the_curated_quizzes_are_valid_and_bilingual() -> None:
    result = load_materials()
    assert result.ok, result.problems
    quizzed = [m for m in result.items if m.quiz is not None]
    assert len(quizzed) >= 2
    kinds = {q.kind for m in quizzed for q in m.quiz.questions}  # type: ignore[union-attr]
    assert kinds == {"single", "multiple"}


def test_a_question_without_a_correct_option_loads_nothing(tmp_path: Path) -> None:
    broken = QUIZ_YAML.replace('ru: "21–23 марта", correct: true', 'ru: "21–23 марта"')
    result = parse_materials(broken, "quiz.yml")
    assert not result.items
    assert result.problems == ["quiz.yml:12: holidays-reading: question 1 has no correct option"]

    db = tmp_path / "quiz.sqlite3"
    path = tmp_path / "quiz.yml"
    path.write_text(broken, encoding="utf-8")
    assert kelisim("learn", "import", str(LEARNING_DIR), db=db).returncode == 0
    run = kelisim("learn", "import", str(path), "--replace", db=db)
    assert run.returncode == 1
    assert f"{path}:12: holidays-reading: question 1 has no correct option" in run.stderr
    assert "nothing imported" in run.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from learning_materials").fetchone() == (9,)
        assert conn.execute("select count(*) from quizzes").fetchone() == (2,)


def test_other_quiz_mistakes_are_reported_with_their_line() -> None:
    text = QUIZ_YAML.replace("kind: single", "kind: several").replace(
        'explanation: {kk: "1 наурыз пен 1 мамыр.", ru: "1 марта и 1 мая."}',
        'explanation: {kk: "1 наурыз пен 1 мамыр."}',
    )
    problems = parse_materials(text, "quiz.yml").problems
    assert "quiz.yml:9: holidays-reading: question 1: kind must be single or multiple" in problems
    assert "quiz.yml:22: holidays-reading: question 2: explanation.ru is missing" in problems
    two_right = QUIZ_YAML.replace('ru: "1 мая"}', 'ru: "1 мая", correct: true}')
    assert (
        "single-choice but has 2 correct options" in parse_materials(two_right, "q.yml").problems[0]
    )


def test_export_and_import_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "quiz.sqlite3"
    assert kelisim("learn", "import", str(LEARNING_DIR), db=db).returncode == 0
    exported = tmp_path / "out.yml"
    run = kelisim("learn", "export", str(exported), db=db)
    assert run.returncode == 0, run.stderr
    assert "9 materials, 2 with a quiz" in run.stdout
    again = load_materials([exported])
    assert again.ok, again.problems
    assert again.items == load_materials().items
    run = kelisim("learn", "import", str(exported), db=db)
    assert "0 added, 0 changed, 9 unchanged" in run.stdout


async def test_a_whole_quiz_with_a_wrong_and_a_right_answer(student: ChatDriver, app: App) -> None:
    await _import(app)
    await consent(student)
    await student.send_command("/quiz")
    assert looks_kazakh(student.last_text()) and "Мерекелер" in student.last_text()
    await student.click("Мерекелер")
    question = student.last_text()
    assert "Наурыз мейрамы қашан?" in question
    assert looks_kazakh(question)

    await student.click("B) 1 мамыр")
    feedback = student.texts()
    assert any("21–23 наурыз" in t and "Наурыз 21–23 наурызда тойланады." in t for t in feedback)
    assert any("Қайсысы көктемде?" in t for t in feedback)  # the next question follows
    # The first question stays in the chat, answered, without buttons.
    first = student.bot_messages()[-3]
    assert "B" in (first.text or "") and first.reply_markup is None
    # The explanation links to the knowledge-base entry.
    feedback_message, second = student.bot_messages()[-2:]
    assert feedback_message.reply_markup is not None
    await student.click("Наурыз", message_id=feedback_message.message_id)
    assert "21" in student.last_text()

    await student.click("Алғыс айту күні", message_id=second.message_id)
    await student.click("Бірлік мерекесі", message_id=second.message_id)
    assert student.buttons(second.message_id)[:3] == [
        "☑️ A) Алғыс айту күні",
        "⬜ B) Тәуелсіздік күні",
        "☑️ C) Бірлік мерекесі",
    ]
    await student.click("✅", message_id=second.message_id)
    texts = student.texts()
    assert any(t.startswith("✅") and "https://example.org/holidays" in t for t in texts)
    result = student.last_text()
    assert "1" in result and "2" in result and "50%" in result and looks_kazakh(result)

    # A second attempt, all right: best and last are both kept.
    await student.click("🔁")
    await student.click("A) 21–23 наурыз")
    await student.click("Алғыс айту күні")
    await student.click("Бірлік мерекесі")
    await student.click("✅")
    assert "100%" in student.last_text()
    await student.send_command("/quiz")
    listing = student.last_text()
    assert "100%" in listing and "2" in listing
    done = [a for a in await _attempts(app) if a.status == "finished"]
    assert [(a.score_percent, a.passed) for a in done] == [(50, False), (100, True)]


async def test_the_quiz_speaks_russian_to_a_russian_speaker(
    other_student: ChatDriver, app: App
) -> None:
    await _import(app)
    await consent(other_student, "Русский")
    await other_student.send_command("/quiz")
    await other_student.click("Праздники")
    assert "Когда Наурыз мейрамы?" in other_student.last_text()
    assert looks_russian(other_student.last_text().split("\n")[-1])
    await other_student.click("A) 21–23 марта")
    assert any(t.startswith("✅") and "21–23 марта" in t for t in other_student.texts())


async def test_answering_twice_at_once_is_counted_once(student: ChatDriver, app: App) -> None:
    await _import(app)
    await consent(student)
    await student.send_command("/quiz")
    await student.click("Мерекелер")
    message_id = student.bot_messages()[-1].message_id
    press = student.click("A) 21–23 наурыз", message_id=message_id)
    again = student.click("A) 21–23 наурыз", message_id=message_id)
    await asyncio.gather(press, again)
    feedback = [t for t in student.texts() if "Наурыз 21–23 наурызда тойланады." in t]
    assert len(feedback) == 1
    (attempt,) = await _attempts(app)
    assert attempt.position == 1 and attempt.correct == 1 and attempt.answers == [[0]]
    # Pressing the old button later only says it was answered.
    await student.click_data(QuizPick(attempt=attempt.id, q=0, option=1).pack())
    assert student.answered_callback_text()
    (attempt,) = await _attempts(app)
    assert attempt.correct == 1 and len(attempt.answers) == 1


async def test_a_quiz_edited_while_a_student_is_in_it(student: ChatDriver, app: App) -> None:
    await _import(app)
    await consent(student)
    await student.send_command("/quiz")
    await student.click("Мерекелер")
    await student.click("A) 21–23 наурыз")

    # Meanwhile an admin rewrites the quiz: the second question's options change order.
    async with app.session_factory() as session, session.begin():
        (card,) = await quizzes.quiz_cards(session, None)
        quiz = await quizzes.quiz_of_material(session, card.material.pk)
        assert quiz is not None
        spec = quizzes.spec_of(quiz)
        second = spec.questions[1]
        reordered = Question(
            "single",
            {"kk": "Жаңа сұрақ?", "ru": "Новый вопрос?"},
            (
                Option({"kk": "Иә", "ru": "Да"}, True),
                Option({"kk": "Жоқ", "ru": "Нет"}),
            ),
            second.explanation,
        )
        edit = await quizzes.save_questions(
            session,
            card.material.pk,
            [spec.questions[0], reordered],
            expected_version=quiz.version,
            admin_id=9001,
        )
        assert edit.status == "ok"

    # The student finishes the version they started, scored as they saw it.
    await student.click("Алғыс айту күні")
    await student.click("Бірлік мерекесі")
    await student.click("✅")
    result = student.last_text()
    assert "100%" in result
    assert any(t.startswith("✅") for t in student.texts())
    # They are told the quiz changed; a new attempt shows the new question.
    assert "🔁" in " ".join(student.buttons())
    await student.click("🔁")
    await student.click("A) 21–23 наурыз")
    assert "Жаңа сұрақ?" in student.last_text()


async def test_someone_elses_attempt_or_a_removed_quiz(
    student: ChatDriver, other_student: ChatDriver, app: App
) -> None:
    await _import(app)
    await consent(student)
    await consent(other_student, "Русский")
    await student.send_command("/quiz")
    await student.click("Мерекелер")
    (attempt,) = await _attempts(app)
    await other_student.send_command("/quiz")
    await other_student.click_data(f"qa:{attempt.id}:0:0")
    assert looks_russian(other_student.answered_callback_text() or "")
    (attempt,) = await _attempts(app)
    assert attempt.answers == []


async def test_without_consent_nothing_is_stored(student: ChatDriver, app: App) -> None:
    await _import(app)
    await student.send_command("/quiz")
    await student.click("Мерекелер")
    assert "/start" in (student.answered_callback_text() or "")
    assert await _attempts(app) == []


async def test_learn_leads_to_the_quizzes(student: ChatDriver, app: App) -> None:
    await _import(app)
    await consent(student)
    await student.send_command("/learn")
    await student.click("📝")
    assert "Мерекелер" in student.last_text()


async def test_attempts_are_exported_and_deleted_with_the_students_data(
    student: ChatDriver, other_student: ChatDriver, app: App, recording: RecordingSession
) -> None:
    await _import(app)
    for who, label, right in (
        (student, "Қазақша", "A) 21–23 наурыз"),
        (other_student, "Русский", "A) 21–23 марта"),
    ):
        await consent(who, label)
        await who.send_command("/quiz")
        await who.click("📝")
        await who.click(right)
    await student.send_command("/me")
    await student.click("📦")
    (document,) = [m for m in recording.of_type(SendDocument) if m.chat_id == STUDENT_ID]
    assert isinstance(document.document, BufferedInputFile)
    data = json.loads(document.document.data.decode("utf-8"))
    assert data["quiz_attempts"] == [
        {
            "material": "holidays-reading",
            "status": "active",
            "answered": 1,
            "questions": 2,
            "correct": 1,
            "score_percent": None,
            "passed": None,
            "started_at": data["quiz_attempts"][0]["started_at"],
            "finished_at": None,
        }
    ]
    await student.send_command("/privacy")
    await student.click("🗑")
    await student.click("🗑")
    assert [a.user_id for a in await _attempts(app)] == [OTHER_STUDENT_ID]


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return admin_driver(dp, bot, recording)


async def test_an_admin_writes_a_question_in_telegram_and_students_get_it(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    await _import(app)
    await consent(admin, "Русский")
    await admin.send_command("/quiz_edit")
    await admin.click("Праздники")
    assert "Когда Наурыз мейрамы?" in admin.last_text()
    await admin.click("➕")
    await admin.click("Несколько")
    for text in (
        "Қайсысы мереке?",
        "Что из этого праздник?",
        "Наурыз\nСәрсенбі\nТәуелсіздік күні",
        "Наурыз\nСреда\nДень независимости",
        "7",  # out of range: asked again
        "1, 3",
        "Наурыз бен Тәуелсіздік күні — мерекелер.",
        "Наурыз и День независимости — праздники.",
        "no-such-entry",  # unknown entry: asked again
        "nauryz-dates",
    ):
        await admin.send(text)
    assert "Предпросмотр" in admin.last_text() and "✅ A, C" in admin.last_text()
    await admin.click("💾")
    assert "3." in admin.last_text() and "Что из этого праздник?" in admin.last_text()

    await consent(student)
    await student.send_command("/quiz")
    await student.click("Мерекелер")
    await student.click("A) 21–23 наурыз")
    await student.click("Алғыс айту күні")
    await student.click("Бірлік мерекесі")
    await student.click("✅")
    assert "Қайсысы мереке?" in student.last_text()
    await student.click("Наурыз")
    await student.click("Тәуелсіздік күні")
    await student.click("✅")
    assert "100%" in student.last_text()


async def test_quiz_editing_is_for_admins_and_never_overwrites_another_admin(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    await _import(app)
    await consent(student)
    await student.send_command("/quiz_edit")
    assert looks_kazakh(student.last_text())
    await consent(admin, "Русский")
    await admin.send_command("/quiz_edit")
    await admin.click("Праздники")
    await admin.click("➕")
    await admin.click("Один")
    # Another admin deletes a question meanwhile.
    async with app.session_factory() as session, session.begin():
        (card,) = await quizzes.quiz_cards(session, None)
        quiz = await quizzes.quiz_of_material(session, card.material.pk)
        assert quiz is not None
        spec = quizzes.spec_of(quiz)
        edit = await quizzes.save_questions(
            session, card.material.pk, spec.questions[:1], expected_version=quiz.version, admin_id=1
        )
        assert edit.status == "ok"
    for text in ("Сұрақ?", "Вопрос?", "Иә\nЖоқ", "Да\nНет", "1", "Түсінік.", "Пояснение.", "-"):
        await admin.send(text)
    await admin.click("💾")
    assert "изменили" in (admin.answered_callback_text() or "")
    assert "Вопрос?" not in admin.last_text() and "вопросов: 1" in admin.last_text()
    async with app.session_factory() as session:
        (card,) = await quizzes.quiz_cards(session, None)
        assert card.questions == 1
    # Deleting the last question removes the quiz.
    await admin.send_command("/quiz_edit")
    await admin.click("Праздники")
    await admin.click("🗑")
    async with app.session_factory() as session:
        assert await quizzes.quiz_cards(session, None) == []
