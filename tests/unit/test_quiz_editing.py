"""Admins' quiz edits on a real SQLite file: a question drafted in the dialog is added, one is
deleted, and an edit based on a version someone else has since changed is refused."""

from __future__ import annotations

from bot.db.quiz_models import Quiz
from bot.factory import App
from bot.services import quiz_editing, quizzes
from bot.services.learning import import_materials
from knowledge_base.learning import parse_materials

ADMIN_ID = 9001
MATERIAL = """
- id: holidays-reading
  kind: reading
  title: {kk: "Мерекелер", ru: "Праздники"}
  description: {kk: "Қазақстан мерекелері", ru: "Праздники Казахстана"}
  quiz:
    questions:
      - kind: single
        text: {kk: "Наурыз мейрамы қашан?", ru: "Когда Наурыз мейрамы?"}
        options:
          - {kk: "21–23 наурыз", ru: "21–23 марта", correct: true}
          - {kk: "1 мамыр", ru: "1 мая"}
        explanation: {kk: "Наурыз 21–23 наурызда.", ru: "Наурыз празднуют 21–23 марта."}
"""
DRAFT = {
    "kind": "multiple",
    "text_kk": "Қайсысы көктемде?",
    "text_ru": "Что из этого весной?",
    "options_kk": quiz_editing.step_value(
        "options_kk", "Алғыс айту күні\nТәуелсіздік күні\n1 мамыр"
    ),
    "options_ru": quiz_editing.step_value(
        "options_ru", "День благодарности\nДень независимости\n1 мая"
    ),
    "correct": quiz_editing.step_value("correct", "1, 3"),
    "explain_kk": "1 наурыз бен 1 мамыр.",
    "explain_ru": "1 марта и 1 мая.",
    "link": "-",
}


async def material_quiz(app: App) -> tuple[int, Quiz]:
    result = parse_materials(MATERIAL, "quiz.yml")
    assert result.ok, result.problems
    async with app.session_factory() as session, session.begin():
        await import_materials(session, result.items)
    async with app.session_factory() as session:
        card = (await quizzes.quiz_cards(session, None))[0]
        quiz = await quizzes.quiz_of_material(session, card.material.pk)
    assert quiz is not None
    return card.material.pk, quiz


async def test_a_drafted_question_is_added_at_the_end(app: App) -> None:
    material, quiz = await material_quiz(app)
    question = quiz_editing.question_from_draft(DRAFT)
    assert question is not None and question.correct == frozenset({0, 2})
    async with app.session_factory() as session, session.begin():
        result = await quiz_editing.add_question(
            session, material, DRAFT | {"version": quiz.version}, ADMIN_ID
        )
    assert result.status == "ok" and result.quiz is not None
    assert len(result.quiz.questions) == 2


async def test_an_edit_on_an_old_version_is_refused(app: App) -> None:
    material, quiz = await material_quiz(app)
    async with app.session_factory() as session, session.begin():
        added = await quiz_editing.add_question(
            session, material, DRAFT | {"version": quiz.version}, ADMIN_ID
        )
    async with app.session_factory() as session, session.begin():
        late = await quiz_editing.delete_question(session, material, 0, quiz.version, ADMIN_ID)
        assert late is not None and late.status == "conflict"
        assert added.quiz is not None
        gone = await quiz_editing.delete_question(
            session, material, 5, added.quiz.version, ADMIN_ID
        )
        assert gone is None  # no such question
        done = await quiz_editing.delete_question(
            session, material, 0, added.quiz.version, ADMIN_ID
        )
    assert done is not None and done.status == "ok" and done.quiz is not None
    assert len(done.quiz.questions) == 1


async def test_a_several_answers_question_ticks_and_a_one_answer_question_answers(app: App) -> None:
    material, quiz = await material_quiz(app)
    async with app.session_factory() as session, session.begin():
        await quiz_editing.add_question(
            session, material, DRAFT | {"version": quiz.version}, ADMIN_ID
        )
    async with app.session_factory() as session, session.begin():
        attempt = await quizzes.start_attempt(session, 5001, quiz.id)
    assert attempt is not None
    assert not quizzes.ticks(attempt, 0, 0)  # one right answer: pressing answers
    assert quizzes.ticks(attempt, 1, 0)  # several: pressing ticks
    assert not quizzes.ticks(attempt, 1, -1)  # «check» answers
    assert not quizzes.ticks(attempt, 7, 0)  # no such question
