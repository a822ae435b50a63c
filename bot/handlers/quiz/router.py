"""/quiz: self-check quizzes on learning materials, one question at a time with feedback."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.db.quiz_models import QuizAttempt
from bot.handlers.context import Ctx
from bot.handlers.filters import CommandText, PrivateChat
from bot.handlers.quiz import admin, ui
from bot.services import learning, quizzes
from bot.services.users import Profile


def _consented(profile: Profile | None) -> bool:
    return profile is not None and profile.consent_current


async def show_quizzes(message: Message, ctx: Ctx) -> None:
    """The list of quizzes with the student's scores."""
    cards = await quizzes.quiz_cards(ctx.session, ctx.user_id)
    await message.answer(
        ui.list_text(cards, ctx.language), reply_markup=ui.list_keyboard(cards, ctx.language)
    )


async def quiz_command(message: Message, ctx: Ctx) -> None:
    await show_quizzes(message, ctx)


async def _title(ctx: Ctx, quiz_id: int) -> str:
    material = await quizzes.material_of_quiz(ctx.session, quiz_id)
    return learning.title(material, ctx.language) if material is not None else ""


async def _send_question(message: Message, ctx: Ctx, attempt: QuizAttempt) -> None:
    question = quizzes.question_at(attempt, attempt.position)
    await message.answer(
        ui.question_text(
            await _title(ctx, attempt.quiz_id),
            question,
            attempt.position,
            len(attempt.questions),
            ctx.language,
        ),
        reply_markup=ui.question_keyboard(
            attempt.id, attempt.position, question, set(attempt.selected), ctx.language
        ),
    )


async def _button_message(callback: CallbackQuery) -> Message | None:
    if not isinstance(callback.message, Message):
        await callback.answer()
        return None
    return callback.message


async def no_longer_available(callback: CallbackQuery) -> None:
    await callback.answer(_("This quiz is no longer available."), show_alert=True)


async def list_pressed(callback: CallbackQuery, ctx: Ctx) -> None:
    if message := await _button_message(callback):
        await callback.answer()
        await show_quizzes(message, ctx)


async def open_quiz(callback: CallbackQuery, callback_data: ui.QuizOpen, ctx: Ctx) -> None:
    if not (message := await _button_message(callback)):
        return
    if not _consented(ctx.profile):
        await callback.answer(ui.needs_consent_text(), show_alert=True)
        return
    attempt = await quizzes.start_attempt(ctx.session, ctx.user_id, callback_data.quiz)
    if attempt is None:
        await no_longer_available(callback)
        await show_quizzes(message, ctx)
        return
    await callback.answer()
    await _send_question(message, ctx, attempt)


async def pick_option(callback: CallbackQuery, callback_data: ui.QuizPick, ctx: Ctx) -> None:
    """An option of a one-answer question answers it; of a several-answers question, ticks it
    (its «check» button, option -1, answers)."""
    if not (message := await _button_message(callback)):
        return
    attempt = await quizzes.attempt_of(ctx.session, callback_data.attempt, ctx.user_id)
    if attempt is None:
        await no_longer_available(callback)
        return
    if quizzes.ticks(attempt, callback_data.q, callback_data.option):
        await _tick(callback, message, callback_data, ctx)
        return
    option = callback_data.option if callback_data.option >= 0 else None
    outcome = await quizzes.answer(ctx.session, attempt.id, ctx.user_id, callback_data.q, option)
    if outcome.status == "empty":
        await callback.answer(_("Tick at least one answer first."), show_alert=True)
        return
    if outcome.status != "ok" or outcome.attempt is None or outcome.question is None:
        await callback.answer(_("You have already answered this question."))
        return
    await callback.answer()
    await _show_answer(message, ctx, outcome, callback_data.q)


async def _tick(
    callback: CallbackQuery, message: Message, callback_data: ui.QuizPick, ctx: Ctx
) -> None:
    q = callback_data.q
    ticked = await quizzes.toggle_option(
        ctx.session, callback_data.attempt, ctx.user_id, q, callback_data.option
    )
    if ticked is None:
        await callback.answer(_("You have already answered this question."))
        return
    await callback.answer()
    question = quizzes.question_at(ticked, q)
    markup = ui.question_keyboard(
        ticked.id, ticked.position, question, set(ticked.selected), ctx.language
    )
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=markup)


async def _show_answer(message: Message, ctx: Ctx, outcome: quizzes.Answer, q: int) -> None:
    """The answered question without its buttons, the feedback, then the next question or
    the result."""
    done, question, language = outcome.attempt, outcome.question, ctx.language
    assert done is not None and question is not None
    asked = ui.question_text(
        await _title(ctx, done.quiz_id), question, q, len(done.questions), language
    )
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_text(ui.answered_text(asked, outcome.chosen), reply_markup=None)
    entry = ctx.kb.by_slug(question.faq) if question.faq else None
    await message.answer(
        ui.feedback_text(outcome, language),
        reply_markup=ui.feedback_keyboard(
            entry.pk if entry else None, entry.question(language) if entry else None
        ),
        disable_web_page_preview=True,
    )
    if not outcome.finished:
        await _send_question(message, ctx, done)
        return
    score = (await quizzes.scores(ctx.session, ctx.user_id)).get(done.quiz_id)
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
    router.callback_query.register(list_pressed, ui.QuizOpen.filter(F.quiz == 0))
    router.callback_query.register(open_quiz, ui.QuizOpen.filter())
    router.callback_query.register(pick_option, ui.QuizPick.filter())
    return router
