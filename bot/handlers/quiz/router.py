"""/quiz: self-check quizzes on learning materials, one question at a time with feedback."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.quiz_models import QuizAttempt
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.quiz import admin, ui
from bot.services import learning, quizzes
from bot.services.knowledge import KnowledgeBase
from bot.services.users import Profile


def _consented(profile: Profile | None) -> bool:
    return profile is not None and profile.consent_current


async def show_quizzes(
    message: Message, session: AsyncSession, user_id: int, language: str
) -> None:
    """The list of quizzes with the student's scores."""
    cards = await quizzes.quiz_cards(session, user_id)
    await message.answer(
        ui.list_text(cards, language), reply_markup=ui.list_keyboard(cards, language)
    )


async def quiz_command(
    message: Message, session: AsyncSession, language: str, profile: Profile | None
) -> None:
    assert message.from_user is not None
    await show_quizzes(message, session, message.from_user.id, language)


async def _send_question(
    message: Message, session: AsyncSession, attempt: QuizAttempt, language: str
) -> None:
    material = await quizzes.material_of_quiz(session, attempt.quiz_id)
    title = learning.title(material, language) if material is not None else ""
    question = quizzes.question_at(attempt, attempt.position)
    await message.answer(
        ui.question_text(title, question, attempt.position, len(attempt.questions), language),
        reply_markup=ui.question_keyboard(
            attempt.id, attempt.position, question, set(attempt.selected), language
        ),
    )


async def open_quiz(
    callback: CallbackQuery,
    callback_data: ui.QuizOpen,
    session: AsyncSession,
    language: str,
    profile: Profile | None,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await callback.answer()
        return
    user_id = callback.from_user.id
    if callback_data.quiz == 0:
        await callback.answer()
        await show_quizzes(message, session, user_id, language)
        return
    if not _consented(profile):
        await callback.answer(ui.needs_consent_text(), show_alert=True)
        return
    attempt = await quizzes.start_attempt(session, user_id, callback_data.quiz)
    if attempt is None:
        await callback.answer(_("This quiz is no longer available."), show_alert=True)
        await show_quizzes(message, session, user_id, language)
        return
    await callback.answer()
    await _send_question(message, session, attempt, language)


async def pick_option(
    callback: CallbackQuery,
    callback_data: ui.QuizPick,
    session: AsyncSession,
    language: str,
    kb: KnowledgeBase,
) -> None:
    message = callback.message
    user_id = callback.from_user.id
    if not isinstance(message, Message):
        await callback.answer()
        return
    attempt = await quizzes.attempt_of(session, callback_data.attempt, user_id)
    if attempt is None:
        await callback.answer(_("This quiz is no longer available."), show_alert=True)
        return
    question = (
        quizzes.question_at(attempt, callback_data.q)
        if 0 <= callback_data.q < len(attempt.questions)
        else None
    )
    if question is not None and question.kind == "multiple" and callback_data.option >= 0:
        ticked = await quizzes.toggle_option(
            session, attempt.id, user_id, callback_data.q, callback_data.option
        )
        if ticked is None:
            await callback.answer(_("You have already answered this question."))
            return
        await callback.answer()
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(
                reply_markup=ui.question_keyboard(
                    ticked.id, ticked.position, question, set(ticked.selected), language
                )
            )
        return
    outcome = await quizzes.answer(
        session,
        attempt.id,
        user_id,
        callback_data.q,
        callback_data.option if callback_data.option >= 0 else None,
    )
    if outcome.status == "empty":
        await callback.answer(_("Tick at least one answer first."), show_alert=True)
        return
    if outcome.status != "ok" or outcome.attempt is None or outcome.question is None:
        await callback.answer(_("You have already answered this question."))
        return
    await callback.answer()
    done = outcome.attempt
    material = await quizzes.material_of_quiz(session, done.quiz_id)
    title = learning.title(material, language) if material is not None else ""
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_text(
            ui.answered_text(
                ui.question_text(
                    title, outcome.question, callback_data.q, len(done.questions), language
                ),
                outcome.chosen,
            ),
            reply_markup=None,
        )
    entry = kb.by_slug(outcome.question.faq) if outcome.question.faq else None
    await message.answer(
        ui.feedback_text(outcome, language),
        reply_markup=ui.feedback_keyboard(
            entry.pk if entry else None, entry.question(language) if entry else None
        ),
        disable_web_page_preview=True,
    )
    if not outcome.finished:
        await _send_question(message, session, done, language)
        return
    score = (await quizzes.scores(session, user_id)).get(done.quiz_id)
    await message.answer(
        ui.result_text(
            outcome,
            score.best_percent if score else done.score_percent or 0,
            score.attempts if score else 1,
        ),
        reply_markup=ui.result_keyboard(done.quiz_id),
    )


def create_router() -> Router:
    router = Router(name="quiz")
    router.include_router(admin.create_router())
    router.message.register(quiz_command, PrivateChat(), CommandText(), Command("quiz"))
    router.callback_query.register(open_quiz, ui.QuizOpen.filter())
    router.callback_query.register(pick_option, ui.QuizPick.filter())
    return router
